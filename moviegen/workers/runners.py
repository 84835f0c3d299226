"""The one place that picks a runner: steps in this process, one warm local pool for a process's life, or
Celery workers on Redis (the settings' ``executor``: MOVIEGEN_EXECUTOR=celery, ``--executor celery``).

A LocalBrain owns one ``Runners`` for its life and closes it with itself, so the CLI's in-process render,
the brain server and the studio each have one. Workers may import core and services only, so the brain
that steps use comes from a factory the caller passes in (``LocalBrain``; a class pickles by name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from moviegen.core.brain import Brain
from moviegen.workers.pool import STOP_TIMEOUT, InlineRunner, LocalPool, WorkersStoppedError

EXECUTORS = ("local", "celery")

if TYPE_CHECKING:
    from moviegen.workers.celery_runner import CeleryRunner


class Runners:
    """Render runners for one process's life.

    ``workers == 1`` runs steps in this process, one after another (InlineRunner), with a brain from
    ``inline_brain()`` (default ``brain_factory()``) per render, since renders may run side by side in
    threads. Any other count (0: one per core) is one LocalPool of that many processes at CPU priority
    ``nice``, started by warm() or on first use and shared by every render.

    ``borrow()`` lends the runner for one render; giving it back never stops the pool (the next render
    pays no start-up). ``close(timeout)`` stops everything the pool started — its workers and
    multiprocessing's fork server and resource tracker — within about ``timeout`` seconds: queued steps
    are cancelled, running ones get half the time to finish, then their workers are terminated. A render
    still running then stops with WorkersStoppedError and resumes on its next run (steps are idempotent
    and content-addressed). A step running in this process (``workers == 1``) cannot be interrupted: it
    ends when it ends. Used as a context manager, ``Runners`` closes on the way out.

    ``executor`` 'celery' (None: the settings') sends every step to Celery workers instead (CeleryRunner;
    ``workers`` is then theirs to choose: ``moviegen worker --concurrency``); closing it stops listening.
    """

    def __init__(
        self,
        brain_factory: Callable[[], Brain],
        workers: int = 0,
        *,
        nice: int = 0,
        inline_brain: Callable[[], Brain] | None = None,
        executor: str | None = None,
        settings=None,
    ) -> None:
        from moviegen.core.settings import get_settings

        settings = settings or get_settings()
        self.executor = executor or settings.executor
        self.workers = workers
        if self.executor == "celery":
            from moviegen.workers.celery_runner import CeleryRunner

            self._pool = CeleryRunner(settings)
        else:
            self._pool = None if workers == 1 else LocalPool(brain_factory, workers, nice=nice)
        self._inline_brain = inline_brain or brain_factory
        self._closed = False

    def warm(self) -> None:
        """Start the pool's workers now, so they boot while the caller does its own start-up work."""
        if self._pool is not None:
            self._pool.warm()

    @contextmanager
    def borrow(self) -> Iterator[LocalPool | InlineRunner | CeleryRunner]:
        """The StepRunner for one render (services.render.steps), as a context manager: what a JobManager
        calls for each job (its ``runners`` argument) is ``Runners.borrow``."""
        if self._closed:
            raise WorkersStoppedError()
        yield self._pool if self._pool is not None else InlineRunner(self._inline_brain())

    def close(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop everything the pool started, within about ``timeout`` seconds. Idempotent."""
        self._closed = True
        if self._pool is not None:
            self._pool.close(timeout)

    def __enter__(self) -> Runners:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
