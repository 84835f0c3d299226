"""Story development as an approvable graph: each stage one checked text call through the router, pauses that
survive the process, redo, repair-then-fallback, budgets that lose nothing — with the offline writer and with a
language model (the fake chat-completions server, over real HTTP)."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest

from moviegen.brain.local import LocalBrain
from moviegen.core.errors import BudgetExceededError, ProjectStateError
from moviegen.core.fountain import parse
from moviegen.core.scenes import scenes_of, speakers
from moviegen.core.settings import Price, RouterSettings, Settings
from moviegen.services import story_stages
from tests.fakes.openai_server import FakeChat

PREMISE = "A retired lighthouse keeper teaches a stray girl to read the storm signals before the winter gale"
STAGES = ["logline", "characters", "places", "outline", "screenplay"]

LLM = {
    "logline": {
        "title": "Signal Weather",
        "logline": "A retired keeper has one night to teach a stray girl the storm "
        "signals before the gale reaches the harbour.",
    },  # fmt: skip
    "characters": {
        "characters": [
            {
                "name": "ODA",
                "full_name": "Oda Brekke",
                "role": "the retired keeper",
                "want": "to pass the signals on",
                "look": "70s, oilskin coat, bad knee",
                "voice": "low, Norwegian, dry",
            },
            {
                "name": "PIP",
                "full_name": "Pip Quill",
                "role": "the stray girl Oda teaches",
                "want": "a place to stay",
                "look": "11, oversized jumper",
                "voice": "quick, bright",
            },
        ]
    },  # fmt: skip
    "places": {
        "locations": [
            {"name": "INT. LAMP ROOM", "description": "glass, brass and wind"},
            {"name": "EXT. HARBOUR WALL", "description": "spray over the stones"},
        ]
    },  # fmt: skip
    "outline": {
        "outline": [
            "Oda finds Pip sheltering in the lamp room.",
            "On the harbour wall, Pip reads the flags alone as the gale arrives.",
        ]
    },  # fmt: skip
    "screenplay": {
        "screenplay": "INT. LAMP ROOM - NIGHT\n\nODA finds PIP under the stairs.\n\nODA\nWho taught you "
        "to hide in here?\n\nPIP\nThe wind.\n\nEXT. HARBOUR WALL - DAWN\n\nPIP raises the red flag.\n\n"
        "PIP\nGale from the west!\n\nODA\n(quietly)\nGood.\n"
    },  # fmt: skip
}


def brain_for(tmp_path, fake=None, chain=("story-writer",), budget=None):
    extra = {}
    if fake is not None:
        extra = dict(openai_compat_base_url=fake.base_url, openai_compat_api_key=fake.key,
                     openai_compat_model="story-model",
                     prices={"openai-compat": Price(input_per_mtok=1000.0, output_per_mtok=1000.0)})  # fmt: skip
    settings = Settings(projects_dir=tmp_path / "projects", home=tmp_path / "home",
                        router=RouterSettings(backoff=0.01, timeout=5.0), **extra)  # fmt: skip
    settings.providers.text = list(chain)
    brain = LocalBrain(settings, workers=1)
    brain.project_create(PREMISE, slug="p")
    if budget is not None:
        brain.project("p").update(budget_usd=budget)
    return brain


@pytest.fixture
def fake():
    with FakeChat() as f:
        yield f


def stage_of(request) -> str:
    return request.body["messages"][-1]["content"]


def test_offline_development_pauses_after_each_stage_and_resumes_in_a_new_brain(tmp_path):
    brain = brain_for(tmp_path)
    try:
        where = brain.story_develop("p", step=True)
        assert (where["state"], where["stage"], where["by"]) == ("paused", "logline", "story-writer")
        assert where["result"]["title"] and not brain.project("p").has_screenplay()
        assert brain.story_review("p")["stage"] == "logline"
    finally:
        brain.close()
    brain = brain_for_existing(tmp_path)  # another process: the pause is in the project's checkpoint database
    try:
        results = {}
        for _ in STAGES[1:]:
            where = brain.story_approve("p")
            assert where["state"] == "paused" and where["result"] is not None
            results[where["stage"]] = where["result"]
        assert list(results) == STAGES[1:]
        cast = [c["name"] for c in results["characters"]["characters"]]
        done = brain.story_approve("p")
        assert done["state"] == "done" and done["title"] and brain.project("p").has_screenplay()
        spoken = speakers(scenes_of(parse(brain.screenplay_get("p")["text"])))
        assert spoken and set(spoken) <= set(cast)
        assert [e["stage"] for e in reversed(brain.cost_report("p", entries=10)["entries"])] == [
            f"story.{s}" for s in STAGES]  # fmt: skip
        with pytest.raises(ProjectStateError, match="no story development waiting"):
            brain.story_approve("p")
    finally:
        brain.close()


def brain_for_existing(tmp_path):
    settings = Settings(projects_dir=tmp_path / "projects", home=tmp_path / "home")
    settings.providers.text = ["story-writer"]
    return LocalBrain(settings, workers=1)


def test_redo_writes_the_stage_again_and_the_screenplay_speaks_with_the_new_cast(tmp_path):
    brain = brain_for(tmp_path)
    try:
        brain.story_develop("p", step=True)
        first = brain.story_approve("p")
        assert first["stage"] == "characters"
        again = brain.story_redo("p", note="older, please")
        assert again["stage"] == "characters" and again["variants"] == {"characters": 1}
        assert [c["name"] for c in again["result"]["characters"]] != [c["name"] for c in first["result"]["characters"]]
        done = brain.story_approve("p", step=False)  # no more pauses
        assert done["state"] == "done"
        cast = {c["name"] for c in again["result"]["characters"]}
        assert {c["name"] for c in done["characters"]} == cast
        assert set(speakers(scenes_of(parse(done["screenplay"])))) <= cast
    finally:
        brain.close()


def test_a_language_model_writes_every_stage_from_the_stages_before(tmp_path, fake):
    fake.answers = [LLM[s] for s in STAGES]
    brain = brain_for(tmp_path, fake, chain=("openai-compat", "story-writer"))
    try:
        done = brain.story_develop("p")
        assert done["state"] == "done" and done["title"] == "Signal Weather"
        assert {s: v["by"] for s, v in done["stages"].items()} == {s: "openai-compat:story-model" for s in STAGES}
        assert len(fake.requests) == 5
        bodies = [r.body for r in fake.requests]
        assert all(b["response_format"]["type"] == "json_schema" for b in bodies)
        assert bodies[0]["messages"][0]["role"] == "system"
        assert "Signal Weather" in stage_of(fake.requests[1])  # the logline feeds the characters
        assert "ODA (Oda Brekke)" in stage_of(fake.requests[2]) and "INT. LAMP ROOM" in stage_of(fake.requests[3])
        assert "2. On the harbour wall" in stage_of(fake.requests[4])
        assert "Gale from the west!" in brain.screenplay_get("p")["text"]
        assert "### ODA" in brain.story_file_get("p", "bible")["text"]
        report = brain.cost_report("p", entries=10)
        assert report["by_stage"]["story.screenplay"]["calls"] == 1 and report["total_usd"] > 0
    finally:
        brain.close()


def test_a_screenplay_with_strangers_is_repaired_once_then_the_next_provider_writes_it(tmp_path, fake):
    stranger = {"screenplay": "INT. LAMP ROOM - NIGHT\n\nZED\nI am nobody in the bible.\n"}
    fake.answers = [LLM[s] for s in STAGES[:4]] + [stranger, stranger]
    brain = brain_for(tmp_path, fake, chain=("openai-compat", "story-writer"))
    try:
        done = brain.story_develop("p")
        assert done["stages"]["screenplay"]["by"] == "story-writer"
        assert len(fake.requests) == 6  # four stages, the screenplay, its one repair
        assert "could not be used" in stage_of(fake.requests[5]) and "ZED speaks" in stage_of(fake.requests[5])
        assert set(speakers(scenes_of(parse(done["screenplay"])))) <= {"ODA", "PIP"}  # recast to the bible
        statuses = [(e["provider"], e["status"]) for e in reversed(brain.cost_report("p", entries=20)["entries"])]
        assert statuses[-3:] == [("openai-compat", "failed"), ("openai-compat", "failed"), ("story-writer", "ok")]
        failed = [e for e in brain.cost_report("p", entries=20)["entries"] if e["status"] == "failed"]
        assert all(e["cost_usd"] > 0 for e in failed)  # the model was paid for answers that could not be used
    finally:
        brain.close()


def test_a_budget_refusal_loses_nothing_and_resume_continues_where_it_stopped(tmp_path, fake):
    fake.answers = [LLM[s] for s in STAGES]
    brain = brain_for(tmp_path, fake, chain=("openai-compat",), budget=3.0)  # a screenplay may cost 8 USD at 1000/Mtok
    try:
        brain.story_develop("p", step=True)
        brain.story_approve("p")
        with pytest.raises(BudgetExceededError, match="has spent"):
            while True:
                brain.story_approve("p")
        where = brain.story_review("p")
        assert where["state"] == "interrupted" and not brain.project("p").has_screenplay()
        written = [s for s, v in where["stages"].items() if v["done"]]
        assert written and written == STAGES[: len(written)]
        sent = len(fake.requests)
        brain.project("p").update(budget_usd=100.0)
        done = brain.story_approve("p", step=False)
        assert done["state"] == "done" and len(fake.requests) == sent + len(STAGES) - len(written)
    finally:
        brain.close()


def test_a_prompt_s_digest_is_part_of_the_request(tmp_path):
    from moviegen.services.story_flow import request_for

    state = {"premise": PREMISE, "title": "", "seed": 7, "results": {}, "variants": {}, "notes": {}}
    request = request_for("logline", state, "p")
    text = (story_stages.PROMPTS / "logline.md").read_bytes()
    assert hashlib.sha256(text).hexdigest()[:12] in request.params["prompt"]
    assert json.loads(json.dumps(request.json_schema))["properties"].keys() == {"title", "logline"}
    assert request_for("logline", {**state, "variants": {"logline": 1}}, "p").seed != request.seed


def test_a_decision_made_as_the_pause_is_stored_waits_for_the_run_to_let_go(tmp_path, monkeypatch):
    """The studio shows the pause from the stored checkpoint, which can be read a moment before the run that
    stored it has released the project: an approval made then waits for it instead of failing."""
    from moviegen.core import locations
    from moviegen.core.errors import ConflictError
    from moviegen.core.lock import exclusive
    from moviegen.services import story_flow

    brain = brain_for(tmp_path)
    try:
        brain.story_develop("p", step=True)
        lock = locations.state_dir(brain.project("p").path) / "develop.lock"
        held, release = threading.Event(), threading.Event()

        def closing_run():
            with exclusive(lock, "developing p"):
                held.set()
                release.wait(10)

        runner = threading.Thread(target=closing_run)
        runner.start()
        assert held.wait(5)
        timer = threading.Timer(0.5, release.set)
        timer.start()
        try:
            assert brain.story_approve("p")["stage"] == "characters"  # waited ~0.5 s, then went on
        finally:
            timer.cancel()
            release.set()
            runner.join()

        monkeypatch.setattr(story_flow, "RESUME_WAIT", 0.2)
        with exclusive(lock, "developing p"):  # a run that does not end: one clear line after the wait
            with pytest.raises(ConflictError, match="developing p is already running"):
                brain.story_approve("p")
        assert brain.story_review("p")["stage"] == "characters"  # nothing lost
    finally:
        brain.close()


def test_two_decisions_on_one_pause_decide_it_once(tmp_path):
    """Two clients approve the same pause while the run that stored it still closes: one approval goes on to
    the next stage; the other is refused (the pause it saw was decided), never taken for the next pause."""
    from moviegen.core import locations
    from moviegen.core.errors import ConflictError
    from moviegen.core.lock import exclusive

    brain = brain_for(tmp_path)
    try:
        brain.story_develop("p", step=True)
        lock = locations.state_dir(brain.project("p").path) / "develop.lock"
        release, outcomes = threading.Event(), []

        def decide():
            try:
                outcomes.append(brain.story_approve("p")["stage"])
            except ConflictError as exc:
                outcomes.append(str(exc))

        with exclusive(lock, "developing p"):  # the run that stored the logline's pause, still closing
            deciders = [threading.Thread(target=decide) for _ in range(2)]
            for d in deciders:
                d.start()
            release.wait(1.5)  # both have read the pause they decide on, and wait for the run
        for d in deciders:
            d.join(60)
        assert sorted(outcomes, key=len) == ["characters", "the logline of p was decided meanwhile (now paused "
                                             "after characters (written by story-writer))"], outcomes  # fmt: skip
        assert brain.story_review("p")["stage"] == "characters"  # decided once: the characters wait
    finally:
        brain.close()
