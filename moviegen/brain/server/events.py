"""Live updates: the brain publishes events (job progress, edits) to every listener of /events.

Publishing is thread-safe (render jobs run in threads) and never blocks: each
listener has a bounded queue, and a listener too slow to keep up loses its
oldest events rather than slowing the brain.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

QUEUE = 1000


class EventBus:
    def __init__(self) -> None:
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]] = set()
        self._lock = threading.Lock()
        self.published = 0

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(QUEUE)
        with self._lock:
            self._listeners.add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        with self._lock:
            self._listeners = {(lp, q) for lp, q in self._listeners if q is not queue}

    @property
    def listeners(self) -> int:
        return len(self._listeners)

    def publish(self, kind: str, **data: Any) -> None:
        text = json.dumps({"kind": kind, "at": time.time(), **data}, default=str)
        self.published += 1
        with self._lock:
            targets = list(self._listeners)
        for loop, queue in targets:
            loop.call_soon_threadsafe(_offer, queue, text)


def _offer(queue: asyncio.Queue, text: str) -> None:
    if queue.full():
        queue.get_nowait()  # drop the oldest
    queue.put_nowait(text)
