"""When the studio collects garbage. Python's automatic full collections stop the whole process for ~100 ms
once the heap is large (Textual, pydantic, numpy, and LangGraph while a render runs): a key pressed then waits
for one. So the studio keeps the automatic young collections (small and frequent) but takes over the full ones:
everything alive after a screen is built is frozen (never scanned again), and a full pass runs at a quiet
moment — once no key has come for a few seconds — or at the latest every few minutes, so cyclic garbage never
piles up. Measured in benchmarks/tui.py."""

from __future__ import annotations

import gc
import time

CHECK_EVERY = 5.0  # seconds between looks at the clock
FULL_WHEN_QUIET = 3.0  # a full collection once no key has come for this long…
FULL_AT_LATEST = 300.0  # …or after this long, whatever is happening
NEVER = 1_000_000_000


class HeapKeeper:
    def __init__(self) -> None:
        self.last_input = self.last_full = time.monotonic()
        self._thresholds = gc.get_threshold()

    def start(self) -> None:
        young, middle, _ = self._thresholds
        gc.set_threshold(young, middle, NEVER)  # full passes are ours to run
        self.settle()

    def stop(self) -> None:
        """Give the process its collector back (the app is closing; a process that lives on can collect it)."""
        gc.unfreeze()
        gc.set_threshold(*self._thresholds)

    def touched(self) -> None:
        """A key or a click came in."""
        self.last_input = time.monotonic()

    def settle(self) -> None:
        """Collect everything, then freeze what is alive (call after building a screen)."""
        gc.collect()
        gc.freeze()
        self.last_full = time.monotonic()

    def tick(self) -> None:
        """Called every CHECK_EVERY seconds: one full pass per quiet moment, or when one is long overdue."""
        now = time.monotonic()
        quiet_since_input = now - self.last_input >= FULL_WHEN_QUIET and self.last_full < self.last_input
        if quiet_since_input or now - self.last_full >= FULL_AT_LATEST:
            gc.collect()
            self.last_full = now
