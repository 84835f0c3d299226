"""The event bus: every change and every job's progress, to whoever listens (CLI bars, the studio, the brain's
/events socket, the web view to come).

Publishing is thread-safe (jobs run in threads) and never blocks: each listener has a bounded queue, and a
listener too slow to keep up loses its oldest events rather than slowing the brain. A listener says which
projects it wants (``None``: all it is handed); the brain's doors decide which projects a caller may hear.
Async listeners (the server, the studio) get an ``asyncio.Queue``; a thread (the CLI following a render)
gets a ``queue.Queue``.

Several brain processes share their events through Redis (workers/events_redis.py): the bus hands each
event it publishes to its ``relay`` after the local listeners (the fast path), and ``deliver_remote`` hands
the other processes' events to the listeners that want them (``remote=True``, the default). A listener that
acts once per event — the webhook sender, the metrics counter — listens with ``remote=False``, so that each
event is acted on once, by the process that published it.
"""

from __future__ import annotations

import asyncio
import json
import queue as sync_queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

QUEUE = 1000

Wants = Callable[[str], bool] | None  # project slug -> does this listener want it


@dataclass(eq=False)
class _Listener:
    wants: Wants
    deliver: Callable[[str], None]
    remote: bool = True  # also the events other processes published (through the relay)

    def offer(self, project: str, text: str) -> None:
        if self.wants is None or self.wants(project):
            self.deliver(text)


class EventBus:
    def __init__(self) -> None:
        self._listeners: set[_Listener] = set()
        self._lock = threading.Lock()
        self.published = 0
        self.relay: Callable[[str, str], None] | None = None  # (project, text) -> other processes; never blocks

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def publish(self, kind: str, project: str = "", **data: Any) -> dict[str, Any]:
        event = {"kind": kind, "project": project, "at": time.time(), **data}
        text = json.dumps(event, default=str)
        self.published += 1
        with self._lock:
            targets = list(self._listeners)
        for listener in targets:
            listener.offer(project, text)
        if self.relay is not None:
            self.relay(project, text)
        return event

    def deliver_remote(self, project: str, text: str) -> None:
        """An event another process published (the relay's subscriber thread calls this)."""
        with self._lock:
            targets = [listener for listener in self._listeners if listener.remote]
        for listener in targets:
            listener.offer(project, text)

    # ------------------------------------------------------------------ listening
    def _add(self, listener: _Listener) -> _Listener:
        with self._lock:
            self._listeners.add(listener)
        return listener

    def _remove(self, listener: _Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def subscribe_async(self, wants: Wants = None, remote: bool = True) -> tuple[asyncio.Queue, _Listener]:
        """A queue of event texts on the running event loop; pass the listener to ``unsubscribe``."""
        loop = asyncio.get_running_loop()
        q: asyncio.Queue = asyncio.Queue(QUEUE)
        return q, self._add(_Listener(wants, lambda text: loop.call_soon_threadsafe(_offer, q, text), remote))

    def unsubscribe(self, listener: _Listener) -> None:
        self._remove(listener)

    async def stream(self, wants: Wants = None) -> AsyncIterator[dict[str, Any]]:
        """Events as dicts, for as long as the caller iterates."""
        q, listener = self.subscribe_async(wants)
        try:
            while True:
                yield json.loads(await q.get())
        finally:
            self._remove(listener)

    @contextmanager
    def listen(self, wants: Wants = None, remote: bool = True) -> Iterator[sync_queue.Queue]:
        """A thread-side queue of event dicts for the block (the CLI following a job)."""
        q: sync_queue.Queue = sync_queue.Queue(QUEUE)

        def deliver(text: str) -> None:
            try:
                q.put_nowait(json.loads(text))
            except sync_queue.Full:
                try:
                    q.get_nowait()  # drop the oldest
                except sync_queue.Empty:
                    pass
                q.put_nowait(json.loads(text))

        listener = self._add(_Listener(wants, deliver, remote))
        try:
            yield q
        finally:
            self._remove(listener)


def _offer(q: asyncio.Queue, text: str) -> None:
    if q.full():
        q.get_nowait()  # drop the oldest
    q.put_nowait(text)
