"""The local pool: render steps in parallel worker processes, results as they finish.

A worker that dies (killed, out of memory) breaks the pool; the pool is rebuilt
and the unfinished jobs are tried again, up to ``retries`` times. Finished
results have already been handed back (and recorded by the caller), so nothing
done is redone.

``close(timeout)`` stops, within that time, every process the pool started: its
workers (cancelling queued steps, terminating running ones that do not finish
in time), and multiprocessing's fork server and resource tracker. A closed pool
never starts processes again: a render running on it stops with
``WorkersStoppedError`` and resumes on its next run. Workers also end on their
own when the process that owns the pool dies (tasks.init_worker).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from multiprocessing.connection import wait as wait_ready
from typing import Any

from moviegen.core.brain import Brain
from moviegen.core.errors import RenderError
from moviegen.workers import tasks

Item = tuple[str, dict[str, Any]]

STOP_TIMEOUT = 2.0  # seconds close() may take: running steps get half of it to finish, then their workers go


class WorkersStoppedError(RenderError):
    """The pool was closed under a render (its owner is stopping); finished steps are kept."""

    def __init__(self) -> None:
        super().__init__(
            "the render workers were stopped before the render finished",
            "run the same render again: it resumes where it stopped (finished steps are kept)",
        )


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
        self._closed = False
        self._lock = threading.Lock()  # renders in several threads share the pool; close() comes from another

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise WorkersStoppedError()
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
        """Results as they finish. A render that stops listening (cancelled, failed) cancels its steps
        still queued, so the shared pool moves on to other renders' work."""
        pending = list(items)
        attempts = 0
        while pending:
            executor = self._executor()
            try:
                futures: dict[Future, Item] = {
                    executor.submit(tasks.run, kind, job): (kind, job) for kind, job in pending
                }
            except BrokenProcessPool:  # another render's worker died meanwhile: a fresh executor takes over
                self._forget(executor)
                continue
            except RuntimeError:  # shut down meanwhile, by close() or the interpreter's exit
                raise WorkersStoppedError() from None
            pending = []
            broken = False
            not_done = set(futures)
            try:
                while not_done:
                    done, not_done = wait(not_done, return_when=FIRST_COMPLETED)
                    for fut in done:
                        try:
                            result = fut.result()
                        except (BrokenProcessPool, CancelledError):
                            if self._closed:  # close() cancelled the queued steps and stopped the running ones
                                raise WorkersStoppedError() from None
                            broken = True
                            pending.append(futures[fut])
                            continue
                        yield futures[fut][1], result
            finally:
                for fut in not_done:
                    fut.cancel()
            if broken:
                attempts += 1
                self._forget(executor)  # a broken executor is unusable; the next round builds a new one
                if attempts > self.retries:
                    raise RenderError(
                        f"a render worker died {attempts} times ({len(pending)} steps unfinished)",
                        "check memory and disk space, then run the same command again: finished work is kept",
                    )

    def _forget(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is executor:
                self._pool = None
        executor.shutdown(wait=False)  # it already stopped its workers when it broke

    def close(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop every process the pool started, in about ``timeout`` seconds at most: queued steps are
        cancelled, running ones get half the time to finish, then their workers are terminated (and killed
        if they linger); multiprocessing's fork server and resource tracker go last. Idempotent; a closed
        pool refuses new work."""
        with self._lock:
            self._closed = True
            executor, self._pool = self._pool, None
        deadline = time.monotonic() + timeout
        ended = _stop_executor(executor, deadline) if executor is not None else True
        if ended and not mp.active_children():  # nothing of this process still needs them (another pool, say)
            _stop_mp_helpers(max(deadline, time.monotonic() + 0.5))

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


def _stop_executor(executor: ProcessPoolExecutor, deadline: float) -> bool:
    """Shut ``executor`` down by ``deadline``: idle workers leave at once, busy ones are terminated after
    half the time. True once its workers and its manager thread have ended. ``_processes`` and
    ``_executor_manager_thread`` are private (CPython 3.11-3.13); they are read before shutdown(), which
    forgets them."""
    processes = list((executor._processes or {}).values())
    manager = executor._executor_manager_thread
    start = time.monotonic()
    executor.shutdown(wait=False, cancel_futures=True)
    _wait_exit(processes, start + (deadline - start) / 2)
    for process in processes:
        if process.is_alive():
            process.terminate()
    _wait_exit(processes, start + (deadline - start) * 0.8)
    for process in processes:
        if process.is_alive():
            process.kill()
    _wait_exit(processes, deadline)
    if manager is not None:  # it reaps the workers, fails the steps they held and closes the queues
        manager.join(max(0.1, deadline - time.monotonic()))
    return not any(p.is_alive() for p in processes) and not (manager is not None and manager.is_alive())


def _wait_exit(processes: list, until: float) -> None:
    while True:
        alive = [p.sentinel for p in processes if p.is_alive()]
        left = until - time.monotonic()
        if not alive or left <= 0:
            return
        wait_ready(alive, left)


def _stop_mp_helpers(until: float) -> None:
    """Stop multiprocessing's fork server and resource tracker, which would otherwise live as long as this
    process. CPython has no public way: both have a ``_stop()`` that its own tests use (3.11-3.13: close
    the pipe the helper watches, then reap it). Called once the pool's workers have ended (they hold both
    pipes) and its queues are closed (so their semaphores are unregistered, and the tracker has nothing
    to report as leaked). A helper still running at ``until`` is killed."""
    from multiprocessing import forkserver, resource_tracker

    server = forkserver._forkserver
    if server._forkserver_pid is not None:  # it holds nothing to save: a signal spares its interpreter's
        with suppress(ProcessLookupError):  # exit, ~1 s under load with numpy and PyAV preloaded
            os.kill(server._forkserver_pid, signal.SIGKILL)
    for helper, pid_attr in ((server, "_forkserver_pid"), (resource_tracker._resource_tracker, "_pid")):
        pid, stop = getattr(helper, pid_attr, None), getattr(helper, "_stop", None)
        if pid is None or stop is None:
            continue
        stopper = threading.Thread(target=stop, name="moviegen-stop-mp-helper", daemon=True)
        stopper.start()
        stopper.join(max(0.1, until - time.monotonic()))
        if stopper.is_alive():  # someone else still holds its pipe: kill it, which also ends _stop()'s waitpid
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            stopper.join(1.0)


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

    def close(self, timeout: float = STOP_TIMEOUT) -> None:
        """Nothing to stop: a step running in this process ends with the step (or the process)."""

    def __enter__(self) -> InlineRunner:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        pass
