"""Per-provider limits for the router: a circuit breaker and a rate limit (requests per minute and calls in
flight). Thread-safe; one of each per provider per brain process."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager


class CircuitBreaker:
    """Opens after ``failures`` consecutive failed attempts; while open, calls skip the provider; after
    ``cooldown`` seconds one call is let through (half-open): success closes it, failure opens it again."""

    def __init__(self, failures: int, cooldown: float) -> None:
        self.failures, self.cooldown = failures, cooldown
        self._count = 0
        self._opened: float | None = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if self._opened is None:
                return True
            if time.monotonic() - self._opened >= self.cooldown:
                self._opened = time.monotonic()  # half-open: this one call tries; others wait another cooldown
                return True
            return False

    @property
    def open(self) -> bool:
        return self._opened is not None

    def success(self) -> None:
        with self._lock:
            self._count, self._opened = 0, None

    def failure(self) -> None:
        with self._lock:
            self._count += 1
            if self._count >= self.failures:
                self._opened = time.monotonic()


class RateLimit:
    """At most ``rpm`` calls started per rolling minute (a token bucket refilled continuously) and at most
    ``concurrency`` in flight; callers wait their turn."""

    def __init__(self, rpm: int, concurrency: int) -> None:
        self.rpm = max(1, rpm)
        self._tokens = float(self.rpm)
        self._stamp = time.monotonic()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self.in_flight = 0
        self.peak = 0

    def _take(self) -> float:
        """0 when a token was taken, else how long to wait for one."""
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.rpm, self._tokens + (now - self._stamp) * self.rpm / 60.0)
            self._stamp = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) * 60.0 / self.rpm

    @contextmanager
    def slot(self):
        while (wait := self._take()) > 0:
            time.sleep(min(wait, 1.0))
        with self._slots:
            with self._lock:
                self.in_flight += 1
                self.peak = max(self.peak, self.in_flight)
            try:
                yield
            finally:
                with self._lock:
                    self.in_flight -= 1
