"""`moviegen up / down / logs`, and the CLI giving the same answers through the brain as in-process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import FIXTURES, SAMPLE
from tests.server.conftest import free_port


def run(env, *args, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "moviegen", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if check and proc.returncode:
        raise AssertionError(proc.stderr)
    return proc


@pytest.mark.integration
def test_up_status_down_logs_and_the_same_answers_both_ways(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")}
    env.update(MOVIEGEN_HOME=str(tmp_path / "home"), MOVIEGEN_PROJECTS_DIR=str(tmp_path / "projects"))
    source = SAMPLE if SAMPLE.exists() else FIXTURES / "lantern_road.fountain"
    run(env, "import", str(source), "--slug", "lr")
    run(env, "plan", "lr")
    local = {
        "status": json.loads(run(env, "status", "lr", "--json").stdout),
        "search": json.loads(run(env, "search", "lr", "the old man with the toolbox", "--json").stdout),
        "check": json.loads(run(env, "check", "lr", "--json").stdout),
    }
    assert local["status"]["brain"]["mode"] == "in-process"
    port = free_port()
    started = json.loads(run(env, "up", "--port", str(port), "--workers", "1", "--json").stdout)
    try:
        assert started["started_now"] and started["port"] == port
        again = json.loads(run(env, "up", "--port", str(port), "--json").stdout)
        assert not again["started_now"] and again["pid"] == started["pid"]
        remote = {
            "status": json.loads(run(env, "status", "lr", "--json").stdout),
            "search": json.loads(run(env, "search", "lr", "the old man with the toolbox", "--json").stdout),
            "check": json.loads(run(env, "check", "lr", "--json").stdout),
        }
        assert remote["status"]["brain"]["mode"].startswith("brain server at ws://127.0.0.1")
        for key in ("status",):
            remote[key]["brain"]["mode"] = local[key]["brain"]["mode"]
        assert remote == local
        report = json.loads(run(env, "render", "lr", "--resolution", "320x180", "--json").stdout)
        assert report["width"] == 320 and os.path.exists(report["film"])  # rendered by the brain
        assert "lr-16x9-180p24.mp4" in json.loads(run(env, "status", "lr", "--json").stdout)["renders"]
        busy = run(env, "brain", "serve", "--port", str(port), check=False)
        assert busy.returncode == 2 and "cannot listen" in busy.stderr
        assert "moviegen up" in run(env, "logs", "-n", "200").stdout
    finally:
        stopped = json.loads(run(env, "down", "--json").stdout)
    assert stopped["stopped"]["pid"] == started["pid"]
    assert json.loads(run(env, "status", "lr", "--json").stdout)["brain"]["mode"] == "in-process"
    assert "no brain was running" in run(env, "down").stdout


@pytest.mark.integration
def test_a_stale_pid_file_is_recovered(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")}
    env.update(MOVIEGEN_HOME=str(tmp_path / "home"), MOVIEGEN_PROJECTS_DIR=str(tmp_path / "projects"))
    port = free_port()
    first = json.loads(run(env, "up", "--port", str(port), "--json").stdout)
    os.kill(first["pid"], signal.SIGKILL)  # the brain dies; its pid file stays behind
    time.sleep(0.5)
    assert (tmp_path / "home" / "brain.pid").exists()
    second = json.loads(run(env, "up", "--port", str(port), "--json").stdout)
    try:
        assert second["started_now"] and second["pid"] != first["pid"]
    finally:
        run(env, "down")
