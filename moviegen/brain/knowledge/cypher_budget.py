"""A time budget for a Cypher query that runs in pure Python: past its deadline, the query's own thread
gets an exception (CPython's ``PyThreadState_SetAsyncExc``), raised between two bytecodes.

One watchdog thread per process (a daemon, started on first use) keeps the deadlines in a heap and sleeps
until the earliest; with nothing to watch it waits without waking. Arming a deadline costs a lock and a
heap push: a timer thread per query cost ~5 ms of thread start-up on a busy machine, more than many queries.

What it guarantees: code that runs Python bytecode (grand-cypher, networkx, lark) is stopped within about a
switch interval (5 ms) of its deadline. A thread blocked inside one C call is stopped when that call returns.
A raise that has been requested but not yet delivered when the block ends is withdrawn, so it never lands
outside the block.
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import threading
import time
from contextlib import contextmanager


class OverBudget(BaseException):  # not an Exception: no `except Exception` on the way swallows it
    pass


def _raise_in(tid: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(exc) if exc else None)


class _Watch:
    __slots__ = ("tid", "lock", "done", "fired")

    def __init__(self, tid: int) -> None:
        self.tid = tid
        self.lock = threading.Lock()
        self.done = False
        self.fired = False

    def fire(self) -> None:
        with self.lock:
            if not self.done:
                self.fired = True
                _raise_in(self.tid, OverBudget)

    def close(self) -> None:
        with self.lock:
            self.done = True
            if self.fired:  # requested, perhaps not delivered yet: withdraw it
                _raise_in(self.tid, None)


class _Watchdog:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float) -> _Watch:
        watch = _Watch(threading.get_ident())
        due = time.monotonic() + seconds
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="moviegen-cypher-budget", daemon=True)
                self._thread.start()
            sooner = not self._heap or due < self._heap[0][0]
            heapq.heappush(self._heap, (due, next(self._order), watch))
            if sooner:
                self._cond.notify()
        return watch

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                due, _, watch = self._heap[0]
                left = due - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                heapq.heappop(self._heap)
                watch.fire()


_WATCHDOG = _Watchdog()


@contextmanager
def deadline(seconds: float):
    """Raise OverBudget in this thread once ``seconds`` have passed, unless the block has ended by then."""
    watch = _WATCHDOG.watch(seconds)
    try:
        yield
    finally:
        watch.close()
    if watch.fired:  # it fired as the block was ending and the raise was withdrawn: the budget still ran out
        raise OverBudget
