"""The webhook sender of one brain: a thread that turns the brain's events into outbox rows and delivers them,
several at once, retrying with backoff, and stops with the brain.

It listens on the brain's event bus from the start (only for projects that have webhooks: one stat per event
tells), but its thread starts only when there is something to do — an event for such a project, a webhook
added or enabled — or at once in a brain server, where it first sends what earlier processes left queued.
An event that a webhook wants is written to the project's outbox (moviegen.services.webhooks.store) before
any attempt, so a brain that stops with messages queued sends them when the next one starts.

The thread never waits on a receiver: it takes all the events the bus has handed over, writes each project's
in one transaction (its store kept open while the thread runs), claims what is due and hands it to the sender
pool (moviegen.services.webhooks.pool), and records each attempt as it ends. SQLite is touched from this
thread only.

On close, what the bus has handed over is written to the outbox, the attempts in flight are finished, what is
due is still started for STOP_GRACE seconds, and the thread ends; whatever it did not get to waits in the
outbox.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moviegen.core import locations
from moviegen.services.webhooks import events as catalogue
from moviegen.services.webhooks import store as stores
from moviegen.services.webhooks.pool import PER_WEBHOOK, SenderPool
from moviegen.services.webhooks.sender import send
from moviegen.services.webhooks.store import Attempt, WebhookStore

log = logging.getLogger("moviegen.webhooks")

IDLE = 30.0  # seconds the thread sleeps with nothing due (then looks for outboxes other processes filled)
RESULT_KEYS = ("film", "subtitles", "duration", "width", "height", "fps", "loudness_lufs")
PAUSE = 5.0  # seconds the sender waits after an unexpected error before it tries again
STOP_GRACE = 1.0  # seconds a closing brain's sender may still start attempts (those in flight may finish)
JOIN_MARGIN = 5.0  # seconds more a closing brain waits for its sender (a thread that is still starting up)
_WAKE = object()


class Dispatcher:
    """``path_of(slug)`` finds a project's folder, ``slugs()`` lists them, ``job_of(job_id)`` gives a job's
    record (for what a job event does not carry: its kind and result); ``settings`` is WebhookSettings."""

    def __init__(self, bus, settings, path_of: Callable[[str], Path], slugs: Callable[[], list[str]],
                 job_of: Callable[[str], dict[str, Any]]) -> None:  # fmt: skip
        self.settings = settings
        self._path_of, self._slugs, self._job_of = path_of, slugs, job_of
        self._projects: set[str] = set()
        self._stores: dict[str, tuple[tuple[Path, int], WebhookStore]] = {}  # slug -> (file, inode), open store
        self._unrecorded: list[dict[str, Any]] = []  # events whose outbox write failed: tried again next pass
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._deadline = 0.0  # monotonic time after which a stopping sender starts no new attempt
        self._closed = False
        self._listening = bus.listen(self._wants, remote=False)  # each event is sent once, by its process
        self._queue = self._listening.__enter__()  # left in close()

    # ------------------------------------------------------------------ starting and stopping
    def start(self) -> None:
        """Run the sender thread (idempotent); it first looks for queued messages in every project."""
        with self._lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="webhook-sender", daemon=True)
                self._thread.start()

    def wake(self, project: str | None = None) -> None:
        """Look at the outboxes now (a webhook was added or enabled), starting the thread if need be."""
        if project:
            self._projects.add(project)
        self.start()
        self._put(_WAKE)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread = self._thread
        self._listening.__exit__(None, None, None)
        self._deadline = time.monotonic() + STOP_GRACE
        self._stopping.set()
        if thread is not None:
            self._put(_WAKE)
            thread.join(STOP_GRACE + self.settings.timeout + JOIN_MARGIN)
            return
        try:
            self._drain()  # events handed over but never picked up: into the outbox for the next brain
        except Exception:  # noqa: BLE001 - a brain's close never fails on its webhooks
            log.exception("queued webhook events could not be written to their outbox")
        finally:
            self._close_stores()

    def _put(self, item) -> None:
        try:
            self._queue.put_nowait(item)
        except Exception:  # noqa: BLE001 - a full queue is awake anyway
            pass

    # ------------------------------------------------------------------ the projects' stores, kept open
    def _project_path(self, slug: str) -> Path | None:
        try:
            path = self._path_of(slug)
        except Exception:  # noqa: BLE001 - not a project's name (a bus event of no project)
            return None
        return path if stores.exists(path) else None

    def _store(self, slug: str) -> WebhookStore | None:
        """The project's webhook store, opened once and kept (None: the project has no webhooks, or is gone).
        Its file is checked each time: a project deleted, or made again, is not written through a stale one."""
        try:
            path = self._path_of(slug)
            key = (path, os.stat(locations.webhooks_db(path)).st_ino)
        except Exception:  # noqa: BLE001 - not a project's name, or no webhooks file (any more)
            path, key = None, None
        cached = self._stores.get(slug)
        if cached is not None and cached[0] == key:
            return cached[1]
        if cached is not None:
            del self._stores[slug]
            cached[1].close()
        if key is None:
            return None
        store = WebhookStore(path)
        self._stores[slug] = (key, store)
        return store

    def _close_stores(self) -> None:
        for _, store in self._stores.values():
            try:
                store.close()
            except Exception:  # noqa: BLE001 - closing what is already broken
                pass
        self._stores.clear()

    # ------------------------------------------------------------------ from the bus to the outbox
    def _wants(self, project: str) -> bool:
        """The bus's filter, called as an event is published: only projects with webhooks; the thread starts
        for the first such event."""
        if not project or self._project_path(project) is None:
            return False
        self.start()
        return True

    def _drain(self, first: Any = None) -> None:
        """Everything the bus has handed over into the outboxes: one transaction per project."""
        items = [first] if first is not None else []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except Exception:  # noqa: BLE001 - queue.Empty
                break
        pending, self._unrecorded = self._unrecorded, []
        by_project: dict[str, list[dict[str, Any]]] = {}
        for event in pending + [item for item in items if item is not _WAKE]:
            by_project.setdefault(event.get("project", ""), []).append(event)
        for n, (slug, events) in enumerate(by_project.items()):
            try:
                self._record(slug, events)
            except Exception:
                self._unrecorded = [e for later in list(by_project.values())[n:] for e in later]
                raise

    def _record(self, slug: str, events: list[dict[str, Any]]) -> None:
        """Write the messages the events make for the project's webhooks, in one transaction."""
        store = self._store(slug)
        if store is None:
            return
        self._projects.add(slug)
        made = []  # (event names, data, time) of each event
        for event in events:
            event = self._with_job(event)
            names = catalogue.names_for(event)
            if names:
                made.append((names, catalogue.data_of(event), event.get("at") or time.time()))
        if not made:
            return
        wanted = store.subscribers(list({name: 0 for names, _, _ in made for name in names}))
        store.enqueue([(webhook, name, catalogue.body(name, data, at)) for names, data, at in made
                       for webhook, chosen in wanted.items() for name in names if name in chosen])  # fmt: skip

    def _with_job(self, event: dict[str, Any]) -> dict[str, Any]:
        """A job's end, with its kind and (when finished) the main facts of its result."""
        if event.get("kind") not in ("job.done", "job.failed", "job.cancelled", "job.interrupted"):
            return event
        try:
            job = self._job_of(event["job"])
        except Exception:  # noqa: BLE001 - a job we cannot read: the event goes as it came
            return event
        event = {**event, "job_kind": job.get("kind")}
        if event["kind"] == "job.done" and isinstance(job.get("result"), dict):
            event["result"] = {k: job["result"][k] for k in RESULT_KEYS if k in job["result"]}
        return event

    # ------------------------------------------------------------------ delivering
    def _run(self) -> None:
        pool = SenderPool(self.settings, lambda: self._put(_WAKE))
        try:
            self._loop(pool)
        finally:
            pool.close()  # waits for attempts still in flight (only after an error)
            try:
                self._finish(pool)
            finally:
                self._close_stores()

    def _loop(self, pool: SenderPool) -> None:
        self._discover()
        woken_by, last_pass = None, False  # the queue item that ended the last wait
        while True:
            stopping = self._stopping.is_set()  # read first: a stop after this still gets one more pass
            try:
                item, woken_by = woken_by, None
                if stopping and not last_pass:  # the last pass has its own STOP_GRACE, however late it came
                    last_pass, self._deadline = True, max(self._deadline, time.monotonic() + STOP_GRACE)
                self._drain(item)
                self._finish(pool)
                if not stopping or time.monotonic() <= self._deadline:
                    self._start_due(pool)
                if stopping and not pool.in_flight:
                    return  # nothing in flight, and nothing due that may still start
                wait = self._wait() if not stopping else IDLE  # a stopping sender is woken by its attempts
            except Exception:  # noqa: BLE001 - a disk or database error: the messages wait in their outbox
                log.exception("webhook delivery failed; trying again in %.0f s", PAUSE)
                if stopping:
                    return
                wait = PAUSE
            try:
                woken_by = self._queue.get(timeout=wait)
            except Exception:  # noqa: BLE001 - queue.Empty: time to look again, other processes' outboxes too
                self._discover()

    def _discover(self) -> None:
        try:
            self._projects.update(slug for slug in self._slugs() if self._project_path(slug) is not None)
        except Exception:  # noqa: BLE001 - the projects folder went away: nothing to send
            pass

    def _wait(self) -> float:
        """Seconds until the next queued message falls due (at most IDLE)."""
        soonest = IDLE
        for slug in list(self._projects):
            store = self._store(slug)
            if store is None:
                self._projects.discard(slug)
                continue
            due = store.next_due()
            if due is not None:
                soonest = min(soonest, due - time.time())
        return max(0.01, soonest)

    def _start_due(self, pool: SenderPool) -> None:
        """Claim what is due, as much as the pool has room for, and start sending it."""
        lease = self.settings.timeout + 30.0
        for slug in list(self._projects):
            if pool.room() <= 0:
                return
            store = self._store(slug)
            if store is None:
                continue
            for due in store.claim(lease, pool.room(), busy=pool.busy(), parallel=PER_WEBHOOK):
                pool.submit(slug, due)

    def _finish(self, pool: SenderPool) -> None:
        """Record the attempts that ended: delivered, retrying, failed or disabled (see WebhookStore.finish)."""
        s = self.settings
        for slug, due, attempt in pool.results():
            try:
                store = self._store(slug)
                if store is not None:
                    store.finish(due, attempt, list(s.backoff), s.disable_after, s.keep_log)
            except Exception:  # noqa: BLE001 - unrecorded: the message is sent again when its lease runs out
                log.exception("a webhook attempt could not be recorded in its outbox")


def test_delivery(project_path: Path, webhook_id: str, settings, project: str) -> dict[str, Any]:
    """Send a ``webhook.test`` message to one webhook now (not through the outbox: nothing is retried or
    counted against it) and return the attempt as the delivery log records it."""
    import httpx

    msg_id = f"msg_{uuid.uuid4().hex}"
    payload = catalogue.body(catalogue.TEST, {"project": project, "webhook": webhook_id}, time.time())
    with WebhookStore(project_path) as store:
        view, secret = store.get(webhook_id), store.secret_of(webhook_id)
        with httpx.Client(timeout=settings.timeout, follow_redirects=False) as client:
            attempt: Attempt = send(client, view["url"], msg_id, secret, payload, allow_private=settings.allow_private)
        store.record_test(webhook_id, msg_id, attempt, settings.keep_log)
    return {"webhook": webhook_id, "msg_id": msg_id, "ok": attempt.ok, "status_code": attempt.status_code,
            "latency_ms": round(attempt.latency_ms, 1), "error": attempt.error}  # fmt: skip
