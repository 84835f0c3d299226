"""Task entry points that run inside worker processes."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from moviegen.core.brain import Brain
from moviegen.services.render.steps import run_step

_brain: Brain | None = None


def init_worker(brain_factory: Callable[[], Brain], nice: int = 0) -> None:
    """Pool initializer: each worker process builds its own brain once (at a lower priority if asked).

    A worker ends when the process that owns its pool dies, ``kill -9`` included (``_exit_with_owner``),
    and ignores Ctrl-C: the terminal sends SIGINT to the whole process group, and the owner, which gets it
    too, stops its workers itself (LocalPool.close) instead of each dying mid-step with a traceback."""
    global _brain
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_with_owner()
    if nice:
        os.nice(nice)
    _brain = brain_factory()


def _exit_with_owner() -> None:
    """Exit this worker as soon as the pool's owner dies, however it dies.

    Not PR_SET_PDEATHSIG: with the forkserver start method a worker's parent is the fork server, not the
    owner, and the fork server only exits once every worker has closed its copy of the server's "alive"
    pipe (multiprocessing/forkserver.py), so a parent-death signal would never come. Not polling
    os.getppid() either, for the same reason. multiprocessing gives each child a sentinel of the process
    that started it (the owner, whichever start method): the read end of a pipe whose write end only the
    owner holds. It reads as end-of-file the moment the owner is gone, so a daemon thread waits on it,
    without polling and without a race (a sentinel of an owner already dead is ready at once). With the
    workers gone the fork server and the resource tracker see their pipes close and exit too."""
    from multiprocessing import parent_process
    from multiprocessing.connection import wait

    owner = parent_process()
    if owner is None:  # not started by multiprocessing (a test calling init_worker directly)
        return

    def watch() -> None:
        wait([owner.sentinel])
        os._exit(1)  # mid-step is safe: a step's files appear whole or not at all, and the next render redoes it

    threading.Thread(target=watch, name="moviegen-owner-watch", daemon=True).start()


def run(kind: str, job: dict[str, Any]) -> dict[str, Any]:
    if _brain is None:
        raise RuntimeError("worker used before init_worker")
    return run_step(kind, job, _brain)


def ready() -> bool:
    """A no-op the pool submits to start its processes early."""
    return _brain is not None
