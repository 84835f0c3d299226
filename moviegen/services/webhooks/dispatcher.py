"""The webhook sender of one brain: a thread that turns the brain's events into outbox rows and delivers them,
retrying with backoff, and stops with the brain.

It listens on the brain's event bus from the start (only for projects that have webhooks: one stat per event
tells), but its thread starts only when there is something to do — an event for such a project, a webhook
added or enabled — or at once in a brain server, where it first sends what earlier processes left queued.
An event that a webhook wants is written to the project's outbox (moviegen.services.webhooks.store) before
any attempt, so a brain that stops with messages queued sends them when the next one starts.

On close, what the bus has handed over is written to the outbox, the attempt in flight is finished, a last pass
tries what is due for STOP_GRACE seconds, and the thread ends; whatever it did not get to waits in the outbox.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moviegen.services.webhooks import events as catalogue
from moviegen.services.webhooks import store as stores
from moviegen.services.webhooks.sender import send
from moviegen.services.webhooks.store import Attempt, WebhookStore

log = logging.getLogger("moviegen.webhooks")

IDLE = 30.0  # seconds the thread sleeps with nothing due (then looks for outboxes other processes filled)
RESULT_KEYS = ("film", "subtitles", "duration", "width", "height", "fps", "loudness_lufs")
PAUSE = 5.0  # seconds the sender waits after an unexpected error before it tries again
STOP_GRACE = 1.0  # seconds a closing brain's sender may still start attempts (one in flight may finish)
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
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._deadline = 0.0  # monotonic time after which a stopping sender starts no new attempt
        self._closed = False
        self._listening = bus.listen(self._wants)
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
        else:
            try:
                self._drain()  # events handed over but never picked up: into the outbox for the next brain
            except Exception:  # noqa: BLE001 - a brain's close never fails on its webhooks
                log.exception("queued webhook events could not be written to their outbox")

    def _put(self, item) -> None:
        try:
            self._queue.put_nowait(item)
        except Exception:  # noqa: BLE001 - a full queue is awake anyway
            pass

    # ------------------------------------------------------------------ from the bus to the outbox
    def _project_path(self, slug: str) -> Path | None:
        try:
            path = self._path_of(slug)
        except Exception:  # noqa: BLE001 - not a project's name (a bus event of no project)
            return None
        return path if stores.exists(path) else None

    def _wants(self, project: str) -> bool:
        """The bus's filter, called as an event is published: only projects with webhooks; the thread starts
        for the first such event."""
        if not project or self._project_path(project) is None:
            return False
        self.start()
        return True

    def _drain(self, first: Any = None) -> None:
        items = [first] if first is not None else []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except Exception:  # noqa: BLE001 - queue.Empty
                break
        for item in items:
            if item is not _WAKE:
                self._record(item)

    def _record(self, event: dict[str, Any]) -> None:
        """Write the messages an event makes for the project's webhooks, in one transaction."""
        slug = event.get("project", "")
        path = self._project_path(slug)
        if path is None:
            return
        self._projects.add(slug)
        event = self._with_job(event)
        names = catalogue.names_for(event)
        if not names:
            return
        data = catalogue.data_of(event)
        with WebhookStore(path) as store:
            wanted = store.subscribers(names)
            store.enqueue([(webhook, name, catalogue.body(name, data, event.get("at") or time.time()))
                           for webhook, chosen in wanted.items() for name in chosen])  # fmt: skip

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
        import httpx

        self._discover()
        woken_by = None  # the queue item that ended the last wait
        with httpx.Client(timeout=self.settings.timeout, follow_redirects=False) as client:
            while True:
                stopping = self._stopping.is_set()  # read first: a stop after this still gets one more pass
                try:
                    item, woken_by = woken_by, None
                    if stopping:  # the last pass has its own STOP_GRACE, however late the thread got here
                        self._deadline = max(self._deadline, time.monotonic() + STOP_GRACE)
                    self._drain(item)
                    self._deliver_due(client)
                    if stopping:
                        return
                    wait = self._wait()
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
            path = self._project_path(slug)
            if path is None:
                self._projects.discard(slug)
                continue
            with WebhookStore(path) as store:
                due = store.next_due()
            if due is not None:
                soonest = min(soonest, due - time.time())
        return max(0.01, soonest)

    def _deliver_due(self, client) -> None:
        s = self.settings
        for slug in list(self._projects):
            path = self._project_path(slug)
            if path is None:
                continue
            with WebhookStore(path) as store:
                while True:
                    claimed, disabled = store.claim(lease=s.timeout + 30.0), set()
                    if not claimed:
                        break
                    for n, due in enumerate(claimed):
                        if self._stopping.is_set() and time.monotonic() > self._deadline:
                            store.release(claimed[n:])  # the next brain sends them
                            return
                        if due.webhook in disabled:
                            continue  # turned off by an earlier attempt of this batch: its messages were dropped
                        attempt = send(client, due.url, due.msg_id, due.secret, due.payload,
                                       allow_private=s.allow_private)  # fmt: skip
                        if store.finish(due, attempt, list(s.backoff), s.disable_after, s.keep_log) == "disabled":
                            disabled.add(due.webhook)


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
