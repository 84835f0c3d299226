"""`moviegen ask` as a user runs it: the answer printed as the model writes it (in-process and through a real
brain server), then its numbered sources; --json; search only without a model; one-line errors. The model is
the fake chat-completions server over real HTTP, configured as the OpenAI-compatible provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import pytest

from moviegen.services.assistant import SEARCH_ONLY
from tests.conftest import moviegen
from tests.fakes.openai_server import KEY, FakeChat, Stall
from tests.server.conftest import start_brain, stop_brain

QUESTION = "where does the lantern first appear?"
ANSWER = ("Mira takes the lantern road in the first scene, when the bridge is gone [1]. She carries a new bulb "
          "to the signal tower [2], and Tomas fits it with her [2][9]. The radio warns her off [4].")  # fmt: skip
SHOWN = ANSWER.replace("[2][9]", "[2]")
STALL = 1.5  # seconds the model pauses mid-answer


def model_env(fake: FakeChat) -> dict:
    return {"OPENAI_COMPAT_BASE_URL": fake.base_url, "OPENAI_COMPAT_API_KEY": KEY, "OPENAI_COMPAT_MODEL": "local-model"}


def streamed(args: list[str], env: dict) -> tuple[list[tuple[float, str]], str, int]:
    """Run the CLI and note when each piece of its output arrived."""
    proc = subprocess.Popen([sys.executable, "-m", "moviegen", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env)  # fmt: skip
    chunks: list[tuple[float, str]] = []
    stderr: list[bytes] = []

    def read_out() -> None:
        while data := os.read(proc.stdout.fileno(), 65536):
            chunks.append((time.monotonic(), data.decode()))

    readers = [threading.Thread(target=read_out), threading.Thread(target=lambda: stderr.append(proc.stderr.read()))]
    for r in readers:
        r.start()
    code = proc.wait(120)
    for r in readers:
        r.join()
    return chunks, b"".join(stderr).decode(), code


def assert_streamed(chunks: list[tuple[float, str]]) -> str:
    """The answer's beginning was on the terminal well before its end (the model paused in between)."""
    text, first = "", None
    for at, piece in chunks:
        text += piece
        if first is None and "Mira takes" in text:
            first = (at, text)
    assert first is not None, text
    assert "signal tower" not in first[1]  # the first words, not the whole answer at once
    assert chunks[-1][0] - first[0] >= STALL - 0.5
    return text


def assert_answer(stdout: str, stderr: str) -> None:
    answer, _, sources = stdout.partition("\n\nSources\n")
    assert answer.strip() == SHOWN
    lines = sources.strip().splitlines()
    assert len(lines) == 5 and [line[:3] for line in lines] == ["[1]", "[2]", "[3]", "[4]", "[5]"]
    assert "answered by openai-compat:local-model" in stderr and "taken out" in stderr and "(9)" in stderr
    assert KEY not in stdout + stderr


def test_the_answer_streams_then_its_sources(sample_path):
    moviegen("import", str(sample_path), "--slug", "lantern-road", check=True)
    with FakeChat() as fake:
        fake.answers = [ANSWER]
        fake.faults = [Stall(STALL, after=6)]
        chunks, stderr, code = streamed(["ask", "lantern-road", QUESTION], {**os.environ, **model_env(fake)})
        assert code == 0, stderr
        assert_answer(assert_streamed(chunks), stderr)
        assert "Traceback" not in stderr

        again = moviegen("ask", "lantern-road", QUESTION, "--json", env=model_env(fake), check=True)
        result = json.loads(again.stdout)  # the final object only, from the cache this time
        assert len(fake.requests) == 1
        assert result["mode"] == "llm" and result["answer"] == SHOWN and result["citations"] == [1, 2, 4]
        assert result["dropped"] == [9] and [s["n"] for s in result["sources"]] == [1, 2, 3, 4, 5]
        assert {"title", "scene", "kind", "text", "found_by"} <= set(result["sources"][0])


def test_without_a_model_it_says_search_only_and_shows_the_passages(sample_path):
    moviegen("import", str(sample_path), "--slug", "lantern-road", check=True)
    proc = moviegen("ask", "lantern-road", QUESTION, check=True)
    assert "search only" in proc.stderr and "no language model" in proc.stderr
    assert proc.stdout.startswith("[1] ") and "[5] " in proc.stdout and "scene" in proc.stdout
    result = json.loads(moviegen("ask", "lantern-road", QUESTION, "--json", check=True).stdout)
    assert result["mode"] == SEARCH_ONLY and len(result["sources"]) == 5


def test_errors_are_one_line():
    proc = moviegen("ask", "nope", QUESTION)
    assert proc.returncode == 1 and "no project 'nope'" in proc.stderr and "Traceback" not in proc.stderr
    proc = moviegen("ask", "nope", "")
    assert proc.returncode == 2 and "invalid question for assistant_ask" in proc.stderr


@pytest.mark.integration
def test_through_a_brain_server_the_answer_streams_too(tmp_path, sample_path):
    with FakeChat(latency=0.5) as fake:  # time for the events socket to open before the first word
        fake.answers = [ANSWER]
        fake.faults = [Stall(STALL, after=6)]
        brain = start_brain(tmp_path, env_extra=model_env(fake))  # the model is the brain's, not the CLI's
        try:
            brain.cli("import", str(sample_path), "--slug", "lantern-road", remote=True)
            env = {k: v for k, v in brain.env.items() if not k.startswith("OPENAI_COMPAT_")}
            chunks, stderr, code = streamed(["ask", "lantern-road", QUESTION], {**env, "MOVIEGEN_BRAIN_URL": brain.ws})
            assert code == 0, stderr
            assert_answer(assert_streamed(chunks), stderr)
            assert len(fake.requests) == 1
            missing = brain.cli("ask", "nope", QUESTION, check=False, remote=True)
            assert missing.returncode == 1 and "no project 'nope'" in missing.stderr
        finally:
            stop_brain(brain)
