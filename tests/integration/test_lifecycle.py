"""Every process the brain or the CLI starts, it stops: on SIGTERM, SIGINT and `moviegen down` the brain is
gone within 5 s with its render workers, and a render killed with `kill -9` leaves nothing running.

Each test marks the process it starts with a unique environment variable; everything started under it
inherits the mark, so /proc tells which processes are still running — its fork server, workers and
multiprocessing's resource tracker included, wherever they were reparented."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import marked_processes
from tests.integration.conftest import RES, env_for, import_and_plan
from tests.server.conftest import free_port, start_brain

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds processes through /proc"),
]

MARK = "MOVIEGEN_LIFECYCLE_MARK"
STOP_WITHIN = 5.0


def wait_for_workers(mark: str, count: int = 2, timeout: float = 60.0) -> dict[int, str]:
    """The marked processes once ``count`` pool workers run (forked by the fork server, they keep its
    command line; so ``count`` workers and the server make ``count + 1`` such processes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = marked_processes(mark, MARK)
        if sum("multiprocessing.forkserver" in cmd for cmd in found.values()) >= count + 1:
            return found
        time.sleep(0.05)
    raise AssertionError(f"no {count} pool workers after {timeout} s: {marked_processes(mark, MARK)}")


def gone_within(mark: str, seconds: float) -> dict[int, str]:
    """The marked processes still running after ``seconds`` (none, as soon as there are none)."""
    deadline = time.monotonic() + seconds
    while (left := marked_processes(mark, MARK)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


@pytest.fixture
def mark():
    """A unique mark; whatever still carries it when the test ends is killed (and the test has failed)."""
    value = uuid.uuid4().hex
    yield value
    for pid in marked_processes(value, MARK):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.slow
def test_a_render_killed_with_kill_9_leaves_no_process(tmp_path, sample_source, mark):
    import_and_plan(tmp_path, sample_source, "film")
    render = subprocess.Popen(
        [sys.executable, "-m", "moviegen", "render", "film", "--resolution", RES, "--workers", "2", "--json"],
        env={**env_for(tmp_path), MARK: mark}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        running = wait_for_workers(mark)
        assert render.poll() is None, "the render ended before it could be killed"
        assert len(running) >= 5, running  # the render, the resource tracker, the fork server, two workers
        render.kill()
        render.wait()
        left = gone_within(mark, STOP_WITHIN)
        assert not left, f"still running {STOP_WITHIN} s after the render was killed: {left}"
    finally:
        render.kill()
        render.wait()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_brain_stops_within_5_s_on_a_signal_with_everything_it_started(tmp_path, mark, sig):
    brain = start_brain(tmp_path, "--workers", "2", env_extra={MARK: mark})  # the last --workers counts
    try:
        wait_for_workers(mark)
        started = time.monotonic()
        brain.proc.send_signal(sig)
        brain.proc.wait(STOP_WITHIN)
        left = gone_within(mark, STOP_WITHIN - (time.monotonic() - started))
        elapsed = time.monotonic() - started
        assert not left and elapsed < STOP_WITHIN, (elapsed, left)
        assert brain.proc.returncode == 0  # a requested stop is a clean exit
    finally:
        brain.proc.kill()
        brain.proc.wait()


def test_moviegen_down_stops_the_brain_within_5_s_with_everything_it_started(tmp_path, mark):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")}
    env.update(MOVIEGEN_HOME=str(tmp_path / "home"), MOVIEGEN_PROJECTS_DIR=str(tmp_path / "projects"))
    env[MARK] = mark

    def moviegen(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "moviegen", *args], env=env, capture_output=True, text=True, timeout=120, check=True
        )

    record = json.loads(moviegen("up", "--port", str(free_port()), "--workers", "2", "--json").stdout)
    try:
        assert record["pid"] in wait_for_workers(mark)
        stopped = json.loads(moviegen("down", "--json").stdout)["stopped"]
        assert stopped["pid"] == record["pid"]
        # timed by `down` from its SIGTERM (this process's clock would add the command's start-up)
        assert not stopped["killed"] and stopped["stop_seconds"] < STOP_WITHIN, stopped
        assert not marked_processes(mark, MARK)  # the brain stopped its workers before it exited
    finally:
        subprocess.run([sys.executable, "-m", "moviegen", "down"], env=env, capture_output=True, timeout=60)


@pytest.mark.slow
def test_a_brain_stopped_mid_render_records_it_interrupted_and_a_restarted_brain_resumes_it(
    tmp_path, sample_source, mark
):
    """SIGTERM while rendering: the brain and its workers are gone within 5 s, the job is stored as
    interrupted; the next brain lists it (`moviegen jobs`) and a retry finishes it with the steps it had done."""
    from moviegen.brain.remote import RemoteBrain

    import_and_plan(tmp_path, sample_source, "film")
    port = free_port()
    brain = start_brain(tmp_path, "--workers", "2", env_extra={MARK: mark}, port=port)
    remote = RemoteBrain(brain.ws)
    try:
        job = remote.render_start("film", resolution=RES)
        for view in remote.follow(job["id"], timeout=120):
            if view["status"] not in ("queued", "running") or view["stages"].get("pictures", {}).get("done", 0) >= 3:
                break
        assert view["status"] == "running", view
        started = time.monotonic()
        brain.proc.send_signal(signal.SIGTERM)
        brain.proc.wait(STOP_WITHIN)
        left = gone_within(mark, STOP_WITHIN - (time.monotonic() - started))
        assert not left and time.monotonic() - started < STOP_WITHIN, left
    finally:
        remote.close()
        brain.proc.kill()
        brain.proc.wait()
    # a brain that would not take the job up by itself (MOVIEGEN_JOBS__RESUME: tests/integration/test_resume.py)
    brain = start_brain(tmp_path, "--workers", "2", env_extra={MARK: mark, "MOVIEGEN_JOBS__RESUME": "false"}, port=port)
    try:
        listed = json.loads(brain.cli("jobs", "film", "--json", remote=True).stdout)
        assert [(j["id"], j["status"]) for j in listed] == [(job["id"], "interrupted")]
        report = json.loads(brain.cli("job", "retry", job["id"], "--json", remote=True).stdout)
        assert sum(report["cached"].values()) > 0  # what the first brain finished was reused
        assert [j["status"] for j in json.loads(brain.cli("jobs", "film", "--json", remote=True).stdout)] == [
            "done", "interrupted"]  # fmt: skip
    finally:
        brain.proc.terminate()
        brain.proc.wait(30)
