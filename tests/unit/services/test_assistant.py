"""The assistant's parts without a model: its prompt file, citations checked against the passages, and the
streamer that batches an answer's pieces — whose pieces always add up to exactly the finished answer."""

from __future__ import annotations

import hashlib
import threading
import time
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moviegen.core.knowledge import SearchHit
from moviegen.services import assistant
from moviegen.services.assistant import Streamer, build_request, cited, finished, load_prompt


def hit(n: int, kind: str = "scene", text: str = "Mira lifts the lantern.", **meta) -> SearchHit:
    return SearchHit(id=f"{kind}:{n}", kind=kind, title=f"{kind.title()} {n}", text=text, metadata=meta, score=1.0,
                     ranks={"bm25": n})  # fmt: skip


def test_the_prompt_ships_with_the_package_and_its_digest_is_in_the_request():
    raw = (resources.files("moviegen.services") / "prompts" / "assistant.md").read_bytes()
    prompt = load_prompt()
    assert prompt.digest == hashlib.sha256(raw).hexdigest()[:12]
    assert "[2]" in prompt.system and "{passages}" in prompt.user and "<!--" not in prompt.system + prompt.user
    request = build_request("  where is the lantern?  ", [hit(1, scene="1"), hit(7, "shot", "Close on the lamp.", scene="2")],
                            "p")  # fmt: skip
    assert request.task == "assistant.ask" and request.params["prompt_digest"] == prompt.digest
    assert request.system == prompt.system
    assert "[1] Scene 1 (scene)\nMira lifts the lantern." in request.prompt
    assert "[2] Shot 7 (shot, scene 2)\nClose on the lamp." in request.prompt
    assert request.prompt.endswith("Question: where is the lantern?")


def test_a_changed_prompt_is_a_new_request():
    hits = [hit(1)]
    edited = load_prompt(assistant.prompt_text().replace("script supervisor", "continuity editor"))
    a, b = build_request("q", hits, "p"), build_request("q", hits, "p", edited)
    assert a.params["prompt_digest"] != b.params["prompt_digest"]


def test_braces_in_a_question_or_passage_are_not_filled_in():
    request = build_request("what is {passages}?", [hit(1, text="a {question} b")], "p")
    assert "Question: what is {passages}?" in request.prompt and "a {question} b" in request.prompt


def test_a_broken_prompt_is_refused():
    with pytest.raises(ValueError, match="# system"):
        load_prompt("# user\n{question}\n")


@pytest.mark.parametrize(
    ("text", "count", "expected", "dropped"),
    [
        ("It is in the garage [1].", 3, "It is in the garage [1].", set()),
        ("It is in the garage [9].", 3, "It is in the garage.", {9}),
        ("Both [1, 9] and [2][7].", 3, "Both [1] and [2].", {7, 9}),
        ("A range [2-4] and [0].", 3, "A range [2, 3] and.", {4, 0}),
        ("[2] first, then [12], a year [2024] and a [note].", 3, "[2] first, then, a year [2024] and a [note].", {12}),
        ("  [5] Hello  ", 3, "Hello", {5}),
    ],
)
def test_citations_of_passages_that_do_not_exist_are_taken_out(text, count, expected, dropped):
    gone: set[int] = set()
    assert finished(text, count, gone) == expected and gone == dropped


def test_cited_lists_the_valid_numbers():
    assert cited("a [3] b [1, 2] c [2] d [9]", 3) == [1, 2, 3]


def collect(count: int, **kw) -> tuple[Streamer, list[tuple[str, int]]]:
    sent: list[tuple[str, int]] = []
    return Streamer(count, lambda text, offset: sent.append((text, offset)), **kw), sent


PIECES = st.lists(st.text(alphabet="ab [],-;0123456789\n", max_size=12), max_size=40)


@settings(max_examples=400, deadline=None)
@given(pieces=PIECES, count=st.integers(0, 12), size=st.integers(1, 60), timed=st.booleans())
def test_the_pieces_sent_add_up_to_the_finished_answer(pieces, count, size, timed):
    streamer, sent = collect(count, every=0 if timed else 1e9, size=size)
    for piece in pieces:
        streamer(piece)
    whole = streamer.finish()
    expected_dropped: set[int] = set()
    assert whole == finished("".join(pieces), count, expected_dropped)
    assert "".join(t for t, _ in sent) == whole
    assert [o for _, o in sent] == [sum(len(t) for t, _ in sent[:i]) for i in range(len(sent))]
    assert all(t for t, _ in sent) and streamer.dropped == expected_dropped


def test_pieces_are_batched():
    streamer, sent = collect(3, every=10, size=40)
    for word in ("word " * 100).split(" "):
        streamer(word + " ")
    streamer.finish()
    assert 10 <= len(sent) <= 20  # about 500 characters in pieces of about 40


def test_what_a_pausing_model_wrote_is_sent_without_waiting_for_more():
    streamer, sent = collect(3, every=0.05, size=1000)
    streamer("The lantern")  # the first piece: sent at once (nothing was sent for longer than 50 ms)
    streamer(" is in")
    deadline = time.monotonic() + 5
    while len(sent) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [t for t, _ in sent] == ["The lantern", " is in"]  # the second after ~50 ms, with no more to come
    streamer(" the garage [1")  # an unfinished citation waits for its end
    time.sleep(0.15)
    assert sent[-1][0] == " the garage"
    streamer("].")
    assert streamer.finish() == "The lantern is in the garage [1]."


def test_a_closed_streamer_sends_nothing_more():
    streamer, sent = collect(3, every=0.02, size=1000)
    streamer("a")
    streamer("b")
    streamer.close()
    time.sleep(0.1)
    streamer("c")
    assert [t for t, _ in sent] == ["a"] and threading.active_count() < 50
