"""Several brain processes behind one port (``moviegen brain serve --processes N``).

Each process is a whole brain server (run.serve: its own uvicorn, LocalBrain and render pool) that binds the port
itself with SO_REUSEPORT; the kernel spreads new connections over the N listening sockets by a hash of the
client's address and port. Chosen over one socket shared by all (uvicorn's own ``--workers``): with a shared
socket every process wakes for each connection and whichever is quickest takes it, which leaves long-lived
WebSockets bunched on one process; SO_REUSEPORT spreads them evenly, and each process stays the plain
single-process brain (its stop, TLS and door unchanged). Only processes of the same user can join the port.

The parent (this supervisor) serves nothing: it starts the N processes, starts another when one dies after
running a while (one that dies within START_GRACE seconds stops them all: it would die again), and on SIGTERM
or SIGINT (``moviegen down`` sends SIGTERM) passes SIGTERM on, waits up to STOP_WAIT seconds for their graceful
stop (running jobs are recorded as interrupted, pools stopped), then kills what is left. Each child gets
SIGTERM from the kernel when the supervisor dies however it dies (PR_SET_PDEATHSIG), kill -9 included; a
child's render workers end with their child (workers/tasks.py).

What the processes share: the projects folder and each project's index (jobs and their status, the story,
SQLite with its own locking), MOVIEGEN_HOME (tokens, people, schedule.lock: one process runs the schedule), and
through Redis (MOVIEGEN_REDIS_URL, required when N > 1) the events and job cancels (workers/events_redis.py).
What they do not: each has its own render pool (``--workers`` is per process), open connections and their MCP
sessions (a client stays on the process it connected to), login rate limits, caches and /metrics counters
(a scrape reaches one process).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from moviegen.core.errors import MoviegenError, UsageError

STOP_WAIT = 4.5  # seconds the children get to stop gracefully (`moviegen down` kills the group after 5)
START_GRACE = 10.0  # a child that exits sooner than this after its start stops the whole brain


def check_shared(processes: int) -> str | None:
    """The Redis URL the processes share events through (None for one process without Redis), checked now."""
    from moviegen.core.settings import get_settings

    url = get_settings().redis_url
    if processes > 1 and not url:
        raise UsageError(
            f"--processes {processes} shares events and job cancels through Redis, and MOVIEGEN_REDIS_URL is not set",
            "set MOVIEGEN_REDIS_URL=redis://HOST:6379/0 (any Redis 5 or later), or serve with one process",
        )
    if url:
        from moviegen.workers.events_redis import connect

        connect(url).close()
    return url


def serve_processes(processes: int, options: dict[str, Any]) -> None:
    """Run ``processes`` brain servers on options' host and port until SIGTERM/SIGINT (run.serve's options)."""
    check_shared(processes)
    stop = threading.Event()

    def on_signal(signum, frame) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    children: dict[int, tuple[subprocess.Popen, float]] = {}
    failure: str | None = None
    try:
        for index in range(processes):
            children[index] = (_start(index, options), time.monotonic())
        while not stop.wait(0.1):
            for index, (proc, started) in list(children.items()):
                code = proc.poll()
                if code is None:
                    continue
                if time.monotonic() - started < START_GRACE:
                    failure = f"brain process {index} (pid {proc.pid}) exited with code {code} as it started"
                    stop.set()
                    break
                print(f"brain process {index} (pid {proc.pid}) ended with code {code}; starting another",
                      file=sys.stderr, flush=True)  # fmt: skip
                children[index] = (_start(index, options), time.monotonic())
    finally:
        _stop_all([proc for proc, _ in children.values()])
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failure:
        raise MoviegenError(failure, "see the lines above it for why (the port, Redis, a setting)")


def _start(index: int, options: dict[str, Any]) -> subprocess.Popen:
    parent = os.getpid()

    def die_with_parent() -> None:  # in the child, before it runs Python: SIGTERM when the supervisor dies
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)
        if os.getppid() != parent:  # the supervisor died before the line above: no signal will come
            os._exit(0)

    command = [sys.executable, "-m", "moviegen.brain.server.processes", json.dumps({**options, "index": index})]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, preexec_fn=die_with_parent)  # noqa: PLW1509


def _stop_all(children: list[subprocess.Popen]) -> None:
    for proc in children:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    for proc in children:
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()  # its render workers see it gone and exit (workers/tasks.py)
            proc.wait()


def child_main(argv: list[str]) -> None:
    """One of the N processes: run.serve on a port shared with its siblings (SO_REUSEPORT)."""
    from moviegen.brain.server.run import serve

    options = json.loads(argv[0])
    options.pop("index", None)
    if options.get("tls"):
        options["tls"] = tuple(options["tls"])
    try:
        serve(**options, reuse_port=True)
    except MoviegenError as exc:
        print(f"error: {exc.message} — {exc.hint}", file=sys.stderr, flush=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    child_main(sys.argv[1:])
