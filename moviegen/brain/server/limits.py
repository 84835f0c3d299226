"""How many wrong guesses the door takes: failed logins rate-limited per (user, address).

Today a login is a token presented at the door (``Authorization: Bearer``), whose user is unknown until it
verifies, so its key is ``("-", address)``; a password login (later) keys on ``(user, address)`` with the same
limiter. After ``attempts`` failures of a key within ``window`` seconds, the key is blocked for ``cooldown``
seconds: every request it makes (a good token too, so a guesser learns nothing from a lucky hit) gets 429, or
a WebSocket close 4429, with a one-line message. A success clears the key's failures. The state is in memory:
a restart forgets it, which costs a guesser one restart of somebody else's brain.

Behind a reverse proxy every client shares the proxy's address (uvicorn trusts ``X-Forwarded-For`` only from
loopback proxies), so one guesser there blocks everyone behind it for the cooldown.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field

ANYONE = "-"  # the user of a key whose user is not known (a token that did not verify)
MAX_KEYS = 100_000  # keys kept at most: past this the oldest entries are dropped (a flood of addresses)


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class LoginLimiter:
    attempts: int = 10  # failures allowed within the window
    window: float = 60.0  # seconds over which failures count
    cooldown: float = 300.0  # seconds a key is blocked after too many failures
    clock: object = time.monotonic
    _failures: dict[tuple[str, str], deque] = field(default_factory=dict)
    _blocked: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_env(cls) -> LoginLimiter:
        """MOVIEGEN_LOGIN_ATTEMPTS, MOVIEGEN_LOGIN_WINDOW and MOVIEGEN_LOGIN_COOLDOWN over the defaults."""
        return cls(attempts=max(1, int(_env("MOVIEGEN_LOGIN_ATTEMPTS", cls.attempts))),
                   window=_env("MOVIEGEN_LOGIN_WINDOW", cls.window),
                   cooldown=_env("MOVIEGEN_LOGIN_COOLDOWN", cls.cooldown))  # fmt: skip

    def blocked(self, address: str | None, user: str = ANYONE) -> float:
        """Seconds until ``(user, address)`` may try again; 0 when it may now."""
        key = (user, address or "?")
        with self._lock:
            until = self._blocked.get(key)
            if until is None:
                return 0.0
            left = until - self.clock()
            if left <= 0:
                del self._blocked[key]
                return 0.0
            return left

    def failed(self, address: str | None, user: str = ANYONE) -> bool:
        """Record a failed login; True when it blocks the key now."""
        key, now = (user, address or "?"), self.clock()
        with self._lock:
            recent = self._failures.setdefault(key, deque())
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) < self.attempts:
                self._trim()
                return False
            del self._failures[key]
            self._blocked[key] = now + self.cooldown
            self._trim()
            return True

    def succeeded(self, address: str | None, user: str = ANYONE) -> None:
        with self._lock:
            self._failures.pop((user, address or "?"), None)

    def _trim(self) -> None:
        for table in (self._failures, self._blocked):
            while len(table) > MAX_KEYS:
                del table[next(iter(table))]
