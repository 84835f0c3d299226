"""The event bus across brain processes: Redis pub/sub (MOVIEGEN_REDIS_URL), for ``brain serve --processes N``
or several brains on other machines sharing one Redis.

Each process keeps its in-process bus (workers/events.py): its own listeners get its events at once, as before.
The relay also publishes every event on ``moviegen:events:<project>`` from a thread of its own (publishing never
blocks the brain; a Redis that is down costs those events, counted in ``dropped``), and a second thread, subscribed
to ``moviegen:events:*``, hands the other processes' events to the local listeners that want them. Each message
carries the publishing process's ``origin``, so a process skips its own: a local listener never gets an event twice.

Order: one process's events reach every other process in the order it published them (one connection, FIFO), so
a job's events (all published by the process that runs it) stay in order everywhere. Events of one project from
two processes interleave as Redis received them; a listener sees its own process's events first. Each event
keeps its ``at`` (the publisher's clock). Pub/sub is at most once: a listener's process that loses Redis for a
moment misses what was published meanwhile (a client re-reads state, e.g. ``job_status``, after it reconnects).

Job control: a job runs in the process that started it. Its record is in the project's index, which every
process reads (``job_status`` works anywhere). A ``job_cancel`` that reaches a process not running the job
publishes ``{"cancel": JOB}`` on ``moviegen:control``; the process that runs it cancels it at its next step.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

from moviegen.core.errors import MoviegenError

log = logging.getLogger(__name__)

CHANNEL = "moviegen:events:"  # + the project's slug ('' for events of no project)
CONTROL = "moviegen:control"
OUTBOX = 10_000  # events waiting for Redis at most; beyond that the oldest are dropped
BATCH = 500  # events per pipelined round trip at most


class RedisUnavailableError(MoviegenError):
    """The Redis of MOVIEGEN_REDIS_URL does not answer."""

    code = "redis_unavailable"


def safe_url(url: str) -> str:
    """The URL without its password (for messages)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1]).geturl()


def connect(url: str, timeout: float = 2.0):
    """A Redis client that answered a PING, or RedisUnavailableError saying what to do."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, decode_responses=True,
                                      health_check_interval=30)  # fmt: skip
        client.ping()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise RedisUnavailableError(
            f"cannot reach Redis at {safe_url(url)} ({type(exc).__name__}: {exc})",
            "start Redis, or point MOVIEGEN_REDIS_URL at one that runs (the same for every brain process)",
        ) from None
    return client


class RedisRelay:
    """Publishes this process's events to Redis and delivers the others' to ``deliver(project, text)``;
    ``on_cancel(job_id)`` is called for every cancel request any process publishes."""

    def __init__(self, url: str, deliver: Callable[[str, str], None], on_cancel: Callable[[str], None]) -> None:
        self.url = url
        self.origin = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.sent = self.received = self.dropped = 0
        self._deliver, self._on_cancel = deliver, on_cancel
        self._client = connect(url)
        self._pubsub = self._subscribe()
        self._outbox: queue.Queue[tuple[str, str] | None] = queue.Queue(OUTBOX)
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._publish_loop, name="events-redis-out", daemon=True),
            threading.Thread(target=self._listen_loop, name="events-redis-in", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ out
    def publish(self, project: str, text: str) -> None:
        """Queue one event for the other processes (the bus's ``relay``): never blocks."""
        item = (CHANNEL + project, f"{self.origin}\n{text}")
        try:
            self._outbox.put_nowait(item)
        except queue.Full:
            with contextlib.suppress(queue.Empty):
                self._outbox.get_nowait()
                self.dropped += 1
            with contextlib.suppress(queue.Full):
                self._outbox.put_nowait(item)

    def request_cancel(self, job_id: str) -> None:
        """Ask the process that runs ``job_id`` to cancel it (the job manager's ``cancel_elsewhere``)."""
        self._outbox.put((CONTROL, json.dumps({"cancel": job_id, "from": self.origin})), timeout=2)

    def _publish_loop(self) -> None:
        import redis

        while True:
            item = self._outbox.get()
            batch = [item]
            while len(batch) < BATCH:
                try:
                    batch.append(self._outbox.get_nowait())
                except queue.Empty:
                    break
            done = None in batch
            batch = [b for b in batch if b is not None]
            try:
                pipe = self._client.pipeline(transaction=False)
                for channel, message in batch:
                    pipe.publish(channel, message)
                pipe.execute()
                self.sent += len(batch)
            except (redis.RedisError, OSError) as exc:
                self.dropped += len(batch)
                log.warning("events not shared through Redis (%s); %d lost so far", exc, self.dropped)
                self._stopping.wait(0.5)
            if done:
                return

    # ------------------------------------------------------------------ in
    def _subscribe(self):
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        pubsub.psubscribe(CHANNEL + "*")
        pubsub.subscribe(CONTROL)
        return pubsub

    def _listen_loop(self) -> None:
        import redis

        while not self._stopping.is_set():
            try:
                message = self._pubsub.get_message(timeout=0.5)
            except (redis.RedisError, OSError, ValueError) as exc:
                if self._stopping.is_set():
                    return
                log.warning("lost the Redis event subscription (%s); subscribing again", exc)
                self._stopping.wait(0.5)
                with contextlib.suppress(redis.RedisError, OSError):
                    self._pubsub.close()
                    self._pubsub = self._subscribe()
                continue
            if message is not None:
                self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        try:
            if message["channel"] == CONTROL:
                request = json.loads(message["data"])
                if request.get("cancel"):
                    self._on_cancel(str(request["cancel"]))
                return
            origin, _, text = message["data"].partition("\n")
            if origin == self.origin:
                return  # our own: the local listeners had it already
            self.received += 1
            self._deliver(message["channel"][len(CHANNEL) :], text)
        except Exception:  # noqa: BLE001 - one bad message never stops the subscription
            log.exception("an event from Redis could not be delivered")

    # ------------------------------------------------------------------ stopping
    def close(self, timeout: float = 1.0) -> None:
        """Send what is queued (within ``timeout``), then stop both threads and close the connections."""
        with contextlib.suppress(queue.Full):
            self._outbox.put(None, timeout=timeout)
        self._threads[0].join(timeout)
        self._stopping.set()
        self._threads[1].join(timeout)
        with contextlib.suppress(Exception):
            self._pubsub.close()
        with contextlib.suppress(Exception):
            self._client.close()


def share_events(brain, url: str) -> RedisRelay:
    """Connect a LocalBrain's bus and jobs to the other brain processes on the Redis at ``url``."""
    jobs = brain.jobs

    def on_cancel(job_id: str) -> None:
        job = jobs.live.get(job_id)
        if job is not None and job.status in ("queued", "running"):
            jobs.cancel(job_id)  # ours: cancelled at its next step; its events reach everyone

    relay = RedisRelay(url, brain.bus.deliver_remote, on_cancel)
    brain.bus.relay = relay.publish
    jobs.cancel_elsewhere = relay.request_cancel
    return relay


def unshare_events(brain, relay: RedisRelay) -> None:
    brain.bus.relay = None
    brain.jobs.cancel_elsewhere = None
    relay.close()
