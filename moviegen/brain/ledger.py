"""The cost ledger: every provider attempt of a project — success, failure, timeout, cache hit, refusal — with
what it used and cost, in the project's index (.moviegen/index.sqlite, table ``ledger``); and the provider
cache beside it (the same request answered again from the project, never billed twice).

The ledger is not derived state: `moviegen reindex` leaves it alone. One ledger per project per process, with
its own connection (WAL). Entries are written in groups: ``record`` queues the row and a writer thread commits
what has queued in one transaction within ``GROUP_WINDOW`` seconds (a commit per row capped the rate at 4–6
thousand a second); every read — the spend a budget check needs included — commits the queue first, and
``close`` commits the rest.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moviegen.core import locations

GROUP_WINDOW = 0.02  # seconds an entry may wait for others to share its commit
INSERT = ("INSERT INTO ledger (at, capability, provider, model, request, status, latency_ms, units, cost_usd, stage,"
          " job, error, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")  # fmt: skip


@dataclass
class Entry:
    capability: str
    provider: str
    model: str
    request: str  # the request's content hash
    status: str  # ok, cached, failed, timeout, rate_limited, refused
    latency_ms: float = 0.0
    units: dict[str, Any] = field(default_factory=dict)
    cost_usd: float = 0.0
    stage: str = ""
    job: str = ""
    error: str = ""
    at: float = field(default_factory=time.time)


class Ledger:
    def __init__(self, project_path: Path) -> None:
        from moviegen.core.index import ProjectIndex

        ProjectIndex(project_path).close()  # migrations, once
        self.db = sqlite3.connect(locations.index_db(project_path), timeout=30, isolation_level=None,
                                  check_same_thread=False)  # fmt: skip
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._lock = threading.Lock()  # the connection
        self._queue: list[tuple] = []
        self._wake = threading.Condition(threading.Lock())
        self._closed = False
        self._writer = threading.Thread(target=self._write_groups, name="ledger-writer", daemon=True)
        self._writer.start()

    def record(self, entry: Entry) -> None:
        day = time.strftime("%Y-%m-%d", time.gmtime(entry.at))
        row = (entry.at, entry.capability, entry.provider, entry.model, entry.request, entry.status,
               round(entry.latency_ms, 3), json.dumps(entry.units), entry.cost_usd, entry.stage, entry.job,
               entry.error[:500], day)  # fmt: skip
        with self._wake:
            self._queue.append(row)
            if len(self._queue) == 1:
                self._wake.notify()

    def flush(self) -> None:
        """Commit what is queued, now."""
        with self._lock:
            self._commit()

    def _commit(self) -> None:  # holding self._lock
        with self._wake:
            rows, self._queue = self._queue, []
        if rows:
            self.db.execute("BEGIN")
            try:
                self.db.executemany(INSERT, rows)
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def _write_groups(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
            time.sleep(GROUP_WINDOW)  # let the others of this burst join the commit
            with self._lock:
                if self._closed:
                    return
                self._commit()

    def spent(self) -> float:
        with self._lock:
            self._commit()
            return float(self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM ledger").fetchone()[0])

    def report(self) -> dict[str, Any]:
        """Spend and calls by provider, model, stage, day and status: one pass over the report's index."""
        with self._lock:
            self._commit()
            rows = self.db.execute(
                "SELECT provider, model, stage, day, status, COUNT(*), SUM(cost_usd) FROM ledger"
                " GROUP BY provider, model, stage, day, status"
            ).fetchall()
        groups: dict[str, dict[str, dict[str, float]]] = {
            g: {} for g in ("provider", "model", "stage", "day", "status")
        }
        total, calls = 0.0, 0
        for provider, model, stage, day, status, n, usd in rows:
            keys = {"provider": provider, "model": f"{provider}:{model}" if model else provider, "stage": stage,
                    "day": day, "status": status}  # fmt: skip
            for group, key in keys.items():
                cell = groups[group].setdefault(key, {"calls": 0, "usd": 0.0})
                cell["calls"] += n
                cell["usd"] += usd
            total, calls = total + usd, calls + n
        out: dict[str, Any] = {"total_usd": round(total, 6), "calls": calls}
        for group, cells in groups.items():
            out[f"by_{group}"] = {k: {"calls": v["calls"], "usd": round(v["usd"], 6)} for k, v in sorted(cells.items())}
        return out

    def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        cols = ("at", "capability", "provider", "model", "request", "status", "latency_ms", "units", "cost_usd",
                "stage", "job", "error")  # fmt: skip
        with self._lock:
            self._commit()
            rows = self.db.execute(f"SELECT {', '.join(cols)} FROM ledger ORDER BY id DESC LIMIT ?", (limit,))
            return [{**dict(zip(cols, r, strict=True)), "units": json.loads(r[7])} for r in rows]

    # ------------------------------------------------------------------ the provider cache
    def cached(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self.db.execute("SELECT provider, model, result FROM provider_cache WHERE key=?", (key,)).fetchone()
        return None if row is None else {"provider": row[0], "model": row[1], "result": json.loads(row[2])}

    def keep(self, key: str, provider: str, model: str, result: dict[str, Any]) -> None:
        with self._lock:
            self.db.execute("INSERT OR REPLACE INTO provider_cache VALUES (?, ?, ?, ?, ?)",
                            (key, provider, model, json.dumps(result), time.time()))  # fmt: skip

    def close(self) -> None:
        with self._lock:
            self._commit()
            with self._wake:
                self._closed = True
                self._wake.notify()
            self.db.close()
        self._writer.join(timeout=5)
