"""The project index: .moviegen/index.sqlite (derived state, rebuildable).

Numbered migrations run on open (recorded in ``migrations``). WAL mode: one
writer, many readers. Only the coordinating process writes; workers never do.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from moviegen.core import locations


def _m001_steps(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE steps (
               key TEXT PRIMARY KEY,      -- hash of everything the step's output depends on
               kind TEXT NOT NULL,        -- voice, frame, music, segment, mix, film
               asset TEXT NOT NULL,       -- path relative to the project folder
               meta TEXT NOT NULL,        -- JSON: durations, sizes, ...
               created REAL NOT NULL)"""
    )


def _m002_runs(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE runs (
               id INTEGER PRIMARY KEY AUTOINCREMENT,
               kind TEXT NOT NULL, started REAL NOT NULL, finished REAL,
               status TEXT NOT NULL, report TEXT)"""
    )


def _m003_takes(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE takes (
               shot TEXT NOT NULL,        -- shot id in shots.toml
               take INTEGER NOT NULL,     -- 1 is the first painting; new takes count up
               key TEXT NOT NULL,         -- the frame step's key (steps.key)
               asset TEXT NOT NULL,       -- the painted still, relative to the project folder
               status TEXT NOT NULL,      -- candidate, approved, rejected
               created REAL NOT NULL,
               PRIMARY KEY (shot, take))"""
    )


def _m004_jobs(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE jobs (
               id TEXT PRIMARY KEY,
               kind TEXT NOT NULL,        -- render, make
               status TEXT NOT NULL,      -- queued, running, done, failed, cancelled, interrupted
               record TEXT NOT NULL,      -- JSON: inputs, stages, result, error, log, attempts, owner
               started REAL NOT NULL,
               finished REAL)"""
    )


def _m005_ledger(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE ledger (
               id INTEGER PRIMARY KEY,
               at REAL NOT NULL,
               capability TEXT NOT NULL,  -- text, image, speech, ...
               provider TEXT NOT NULL,
               model TEXT NOT NULL,
               request TEXT NOT NULL,     -- the request's content hash
               status TEXT NOT NULL,      -- ok, cached, failed, timeout, rate_limited, refused
               latency_ms REAL NOT NULL,
               units TEXT NOT NULL,       -- JSON: input_tokens, output_tokens, characters, images, seconds
               cost_usd REAL NOT NULL,
               stage TEXT NOT NULL,       -- what the call served (story.develop, ...)
               job TEXT NOT NULL,
               error TEXT NOT NULL,
               day TEXT NOT NULL)         -- UTC date of ``at``, for the report by day"""
    )
    # the cost report reads only this index, in its order: one pass, no sort
    db.execute("CREATE INDEX ledger_report ON ledger (provider, model, stage, day, status, cost_usd)")
    db.execute(
        """CREATE TABLE provider_cache (
               key TEXT PRIMARY KEY,      -- hash of the capability and the request
               provider TEXT NOT NULL, model TEXT NOT NULL,
               result TEXT NOT NULL,      -- JSON of the result
               created REAL NOT NULL)"""
    )


def _m006_tool_calls(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE tool_calls (          -- what the studio's operations were asked on this project (not derived)
               tool TEXT PRIMARY KEY,     -- the operation's name (moviegen.core.api)
               calls INTEGER NOT NULL, errors INTEGER NOT NULL,
               seconds REAL NOT NULL,     -- their time, summed
               last REAL NOT NULL)"""
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m001_steps, _m002_runs, _m003_takes, _m004_jobs, _m005_ledger, _m006_tool_calls,
]  # fmt: skip


class ProjectIndex:
    def __init__(self, project_path: Path) -> None:
        self.root = project_path
        path = locations.index_db(project_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS migrations (number INTEGER PRIMARY KEY, applied REAL NOT NULL)")
        done = {row[0] for row in self.db.execute("SELECT number FROM migrations")}
        for number, migration in enumerate(MIGRATIONS, 1):
            if number in done:
                continue
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if not self.db.execute("SELECT 1 FROM migrations WHERE number=?", (number,)).fetchone():
                    migration(self.db)
                    self.db.execute("INSERT INTO migrations VALUES (?, ?)", (number, time.time()))
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def lookup(self, key: str) -> dict | None:
        """A finished step's record, if its asset is still on disk."""
        row = self.db.execute("SELECT kind, asset, meta FROM steps WHERE key=?", (key,)).fetchone()
        if not row or not (self.root / row[1]).exists():
            return None
        return {"kind": row[0], "asset": row[1], **json.loads(row[2])}

    def record(self, key: str, kind: str, asset: str, meta: dict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO steps VALUES (?, ?, ?, ?, ?)", (key, kind, asset, json.dumps(meta), time.time())
        )

    def record_take(self, shot: str, take: int, key: str, asset: str, status: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO takes VALUES (?, ?, ?, ?, ?, ?)", (shot, take, key, asset, status, time.time())
        )

    def set_take_status(self, shot: str, take: int, status: str) -> bool:
        return self.db.execute("UPDATE takes SET status=? WHERE shot=? AND take=?", (status, shot, take)).rowcount > 0

    def takes(self) -> list[dict]:
        rows = self.db.execute("SELECT shot, take, key, asset, status FROM takes ORDER BY shot, take")
        return [dict(zip(("shot", "take", "key", "asset", "status"), row, strict=True)) for row in rows]

    # ------------------------------------------------------------------ jobs (not derived: kept on reindex)
    def save_job(self, record: dict) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO jobs VALUES (?, ?, ?, ?, ?, ?)",
            (record["id"], record["kind"], record["status"], json.dumps(record, default=str), record["started"],
             record.get("finished")),
        )  # fmt: skip

    def jobs(self, limit: int = 200) -> list[dict]:
        rows = self.db.execute("SELECT record FROM jobs ORDER BY started DESC LIMIT ?", (limit,))
        return [json.loads(row[0]) for row in rows]

    def job(self, job_id: str) -> dict | None:
        row = self.db.execute("SELECT record FROM jobs WHERE id=?", (job_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def close(self) -> None:
        self.db.close()
