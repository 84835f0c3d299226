"""assistant_ask with a language model: the OpenAI-compatible provider against the fake chat-completions server
over real HTTP — the answer streams as events, its citations are checked, the request carries the numbered
passages, the ledger records it, a repeat comes from the cache; without a model, or when every model fails,
the passages (with a one-line warning, never a key)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from moviegen.brain.local import LocalBrain
from moviegen.core.errors import UsageError
from moviegen.core.settings import Price, RouterSettings, Settings
from moviegen.services import assistant
from moviegen.services.assistant import SEARCH_ONLY
from tests.fakes.openai_server import KEY, FakeChat, Stall, Status

SLUG = "lantern-road"
QUESTION = "where does the lantern first appear?"
ANSWER = ("Mira takes the lantern road in the first scene, when the bridge is gone [1]. She carries a new bulb "
          "to the signal tower [2], and Tomas fits it with her [2][9]. See also [1, 12] and the radio [4].")  # fmt: skip


@pytest.fixture
def fake():
    with FakeChat() as f:
        yield f


def brain_for(tmp_path, fake=None, chain=("openai-compat", "story-writer"), sample_text="", **router) -> LocalBrain:
    online = {"openai_compat_base_url": fake.base_url, "openai_compat_api_key": fake.key,
              "openai_compat_model": "local-model"} if fake else {}  # fmt: skip
    settings = Settings(projects_dir=tmp_path / "projects", home=tmp_path / "home",
                        router=RouterSettings(**{"backoff": 0.01, "timeout": 5.0, **router}), **online)  # fmt: skip
    settings.providers.text = list(chain)
    brain = LocalBrain(settings, workers=1)
    brain.project_import(sample_text, slug=SLUG)
    return brain


def asked(brain, question=QUESTION, **kw) -> tuple[dict, list[dict]]:
    """The answer, and every event of the project published while it was asked."""
    with brain.bus.listen() as q:
        result = brain.assistant_ask(SLUG, question, **kw)
        events = []
        while not q.empty():
            events.append(q.get())
    return result, events


def deltas(events, ask_id) -> list[dict]:
    return [e for e in events if e["kind"] == "assistant.delta" and e["ask_id"] == ask_id]


def test_the_answer_streams_cites_only_passages_that_exist_and_reads_the_numbered_passages(tmp_path, fake,
                                                                                        sample_text):  # fmt: skip
    brain = brain_for(tmp_path, fake, sample_text=sample_text)
    fake.answers = [ANSWER]
    try:
        result, events = asked(brain, ask_id="q-1")
        assert result["mode"] == "llm" and result["ask_id"] == "q-1"
        assert (result["provider"], result["model"]) == ("openai-compat", "local-model")
        n = len(result["sources"])
        assert n == 5 and [s["n"] for s in result["sources"]] == [1, 2, 3, 4, 5]
        assert result["citations"] == [1, 2, 4] and result["dropped"] == [9, 12]
        assert "[9]" not in result["answer"] and "[1, 12]" not in result["answer"] and "[1]" in result["answer"]
        assert result["answer"].endswith("the radio [4].")
        pieces = deltas(events, "q-1")
        assert len(pieces) > 1 and "".join(e["text"] for e in pieces) == result["answer"]  # batched, not per word
        assert len(pieces) < len(ANSWER.split())
        assert [e["offset"] for e in pieces] == [sum(len(p["text"]) for p in pieces[:i]) for i in range(len(pieces))]
        done = [e for e in events if e["kind"] == "assistant.answered"]
        assert len(done) == 1 and done[0]["answer"] == result["answer"] and events[-1] == done[0]
        assert all(e["project"] == SLUG for e in events)

        body = fake.requests[0].body
        assert body["stream"] is True and [m["role"] for m in body["messages"]] == ["system", "user"]
        system, user = (m["content"] for m in body["messages"])
        assert "[2]" in system and user.endswith(f"Question: {QUESTION}")
        for src in result["sources"]:  # every passage, numbered as the sources are
            assert f"[{src['n']}] {src['title']} (" in user
        assert user.index("[1] ") < user.index("[2] ") < user.index("[5] ")
    finally:
        brain.close()


def test_the_ledger_records_the_call_and_the_same_question_again_comes_from_the_cache(tmp_path, fake, sample_text):
    brain = brain_for(tmp_path, fake, sample_text=sample_text)
    fake.answers = [ANSWER]
    try:
        first, _ = asked(brain)
        again, events = asked(brain)
        assert len(fake.requests) == 1  # not sent twice
        assert again["answer"] == first["answer"] and again["citations"] == first["citations"]
        assert again["ask_id"] != first["ask_id"]  # a fresh id per question
        assert "".join(e["text"] for e in deltas(events, again["ask_id"])) == again["answer"]  # the cache streams too
        entries = brain.cost_report(SLUG, entries=10)["entries"]
        assert [(e["provider"], e["status"], e["stage"]) for e in reversed(entries)] == [
            ("openai-compat", "ok", "assistant.ask"), ("openai-compat", "cached", "assistant.ask")]  # fmt: skip
        assert entries[1]["units"]["input_tokens"] > 100  # the passages went with the question
    finally:
        brain.close()


def test_a_changed_prompt_is_asked_again(tmp_path, fake, sample_text, monkeypatch):
    brain = brain_for(tmp_path, fake, sample_text=sample_text)
    try:
        asked(brain)
        original = assistant.prompt_text()
        monkeypatch.setattr(
            assistant, "prompt_text", lambda: original.replace("script supervisor", "continuity editor")
        )
        asked(brain)
        assert len(fake.requests) == 2 and "continuity editor" in fake.requests[1].body["messages"][0]["content"]
        digests = {json.dumps(e["request"]) for e in brain.cost_report(SLUG, entries=10)["entries"]}
        assert len(digests) == 2
    finally:
        brain.close()


def test_the_answer_arrives_while_it_is_written(tmp_path, fake, sample_text):
    """Through the event stream every client follows: pieces come before the call returns."""
    brain = brain_for(tmp_path, fake, sample_text=sample_text)
    fake.answers = [ANSWER]
    fake.faults = [Stall(0.6, after=8)]  # the model pauses mid-answer

    async def main():
        loop = asyncio.get_running_loop()
        call = loop.create_future()
        early: list[dict] = []
        events = brain.events(SLUG)

        async def listen():
            async for event in events:
                if event["kind"] == "assistant.delta" and not call.done():
                    early.append(event)

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0)

        def ask():
            result = brain.assistant_ask(SLUG, QUESTION, ask_id="live")
            loop.call_soon_threadsafe(call.set_result, result)

        threading.Thread(target=ask, daemon=True).start()
        result = await asyncio.wait_for(call, 30)
        listener.cancel()
        return result, early

    try:
        result, early = asyncio.run(main())
        assert len(early) >= 2 and all(e["ask_id"] == "live" for e in early)
        assert result["answer"].startswith("".join(e["text"] for e in early))
    finally:
        brain.close()


def test_without_a_language_model_the_answer_is_the_passages(tmp_path, sample_text):
    brain = brain_for(tmp_path, sample_text=sample_text)  # no URL: openai-compat is passed over
    try:
        result, events = asked(brain)
        assert result["mode"] == SEARCH_ONLY and "warning" not in result and "answer" not in result
        assert result["sources"] and result["sources"][0]["n"] == 1 and result["sources"][0]["text"]
        assert [e["kind"] for e in events] == ["assistant.answered"]
        assert brain.cost_report(SLUG, entries=10).get("entries") == []  # nothing was called
    finally:
        brain.close()


def test_an_offline_chain_is_search_only_even_with_a_model_configured(tmp_path, fake, sample_text):
    brain = brain_for(tmp_path, fake, chain=("story-writer",), sample_text=sample_text)
    try:
        assert asked(brain)[0]["mode"] == SEARCH_ONLY and not fake.requests
    finally:
        brain.close()


def test_when_every_model_fails_the_passages_come_with_a_one_line_warning(tmp_path, fake, sample_text):
    brain = brain_for(tmp_path, fake, sample_text=sample_text, retries=1)
    fake.faults = [Status(500, "upstream melted\nsecond line")] * 2
    try:
        result, events = asked(brain)
        assert result["mode"] == SEARCH_ONLY and result["sources"]
        warning = result["warning"]
        said = "openai-compat: openai-compat answered 500: upstream melted second line"
        assert warning == f"no language model could answer ({said})"
        assert "\n" not in warning and "story-writer" not in warning  # the offline writer takes no questions
        assert len(fake.requests) == 2  # one try, one retry
        done = [e for e in events if e["kind"] == "assistant.answered"]
        assert done[0]["warning"] == warning
    finally:
        brain.close()


def test_a_refused_key_never_reaches_the_answer_or_the_events(tmp_path, fake, sample_text):
    brain = brain_for(tmp_path, fake, sample_text=sample_text)
    fake.faults = [Status(401, f"Incorrect API key provided: {KEY}")]  # a server that echoes the key
    try:
        result, events = asked(brain)
        assert result["mode"] == SEARCH_ONLY and "401" in result["warning"]
        assert KEY not in json.dumps(result) and KEY not in json.dumps(events)
    finally:
        brain.close()


def test_a_budget_that_refuses_the_call_leaves_the_passages(tmp_path, fake, sample_text):
    brain = brain_for(tmp_path, fake, sample_text=sample_text)
    brain.settings.prices = {"openai-compat": Price(input_per_mtok=1000.0, output_per_mtok=1000.0)}
    brain.project(SLUG).update(budget_usd=0.01)
    try:
        result, _ = asked(brain)
        assert result["mode"] == SEARCH_ONLY and "budget" in result["warning"] and not fake.requests
    finally:
        brain.close()


def test_a_bad_ask_id_is_refused(tmp_path, sample_text):
    brain = brain_for(tmp_path, sample_text=sample_text)
    try:
        with pytest.raises(UsageError, match="ask_id"):
            brain.assistant_ask(SLUG, QUESTION, ask_id="not ok!")
    finally:
        brain.close()
