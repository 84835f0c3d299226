"""The local pool: render steps in parallel worker processes, results as they finish.

A worker that dies (killed, out of memory) breaks the pool; the pool is rebuilt
and the unfinished jobs are tried again, up to ``retries`` times. Finished
results have already been handed back (and recorded by the caller), so nothing
done is redone.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from moviegen.core.brain import Brain
from moviegen.core.errors import RenderError
from moviegen.workers import tasks

Item = tuple[str, dict[str, Any]]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class LocalPool:
    def __init__(self, brain_factory: Callable[[], Brain], workers: int = 0, retries: int = 2, nice: int = 0) -> None:
        """``nice`` lowers the workers' CPU priority: an interactive app beside them stays responsive, and
        they still get every cycle nobody else wants."""
        self.brain_factory = brain_factory
        self.nice = nice
        self.workers = workers or default_workers()
        self.retries = retries
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._ctx = mp.get_context(method)
        if method == "forkserver":
            self._ctx.set_forkserver_preload(["moviegen.workers.tasks", "numpy", "PIL.Image", "av"])
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=self._ctx,
                initializer=tasks.init_worker,
                initargs=(self.brain_factory, self.nice),
            )
        return self._pool

    def warm(self) -> None:
        """Start the workers now (they boot while the caller does other start-up work)."""
        pool = self._executor()
        for _ in range(self.workers):
            pool.submit(tasks.ready)

    def run(self, items: list[Item]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        pending = list(items)
        attempts = 0
        while pending:
            futures: dict[Future, Item] = {
                self._executor().submit(tasks.run, kind, job): (kind, job) for kind, job in pending
            }
            pending = []
            broken = False
            not_done = set(futures)
            while not_done:
                done, not_done = wait(not_done, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        pending.append(futures[fut])
                        continue
                    yield futures[fut][1], result
            if broken:
                attempts += 1
                self._pool = None  # the broken executor is unusable; the next round builds a new one
                if attempts > self.retries:
                    raise RenderError(
                        f"a render worker died {attempts} times ({len(pending)} steps unfinished)",
                        "check memory and disk space, then run the same command again: finished work is kept",
                    )

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)
            self._pool = None

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)


class InlineRunner:
    """Runs steps one after another in this process (``--workers 1``, debugging)."""

    def __init__(self, brain: Brain) -> None:
        self.brain = brain

    def warm(self) -> None:
        """Nothing to start: steps run in this process."""

    def run(self, items: list[Item]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        from moviegen.services.render.steps import run_step

        for kind, job in items:
            yield job, run_step(kind, job, self.brain)

    def close(self, cancel: bool = False) -> None:
        pass

    def __enter__(self) -> InlineRunner:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        pass
