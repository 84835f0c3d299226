"""How often each operation of the studio interface is asked of a project: the ``tool_calls`` table of the
project's index, for ``moviegen stats``' most-used tools.

Counted where every call passes once, in-process or through the brain server: LocalBrain's argument check
(the server's tools call the same methods). Counts gather in memory and are written at most every
``FLUSH_EVERY`` seconds (one small transaction per project), when stats are read, and when the brain
closes, so a busy brain does not write a row per call. A killed process loses its last few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

FLUSH_EVERY = 5.0  # seconds
UPSERT = ("INSERT INTO tool_calls (tool, calls, errors, seconds, last) VALUES (?, ?, ?, ?, ?) ON CONFLICT(tool) DO"
          " UPDATE SET calls = calls + excluded.calls, errors = errors + excluded.errors,"
          " seconds = seconds + excluded.seconds, last = max(last, excluded.last)")  # fmt: skip


class ToolTally:
    def __init__(self, path_of: Callable[[str], Path]) -> None:
        """``path_of(slug)``: the project's folder (raising when there is none)."""
        self.path_of = path_of
        self._counts: dict[tuple[str, str], list[float]] = {}  # (project, tool) -> [calls, errors, seconds, last]
        self._lock = threading.Lock()
        self._writing = threading.Lock()
        self._flushed = 0.0

    def count(self, project_id: str, tool: str, seconds: float, ok: bool) -> None:
        with self._lock:
            cell = self._counts.setdefault((project_id, tool), [0, 0, 0.0, 0.0])
            cell[0] += 1
            cell[1] += 0 if ok else 1
            cell[2] += seconds
            cell[3] = time.time()
        if time.monotonic() - self._flushed >= FLUSH_EVERY:
            self.flush(wait=False)

    def flush(self, project_id: str | None = None, *, wait: bool = True) -> None:
        """Write what has gathered (of one project, or all); ``wait=False`` leaves it to a flush under way."""
        if not self._writing.acquire(blocking=wait):
            return
        try:
            with self._lock:
                taken = {k: v for k, v in self._counts.items() if project_id is None or k[0] == project_id}
                for key in taken:
                    del self._counts[key]
                if project_id is None:
                    self._flushed = time.monotonic()
            by_project: dict[str, list[tuple]] = {}
            for (slug, tool), (calls, errors, seconds, last) in taken.items():
                by_project.setdefault(slug, []).append((tool, int(calls), int(errors), seconds, last))
            for slug, rows in by_project.items():
                _write(self.path_of, slug, rows)
        finally:
            self._writing.release()


def _write(path_of: Callable[[str], Path], slug: str, rows: list[tuple]) -> None:
    import sqlite3

    from moviegen.core.errors import MoviegenError
    from moviegen.core.index import ProjectIndex

    try:
        path = path_of(slug)
        if not path.is_dir():
            return  # deleted meanwhile: nothing to count into
        index = ProjectIndex(path)
    except (MoviegenError, OSError, sqlite3.Error):
        return
    try:
        index.db.execute("BEGIN IMMEDIATE")
        index.db.executemany(UPSERT, rows)
        index.db.execute("COMMIT")
    except sqlite3.Error:
        pass  # analytics never fail an operation
    finally:
        index.close()
