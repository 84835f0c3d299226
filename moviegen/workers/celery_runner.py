"""Render steps on Celery workers: the brain's side of the Celery executor, with the LocalPool's interface.

``run(items)`` sends each step as a task to its queue (celery_app.QUEUE_OF) and yields results as they finish,
like the local pool, so a render's progress events are the same whichever runs its steps. Results come back by
Redis pub/sub, not polling: Celery's Redis backend publishes every state it stores on the channel named by the
task's result key, and the runner subscribes to its tasks' channels before it sends them (so none is missed),
then reads the stored states once more as a safety net whenever the channel has been quiet for a while.

With a shared S3 store the runner puts each step's inputs there first (by hash; a no-op for what is there) and
brings what the step made into the project's assets/ folder (verified by hash), so the project folder stays
whole for everything downstream. A worker that dies mid-step is Celery's to handle (late acknowledgement, the
message put back); the runner just waits. A render that stops listening revokes its steps not yet done.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from moviegen.core.errors import RenderError, error_from_wire
from moviegen.workers import celery_app
from moviegen.workers.pool import STOP_TIMEOUT, WorkersStoppedError

log = logging.getLogger(__name__)

Item = tuple[str, dict[str, Any]]

QUIET = 2.0  # seconds without news before the stored states are read directly (a missed publish, a reconnect)
NO_WORKER_CHECK = 30.0  # seconds without news before the runner asks whether any worker is still there
READY = {"SUCCESS", "FAILURE", "REVOKED"}


class NoWorkersError(RenderError):
    pass


class CeleryRunner:
    """Steps on Celery workers through the Redis of ``settings.redis_url``; the shared asset store of
    ``settings.assets`` when one is configured (else the workers must see the project's folder)."""

    remote = True  # its steps run on other machines: a transcode sends its presets here too (transcode_remote.py)

    def __init__(self, settings) -> None:
        from moviegen.workers.assets import s3_configured, s3_store

        self.settings = settings
        self.url = celery_app.redis_url(settings)
        self.store = s3_store(settings) if s3_configured(settings) else None
        self._app = None
        self._client = None
        self._known: set[str] = set()  # assets known to be in the shared store
        self._idle: list = []  # subscriber connections between runs (a new one costs a connect and its handshake)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._seen_worker = 0.0

    # ------------------------------------------------------------------ set-up
    @property
    def app(self):
        with self._lock:
            if self._closed.is_set():
                raise WorkersStoppedError()
            if self._app is None:
                celery_app.check_redis(self.url)
                self._app = celery_app.make_app(self.settings)
                self._client = self._app.backend.client
            return self._app

    def warm(self) -> None:
        """Reach Redis (and the store) now: a clear error at start-up rather than at the first render."""
        self.app  # noqa: B018 - connects
        if self.store is not None:
            self.store.check()

    def _store_info(self) -> dict[str, Any]:
        return {"kind": "s3", "url": self.store.url} if self.store is not None else {"kind": "local"}

    # ------------------------------------------------------------------ running
    def run(self, items: list[Item]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Results as they finish (job, result), the job being the very dict passed in."""
        if not items:
            return
        app = self.app
        self._check_workers()
        tasks = {uuid.uuid4().hex: (kind, job) for kind, job in items}
        yield from self._gather(app, tasks, self._send_steps)

    def round_trip(self) -> float:
        """One no-op task there and back, in seconds (the dispatch overhead every step pays)."""
        app = self.app
        started = time.perf_counter()
        for _ in self._gather(app, {uuid.uuid4().hex: ("noop", {})}, self._send_noop):
            pass
        return time.perf_counter() - started

    def _send_steps(self, app, tasks: dict[str, Item]) -> None:
        store = self._store_info()
        for task_id, (kind, job) in tasks.items():
            self._put_inputs(job)
            app.send_task(celery_app.STEP_TASK, args=[kind, job, store], task_id=task_id,
                          queue=celery_app.QUEUE_OF.get(kind, "render"))  # fmt: skip

    def _send_noop(self, app, tasks: dict[str, Item]) -> None:
        for task_id in tasks:
            app.send_task(celery_app.NOOP_TASK, task_id=task_id, queue="render")

    def _gather(self, app, tasks: dict[str, Item], send) -> Iterator[tuple[dict[str, Any], Any]]:
        import redis
        from kombu.exceptions import OperationalError

        backend = app.backend
        keys = {backend.get_key_for_task(task_id).decode(): task_id for task_id in tasks}
        pending = set(tasks)
        pubsub = self._pubsub()
        try:
            pubsub.subscribe(*keys)  # before sending: a result cannot be published unheard
            send(app, tasks)
            quiet_since = news = time.monotonic()
            while pending:
                if self._closed.is_set():
                    raise WorkersStoppedError()
                message = pubsub.get_message(timeout=0.25)
                now = time.monotonic()
                found: list[tuple[str, dict]] = []
                if message is not None and message.get("type") == "message":
                    found.append((keys.get(_text(message["channel"]), ""), backend.decode(message["data"])))
                elif now - quiet_since > QUIET:  # a safety net: read what is stored
                    quiet_since = now
                    ids = sorted(pending)
                    stored = self._client.mget([backend.get_key_for_task(i) for i in ids])
                    found += [(i, backend.decode(raw)) for i, raw in zip(ids, stored, strict=True) if raw]
                    if now - news > NO_WORKER_CHECK:
                        news = now
                        self._check_workers(force=True)
                        lost = self.lost(app, pending)
                        if lost:  # steps are idempotent and content-addressed: sending one again is safe
                            log.warning("sending %d step(s) again: no queue, worker or redelivery held them", len(lost))
                            send(app, {task_id: tasks[task_id] for task_id in lost})
                for task_id, meta in found:
                    if task_id not in pending or meta.get("status") not in READY:
                        continue
                    pending.discard(task_id)
                    quiet_since = news = now
                    kind, job = tasks[task_id]
                    yield job, self._outcome(kind, job, meta)
        except (redis.RedisError, OperationalError) as exc:
            raise RenderError(f"lost Redis at {celery_app._safe(self.url)} during the render ({exc})",
                              "check Redis, then run the render again: finished steps are kept") from None  # fmt: skip
        finally:
            self._forget(app, pubsub, keys, pending)

    def lost(self, app, pending: set[str]) -> list[str]:
        """The pending steps no one holds: in no queue, not awaiting redelivery (kombu's ``unacked``), neither
        active nor reserved on a live worker. kombu's Redis transport takes a message off its queue and only then
        records it unacknowledged; a worker killed between the two loses the message for good (found by
        benchmarks/celery_kills.py), and its render would wait forever."""
        client = self._client
        blobs: list[bytes] = list(client.hvals("unacked"))
        for queue in celery_app.QUEUES:
            for key in client.scan_iter(match=f"{queue}*"):  # priority lists are '<queue>\x06\x16<n>'
                if client.type(key) == b"list":
                    blobs += client.lrange(key, 0, -1)
        held = set()
        inspect = app.control.inspect(timeout=1.0)
        for answer in (inspect.active() or {}, inspect.reserved() or {}):
            held |= {task.get("id") for tasks in answer.values() for task in tasks}
        return sorted(t for t in pending if t not in held and not any(t.encode() in blob for blob in blobs))

    def _outcome(self, kind: str, job: dict[str, Any], meta: dict[str, Any]) -> Any:
        status, result = meta.get("status"), meta.get("result")
        if status == "REVOKED":
            raise WorkersStoppedError()
        if status == "FAILURE":
            args = (result or {}).get("exc_message") if isinstance(result, dict) else None
            wire = args[0] if isinstance(args, list | tuple) and args and isinstance(args[0], dict) else None
            if wire is None:
                raise RenderError(
                    f"a {kind} step failed on a worker: {result}", "see the worker's log; run the render again"
                )
            raise error_from_wire(wire)
        if kind != "noop":
            self._bring_outputs(job, result)
        return result

    def _pubsub(self):
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._client.pubsub(ignore_subscribe_messages=True)

    def _forget(self, app, pubsub, keys: dict[str, str], pending: set[str]) -> None:
        """Unsubscribe, revoke what is not done (a render that stopped listening), drop the stored results. The
        subscriber is kept for the next run: late messages of these channels are ignored there (not its tasks)."""
        try:
            pubsub.unsubscribe(*keys)
        except Exception:  # noqa: BLE001 - a broken connection: not kept
            pubsub.close()
        else:
            with self._lock:
                keep = not self._closed.is_set()
                if keep:
                    self._idle.append(pubsub)
            if not keep:
                pubsub.close()
        try:
            if pending and not self._closed.is_set():
                app.control.revoke(sorted(pending))
            if keys:
                self._client.delete(*keys)
        except Exception:  # noqa: BLE001 - Redis gone too: nothing left to tidy there
            pass

    def _check_workers(self, force: bool = False) -> None:
        """A render sent to no worker would wait forever: say so at once (cached for a few seconds)."""
        if not force and time.monotonic() - self._seen_worker < 5.0:
            return
        replies = self.app.control.broadcast("ping", reply=True, limit=1, timeout=1.0)
        if not replies:
            raise NoWorkersError(f"no Celery worker answers at {celery_app._safe(self.url)}",
                                 "start one: moviegen worker (on any machine, with the same MOVIEGEN_REDIS_URL)")  # fmt: skip
        self._seen_worker = time.monotonic()

    # ------------------------------------------------------------------ assets
    def _put_inputs(self, job: dict[str, Any]) -> None:
        if self.store is None:
            return
        project = Path(job["project"])
        for rel in celery_app.asset_refs(job):
            sha, ext = celery_app.split(rel)
            if sha in self._known:
                continue
            path = project / rel
            if path.is_file():
                self.store.put(path, ext, sha=sha)
                self._known.add(sha)

    def _bring_outputs(self, job: dict[str, Any], result: dict[str, Any]) -> None:
        if self.store is None:
            return
        project = Path(job["project"])
        for rel in celery_app.made_refs(result):
            sha, ext = celery_app.split(rel)
            self._known.add(sha)
            target = project / rel
            if not target.is_file():
                self.store.get(sha, ext, target)

    # ------------------------------------------------------------------ stopping
    def close(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop listening: renders waiting on steps end with WorkersStoppedError (their unfinished steps are
        revoked; the workers, which are not ours, keep running). Idempotent."""
        self._closed.set()
        with self._lock:
            app, self._app = self._app, None
            idle, self._idle = self._idle, []
        for pubsub in idle:
            pubsub.close()
        if app is not None:
            app.close()

    def __enter__(self) -> CeleryRunner:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
