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
        day = time.strftime("%Y-%m-%d", time.gmtime(entry.at))
        with self._lock:
            self.db.execute(
                "INSERT INTO ledger (at, capability, provider, model, request, status, latency_ms, units, cost_usd,"
                " stage, job, error, day) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.at, entry.capability, entry.provider, entry.model, entry.request, entry.status,
                 round(entry.latency_ms, 3), json.dumps(entry.units), entry.cost_usd, entry.stage, entry.job,
                 entry.error[:500], day),
            )  # fmt: skip

    def spent(self) -> float:
        with self._lock:
            return float(self.db.execute("SELECT COALESCE(SUM(cost_usd), 0) FROM ledger").fetchone()[0])

    def report(self) -> dict[str, Any]:
        """Spend and calls by provider, model, stage, day and status: one pass over the report's index."""
        with self._lock:
            rows = self.db.execute(
                "SELECT provider, model, stage, day, status, COUNT(*), SUM(cost_usd) FROM ledger"
                " GROUP BY provider, model, stage, day, status"
            ).fetchall()
        groups: dict[str, dict[str, dict[str, float]]] = {g: {} for g in ("provider", "model", "stage", "day", "status")}
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
