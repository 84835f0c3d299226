"""Attempts in flight: a few threads sharing one keep-alive HTTP client send claimed messages at once, so one
slow receiver does not hold up the others and a healthy one gets several messages at a time. At most SENDERS
attempts are in flight in all, PER_WEBHOOK to one webhook while it answers — and one at a time once it has
failed (its failures in a row > 0), so a receiver that is down is probed, not hammered; its backoff is the
outbox's, per message, as before. The threads only sign and POST: the outcome goes back to the dispatcher's
thread (``results``), which alone writes to the outbox."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from moviegen.services.webhooks.sender import send
from moviegen.services.webhooks.store import Attempt, Due

SENDERS = 8  # attempts in flight at once, all webhooks together
PER_WEBHOOK = 4  # in flight at once to one webhook that is not failing


class SenderPool:
    """``woken()`` is called (on a sender thread) each time an attempt ends."""

    def __init__(self, settings, woken: Callable[[], None]) -> None:
        import httpx

        self.settings = settings
        self._woken = woken
        self._client = httpx.Client(timeout=settings.timeout, follow_redirects=False,
                                    limits=httpx.Limits(max_connections=2 * SENDERS, max_keepalive_connections=SENDERS))  # fmt: skip
        self._threads = ThreadPoolExecutor(SENDERS, thread_name_prefix="webhook-send")
        self._busy: Counter[str] = Counter()  # webhook -> attempts in flight (the dispatcher's thread only)
        self._done: deque[tuple[str, Due, Attempt]] = deque()  # appended by sender threads, taken by the dispatcher's

    @property
    def in_flight(self) -> int:
        return sum(self._busy.values())

    def room(self) -> int:
        return SENDERS - self.in_flight

    def busy(self) -> dict[str, int]:
        return dict(self._busy)

    def submit(self, slug: str, due: Due) -> None:
        self._busy[due.webhook] += 1
        self._threads.submit(self._attempt, slug, due)

    def _attempt(self, slug: str, due: Due) -> None:
        try:
            attempt = send(self._client, due.url, due.msg_id, due.secret, due.payload,
                           allow_private=self.settings.allow_private)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - an attempt that broke is a failed attempt, retried as any other
            attempt = Attempt(False, None, 0.0, f"{type(exc).__name__}: {exc}"[:300], time.time())
        self._done.append((slug, due, attempt))
        self._woken()

    def results(self) -> list[tuple[str, Due, Attempt]]:
        """The attempts that ended since the last call (project, message, attempt), no longer counted in flight."""
        out = []
        while self._done:
            slug, due, attempt = self._done.popleft()
            self._busy[due.webhook] -= 1
            if self._busy[due.webhook] <= 0:
                del self._busy[due.webhook]
            out.append((slug, due, attempt))
        return out

    def close(self) -> None:
        """Wait for the attempts in flight (each ends within the attempt's timeout), then close the client."""
        self._threads.shutdown(wait=True)
        self._client.close()
