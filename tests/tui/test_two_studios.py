"""Two real `moviegen tui` processes (in tmux) on one running brain server: the screenplay edited and saved in
one shows up in the other within a second, through the brain's events."""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from tests.server.conftest import start_brain, stop_brain
from tests.tui.test_tmux import screen, wait_for

pytestmark = [pytest.mark.tui, pytest.mark.integration]

TMUX = shutil.which("tmux")
LIVE = 1.0  # seconds: the other studio shows a saved edit within this


def keys(session: str, *names: str) -> None:
    subprocess.run(["tmux", "send-keys", "-t", session, *names], check=True)


def listeners(url: str) -> int:
    text = httpx.get(url + "/metrics", timeout=5).text
    return int(re.search(r"^moviegen_brain_event_listeners (\d+)", text, re.M).group(1))


def until_listening(url: str, count: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while listeners(url) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"the studios never listened to the brain's events ({listeners(url)} of {count})")
        time.sleep(0.05)


def cursor(session: str) -> tuple[int, int]:
    shown = subprocess.run(["tmux", "display", "-p", "-t", session, "#{cursor_x} #{cursor_y}"], capture_output=True,
                           text=True, check=True).stdout.split()  # fmt: skip
    return int(shown[0]), int(shown[1])


def until_cursor(session: str, condition, what: str, timeout: float = 10.0) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while not condition(*(where := cursor(session))):
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what} (the cursor is at {where}); the screen was:\n{screen(session)}")
        time.sleep(0.05)
    return where


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (scripts/test installs it with apt-get as root)")
def test_an_edit_saved_in_one_studio_shows_in_the_other_within_a_second(lantern, tmp_path, monkeypatch):
    brain = start_brain(tmp_path)  # the same projects folder as this test's world (the sample, planned)
    socket_dir = tmp_path / "tmux"
    socket_dir.mkdir()
    env = {**brain.env, "MOVIEGEN_BRAIN_URL": brain.ws, "TMUX_TMPDIR": str(socket_dir), "TERM": "xterm-256color"}
    env.pop("TMUX", None)
    monkeypatch.setenv("TMUX_TMPDIR", str(socket_dir))  # capture-pane and send-keys find the same tmux server
    tag = uuid.uuid4().hex[:6]
    editor, other = f"edit-{tag}", f"watch-{tag}"
    try:
        for session in (editor, other):
            command = f"{sys.executable} -m moviegen tui; echo EXITED-$?; sleep 30"
            subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "40", command], env=env,
                           check=True)  # fmt: skip
        for session in (editor, other):
            assert "brain: brain server at ws://127.0.0.1" in wait_for(session, "1 project(s) in")
            keys(session, "Enter")
            wait_for(session, "Title: Lantern Road")
        until_listening(brain.url, 2)  # both follow the open project's events
        # the tabs have the focus; two Tabs give it to the screenplay editor (past the notes), whose cursor is the
        # terminal's: a key is sent once the one before it has moved the cursor (a key sent while the focus is
        # still on its way goes to the widget that had it)
        keys(editor, "Tab", "Tab")
        x, row = until_cursor(editor, lambda x, y: y > 2, "the cursor in the editor")
        keys(editor, "C-e")  # the end of the first line, "Title: Lantern Road"
        until_cursor(editor, lambda x2, y: y == row and x2 > x, "the cursor at the end of the title")
        times, title = [], "Lantern Road"
        for word in ("2", "3", "4", "5", "6"):  # short: the line fits the editor at any width
            keys(editor, "-l", f" {word}")
            title += f" {word}"
            wait_for(editor, f"Title: {title}")  # typed into the editor, not saved yet
            assert f"Title: {title}" not in screen(other)
            start = time.monotonic()
            keys(editor, "C-s")
            shown = ""
            while f"Title: {title}" not in shown and time.monotonic() - start < 5:
                shown = screen(other)
            times.append(time.monotonic() - start)
            assert f"Title: {title}" in shown, f"the other studio never showed the edit; its screen:\n{shown}"
            wait_for(editor, "screenplay saved")
            time.sleep(1.0)  # a person's next edit comes later (the other tabs have read the change by then)
        path = tmp_path / "projects" / "lantern-road" / "screenplay.fountain"
        assert path.read_text().startswith(f"Title: {title}\n")  # saved through the brain, once
        print(f"save in one studio -> shown in the other: {[round(t * 1000) for t in times]} ms, "
              f"median {statistics.median(times) * 1000:.0f} ms")  # fmt: skip
        assert max(times) < LIVE, times
        for session in (editor, other):
            keys(session, "C-q")
            assert "EXITED-0" in wait_for(session, "EXITED-")
        assert "Traceback" not in screen(editor) + screen(other)
    finally:
        subprocess.run(["tmux", "kill-server"], env=env, capture_output=True)
        stop_brain(brain)
