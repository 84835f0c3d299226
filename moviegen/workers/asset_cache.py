"""A worker's local copy of the shared asset store (its ``assets-cache`` folder), kept within a size.

A worker fetches a step's inputs into its cache by hash and writes the step's outputs there before putting them in
the store, so the folder grows with every film it helps render. After a step it is trimmed to
``MOVIEGEN_ASSETS__WORKER_CACHE_MB``: the files used longest ago go first (a file is marked used — its mtime — when
a step finds or fetches it), down to 80 % of the limit so that trimming is not paid on every step. A file used in
the last ``keep`` seconds is never removed: a step running in a sibling process of the same worker may be reading
it (the keep is twice the Celery visibility timeout, past which a step is handed out again anyway). The folder is
walked at most once a ``pause`` seconds per process.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_last_walk: dict[str, float] = {}


def used(path: Path) -> None:
    """Mark a cached file used now (it is then the last to go)."""
    try:
        os.utime(path)
    except OSError:  # a sibling trimmed it meanwhile: the step fetches it again
        pass


def trim(root: Path, limit_bytes: int, keep: float, now: float | None = None) -> dict[str, int]:
    """Remove the least recently used files of ``root`` until it holds at most 80 % of ``limit_bytes`` (when it
    holds more than the limit), never a file used in the last ``keep`` seconds. Returns what it held and removed."""
    now = time.time() if now is None else now
    files: list[tuple[float, int, str]] = []
    total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, path))
            total += st.st_size
    removed = freed = 0
    if total > limit_bytes:
        goal = int(limit_bytes * 0.8)
        for mtime, size, path in sorted(files):
            if total - freed <= goal or now - mtime < keep:
                break  # oldest first: the rest were used more recently still
            try:
                os.unlink(path)
            except OSError:
                continue
            removed += 1
            freed += size
    return {"files": len(files), "bytes": total - freed, "removed": removed, "freed": freed}


def trim_now_and_then(root: Path, limit_bytes: int, keep: float, pause: float = 60.0) -> dict[str, int] | None:
    """:func:`trim`, unless this process walked ``root`` less than ``pause`` seconds ago (then None)."""
    key, now = str(root), time.monotonic()
    if now - _last_walk.get(key, float("-inf")) < pause:
        return None
    _last_walk[key] = now
    return trim(root, limit_bytes, keep)
