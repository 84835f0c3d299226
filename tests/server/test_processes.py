"""`moviegen brain serve --processes 2` on a real redis-server: two clients on different processes see each
other's changes as events, a job started through one is cancelled through the other, and every process stops
on SIGTERM or with its supervisor (kill -9)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from websockets.sync.client import connect

from moviegen.brain.remote import RemoteBrain
from moviegen.core.errors import ProjectStateError
from tests.conftest import FIXTURES, SAMPLE
from tests.fakes.redis_server import redis_server
from tests.server.conftest import free_port, start_brain

SLUG = "lr"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A home with the sample screenplay imported and planned, and a redis-server on loopback."""
    root = tmp_path_factory.mktemp("processes")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")}
    env.update(MOVIEGEN_HOME=str(root / "home"), MOVIEGEN_PROJECTS_DIR=str(root / "projects"))
    source = SAMPLE if SAMPLE.exists() else FIXTURES / "lantern_road.fountain"
    for args in (["import", str(source), "--slug", SLUG], ["plan", SLUG]):
        subprocess.run([sys.executable, "-m", "moviegen", *args], env=env, check=True, capture_output=True)
    with redis_server(root / "redis") as redis:
        yield root, redis


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (its brain processes, and theirs)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return {p for p in pids if alive(p)}


def clients_on_two_processes(ws_url: str) -> tuple[RemoteBrain, RemoteBrain]:
    """Connect until two clients answer from different brain processes (the kernel spreads connections)."""
    first = RemoteBrain(ws_url)
    deadline = time.monotonic() + 30  # the second process may still be starting
    while time.monotonic() < deadline:
        other = RemoteBrain(ws_url)
        if other.whoami()["pid"] != first.whoami()["pid"]:
            return first, other
        other.close()
        time.sleep(0.05)
    first.close()
    raise AssertionError("every connection landed on one brain process")


def events_socket_on(base: str, pid: int):
    """An /events socket served by the brain process ``pid`` (the response names its process)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ws = connect(f"{base}/events?project={SLUG}")
        if int(ws.response.headers["x-moviegen-pid"]) == pid:
            return ws
        ws.close()
    raise AssertionError(f"no /events socket reached process {pid}")


def next_event(ws, kind: str, timeout: float) -> dict | None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = json.loads(ws.recv(timeout=left))
        except TimeoutError:
            return None
        if event["kind"] == kind:
            return event
    return None


@pytest.mark.integration
def test_two_processes_share_events_and_job_cancels_and_stop_together(world):
    root, redis = world
    brain = start_brain(root, "--processes", "2", env_extra={"MOVIEGEN_REDIS_URL": redis.url})
    base = brain.url.replace("http://", "ws://")
    stopped = False
    try:
        a, b = clients_on_two_processes(brain.ws)
        pid_a, pid_b = a.whoami()["pid"], b.whoami()["pid"]
        assert {pid_a, pid_b} <= descendants(brain.proc.pid)
        on_a, on_b = events_socket_on(base, pid_a), events_socket_on(base, pid_b)

        # a change made through process A is an event on process B's socket within 1 s, and A's own once
        sp = a.screenplay_get(SLUG)
        started = time.monotonic()
        a.screenplay_update(SLUG, sp["text"] + "\n[[from process A]]\n", sp["digest"])
        seen = next_event(on_b, "screenplay.updated", 1.0)
        assert seen is not None and seen["project"] == SLUG, "process B's listener never heard of A's change"
        assert time.monotonic() - started < 1.0
        assert next_event(on_a, "screenplay.updated", 1.0) is not None
        assert next_event(on_a, "screenplay.updated", 0.5) is None, "A's own listener got its event twice"
        assert next_event(on_b, "screenplay.updated", 0.3) is None

        # a job started through A (it runs there) is cancelled through B
        job = a.render_start(SLUG, resolution="640x360")
        assert b.job_status(job["id"])["owner"]["pid"] == pid_a  # B reads it from the project's index
        with pytest.raises(ProjectStateError, match="already rendering"):  # B knows the project is busy
            b.render_start(SLUG, resolution="640x360")
        b.job_cancel(job["id"])
        ended = next_event(on_b, "job.cancelled", 20.0)
        assert ended is not None and ended["job"] == job["id"], "the cancel never reached the process running it"
        deadline = time.monotonic() + 5
        while b.job_status(job["id"])["status"] != "cancelled" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert b.job_status(job["id"])["status"] == "cancelled"
        assert a.job_status(job["id"])["status"] == "cancelled"

        # two starts at the same moment, one through each process: exactly one runs (the project's index decides)
        for _ in range(3):
            barrier, outcomes = threading.Barrier(2), []

            def start(client, barrier=barrier, outcomes=outcomes):
                barrier.wait()
                try:
                    outcomes.append(("started", client.render_start(SLUG, resolution="640x360")["id"]))
                except ProjectStateError as exc:
                    outcomes.append(("refused", str(exc)))

            racers = [threading.Thread(target=start, args=(client,)) for client in (a, b)]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join(60)
            assert sorted(kind for kind, _ in outcomes) == ["refused", "started"], outcomes
            started = next(job_id for kind, job_id in outcomes if kind == "started")
            assert "already rendering" in next(text for kind, text in outcomes if kind == "refused")
            b.job_cancel(started)
            deadline = time.monotonic() + 20  # both: the process that runs it, and the other reading the index
            while {a.job_status(started)["status"], b.job_status(started)["status"]} != {"cancelled"}:
                assert time.monotonic() < deadline, "the cancel did not end the job"
                time.sleep(0.1)
        for ws in (on_a, on_b):
            ws.close()
        a.close()
        b.close()

        # SIGTERM to the supervisor stops every process within 5 s, and nothing is left
        everything = descendants(brain.proc.pid)
        began = time.monotonic()
        brain.proc.send_signal(signal.SIGTERM)
        assert brain.proc.wait(10) == 0
        stopped = True
        assert time.monotonic() - began < 5.0
        assert wait_gone(everything, 1.0) == set()
    finally:
        if not stopped:
            left = descendants(brain.proc.pid)
            brain.proc.kill()
            brain.proc.wait()
            for pid in left:
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


@pytest.mark.integration
def test_the_processes_die_with_their_supervisor(world):
    root, redis = world
    brain = start_brain(root, "--processes", "2", env_extra={"MOVIEGEN_REDIS_URL": redis.url})
    children = descendants(brain.proc.pid)
    try:
        assert len(children) >= 2
        brain.proc.kill()  # kill -9: no handler runs in the supervisor
        brain.proc.wait()
        assert wait_gone(children, 5.0) == set()
    finally:
        for pid in children:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.integration
def test_several_processes_without_redis_is_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")}
    env.update(MOVIEGEN_HOME=str(tmp_path / "home"), MOVIEGEN_PROJECTS_DIR=str(tmp_path / "projects"))
    proc = subprocess.run(
        [sys.executable, "-m", "moviegen", "brain", "serve", "--port", str(free_port()), "--processes", "2"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "MOVIEGEN_REDIS_URL" in proc.stderr
