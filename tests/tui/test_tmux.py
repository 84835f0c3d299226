"""The real `moviegen tui` in a real terminal (tmux): it starts, shows the projects, takes keys, opens a
project and quits cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid

import pytest

pytestmark = [pytest.mark.tui, pytest.mark.integration]

TMUX = shutil.which("tmux")


def screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = screen(session)
        if text in shown:
            return shown
        time.sleep(0.1)
    raise AssertionError(f"'{text}' never appeared; the screen was:\n{shown}")


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (scripts/test installs it with apt-get as root)")
@pytest.mark.parametrize("args", ["tui", ""], ids=["moviegen-tui", "bare-moviegen"])
def test_moviegen_tui_in_tmux(lantern, tmp_path, monkeypatch, args):
    session = f"mg-{uuid.uuid4().hex[:8]}"
    socket_dir = tmp_path / "tmux"
    socket_dir.mkdir()
    env = {**os.environ, "TMUX_TMPDIR": str(socket_dir), "TERM": "xterm-256color"}
    env.pop("TMUX", None)
    command = f"{sys.executable} -m moviegen {args}; echo EXITED-$?; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command], env=env, check=True)
    monkeypatch.setenv("TMUX_TMPDIR", str(socket_dir))  # capture-pane and send-keys find the same server
    try:
        shown = wait_for(session, "1 project(s) in")
        assert "lantern-road" in shown and "in-process" in shown
        subprocess.run(["tmux", "send-keys", "-t", session, "Enter"], check=True)
        shown = wait_for(session, "Storyboard")
        assert "Title: Lantern Road" in wait_for(session, "Title: Lantern Road")
        subprocess.run(["tmux", "send-keys", "-t", session, "F3"], check=True)
        assert "TOMAS" in wait_for(session, "TOMAS")
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        shown = wait_for(session, "EXITED-")
        assert "EXITED-0" in shown and "Traceback" not in shown
    finally:
        subprocess.run(["tmux", "kill-server"], env=env, capture_output=True)
