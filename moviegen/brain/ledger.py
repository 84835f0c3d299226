"""The cost ledger: every provider attempt of a project — success, failure, timeout, cache hit, refusal — with
what it used and cost, in the project's index (.moviegen/index.sqlite, table ``ledger``); and the provider
cache beside it (the same request answered again from the project, never billed twice).

The ledger is not derived state: `moviegen reindex` leaves it alone. One ledger per project per process, with
its own connection (WAL; a write is one INSERT committed without an fsync of its own).
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
        self._lock = threading.Lock()

    def record(self, entry: Entry) -> None:
        with self._lock:
            self.db.execute(
                "INSERT INTO ledger (at, capability, provider, model, request, status, latency_ms, units, cost_usd,"
                " stage, job, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.at, entry.capability, entry.provider, entry.model, entry.request, entry.status,
                 round(entry.latency_ms, 3), json.dumps(entry.units), entry.cost_usd, entry.stage, entry.job,
                 entry.error[:500]),
            )  # fmt: skip

    def spent(self) -> float:
        with self._lock:
            return float(self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM ledger").fetchone()[0])

    def report(self) -> dict[str, Any]:
        """Spend and calls by provider, model, stage and day, and by status."""
        out: dict[str, Any] = {"total_usd": 0.0, "calls": 0}
        with self._lock:
            total, calls = self.db.execute("SELECT COALESCE(SUM(cost_usd), 0), COUNT(*) FROM ledger").fetchone()
            out["total_usd"], out["calls"] = round(float(total), 6), int(calls)
            for name, expr in (("provider", "provider"), ("model", "CASE WHEN model = '' THEN provider ELSE provider || ':' || model END"), ("stage", "stage"),
                               ("day", "date(at, 'unixepoch')"), ("status", "status")):  # fmt: skip
                rows = self.db.execute(
                    f"SELECT {expr} AS k, COUNT(*), COALESCE(SUM(cost_usd), 0) FROM ledger GROUP BY k ORDER BY k"
                )
                out[f"by_{name}"] = {k: {"calls": n, "usd": round(float(usd), 6)} for k, n, usd in rows}
        return out

    def entries(self, limit: int = 100) -> list[dict[str, Any]]:
        cols = ("at", "capability", "provider", "model", "request", "status", "latency_ms", "units", "cost_usd",
                "stage", "job", "error")  # fmt: skip
        with self._lock:
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
            self.db.close()
