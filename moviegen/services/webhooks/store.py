"""One project's webhooks: the subscriptions, the outbox of messages waiting to go out, and the delivery log —
in .moviegen/webhooks.sqlite, inside the project so they travel with it (and stay out of git: .moviegen/ is
ignored). Not derived state: ``moviegen reindex`` leaves it alone.

The outbox is what makes delivery at least once. A matching event becomes a row here before anyone tries to
send it; a sender claims a row for a while (a lease) before it sends; only a 2xx answer removes it. A process
that dies mid-send leaves the row to be claimed again when its lease runs out, so a receiver may see a message
twice — with the same ``webhook-id`` both times, which is how it tells.

SQLite in WAL mode with ``synchronous=NORMAL``: a commit is in the write-ahead log when it returns, so a
process killed at any point loses nothing it committed; only a power cut or an OS crash may lose the last
commits (the WAL is not fsynced on each one — an fsync per event would cost more than the delivery).

The signing secrets are kept here too (the brain signs with them), in a file only its owner may read (0600);
nothing this module returns carries one except ``add`` (shown once) and ``secret_of`` (for the sender).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moviegen.core import locations
from moviegen.core.errors import NotFoundError, UsageError

MAX_WEBHOOKS = 50  # per project
LIVE = ("pending", "sending")  # outbox rows still to be delivered


@dataclass
class Attempt:
    """One try at sending a message: the receiver's status code (None when no answer came), how long it
    took, and what went wrong (empty when it answered 2xx)."""

    ok: bool
    status_code: int | None
    latency_ms: float
    error: str = ""
    at: float = 0.0


@dataclass
class Due:
    """A message claimed for sending (the outbox row joined with its webhook)."""

    row: int
    msg_id: str
    webhook: str
    url: str
    secret: str
    event: str
    payload: str
    attempts: int  # made before this one


def _m001_webhooks(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE webhooks (
               id TEXT PRIMARY KEY,         -- wh_<hex>
               url TEXT NOT NULL,
               events TEXT NOT NULL,        -- JSON list of event names
               secret TEXT NOT NULL,        -- whsec_<base64>, the Standard Webhooks signing key
               enabled INTEGER NOT NULL,
               failures INTEGER NOT NULL,   -- failed attempts in a row (a 2xx resets it)
               disabled_reason TEXT,
               created REAL NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE outbox (
               id INTEGER PRIMARY KEY,
               msg_id TEXT NOT NULL UNIQUE, -- the webhook-id header: the same on every attempt
               webhook TEXT NOT NULL,
               event TEXT NOT NULL,
               payload TEXT NOT NULL,       -- the exact body that is signed and sent
               attempts INTEGER NOT NULL,
               next_at REAL NOT NULL,       -- not before (backoff)
               status TEXT NOT NULL,        -- pending, sending (leased until next_at), failed (gave up), dropped
               created REAL NOT NULL)"""
    )
    db.execute("CREATE INDEX outbox_due ON outbox (status, next_at)")
    db.execute(
        """CREATE TABLE deliveries (
               id INTEGER PRIMARY KEY,
               webhook TEXT NOT NULL,
               msg_id TEXT NOT NULL,
               event TEXT NOT NULL,
               attempt INTEGER NOT NULL,    -- 1 for the first try; 0 for a test
               at REAL NOT NULL,
               ok INTEGER NOT NULL,
               status_code INTEGER,
               latency_ms REAL NOT NULL,
               error TEXT NOT NULL,
               outcome TEXT NOT NULL)       -- delivered, retrying, failed, disabled, test"""
    )
    db.execute("CREATE INDEX deliveries_by_webhook ON deliveries (webhook, id)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_m001_webhooks]


def exists(project_path: Path) -> bool:
    """True when the project has ever had a webhook (cheap: one stat, for the event bus's filter)."""
    return locations.webhooks_db(project_path).exists()


def new_secret() -> str:
    """A signing secret as Standard Webhooks writes them: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookStore:
    def __init__(self, project_path: Path) -> None:
        path = locations.webhooks_db(project_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))  # SQLite's -wal/-shm files take the same mode
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def __enter__(self) -> WebhookStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        self.db.execute("CREATE TABLE IF NOT EXISTS migrations (number INTEGER PRIMARY KEY, applied REAL NOT NULL)")
        done = {row[0] for row in self.db.execute("SELECT number FROM migrations")}
        for number, migration in enumerate(MIGRATIONS, 1):
            if number not in done:
                with self._transaction():
                    if not self.db.execute("SELECT 1 FROM migrations WHERE number=?", (number,)).fetchone():
                        migration(self.db)
                        self.db.execute("INSERT INTO migrations VALUES (?, ?)", (number, time.time()))

    def _transaction(self):
        store = self

        class _Tx:
            def __enter__(self):
                store.db.execute("BEGIN IMMEDIATE")

            def __exit__(self, kind, *_):
                store.db.execute("ROLLBACK" if kind else "COMMIT")

        return _Tx()

    # ------------------------------------------------------------------ subscriptions
    def add(self, url: str, events: list[str]) -> dict[str, Any]:
        """A new webhook, enabled; the result is the only place its secret is ever shown."""
        webhook_id, secret = f"wh_{uuid.uuid4().hex[:16]}", new_secret()
        with self._transaction():
            count = self.db.execute("SELECT COUNT(*) FROM webhooks").fetchone()[0]
            if count >= MAX_WEBHOOKS:
                raise UsageError(f"this project has {count} webhooks, the most it may have",
                                 "remove one with 'moviegen webhook remove SLUG ID'")  # fmt: skip
            self.db.execute("INSERT INTO webhooks VALUES (?, ?, ?, ?, 1, 0, NULL, ?)",
                            (webhook_id, url, json.dumps(events), secret, time.time()))  # fmt: skip
        return {**self.get(webhook_id), "secret": secret}

    def _row(self, webhook_id: str) -> sqlite3.Row:
        row = self.db.execute("SELECT * FROM webhooks WHERE id=?", (webhook_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no webhook '{webhook_id}' in this project",
                                "see the project's webhooks with 'moviegen webhook list SLUG'")  # fmt: skip
        return row

    def get(self, webhook_id: str) -> dict[str, Any]:
        return self._view(self._row(webhook_id))

    def list(self) -> list[dict[str, Any]]:
        return [self._view(row) for row in self.db.execute("SELECT * FROM webhooks ORDER BY created, id")]

    def _view(self, row: sqlite3.Row) -> dict[str, Any]:
        """What anyone may see of a webhook: everything but its secret."""
        counts = dict(self.db.execute("SELECT status, COUNT(*) FROM outbox WHERE webhook=? GROUP BY status",
                                      (row["id"],)).fetchall())  # fmt: skip
        last = self.db.execute("SELECT at, ok, status_code, error FROM deliveries WHERE webhook=? AND attempt>0 "
                               "ORDER BY id DESC LIMIT 1", (row["id"],)).fetchone()  # fmt: skip
        return {
            "id": row["id"], "url": row["url"], "events": json.loads(row["events"]), "enabled": bool(row["enabled"]),
            "failures": row["failures"], "disabled_reason": row["disabled_reason"], "created": row["created"],
            "queued": sum(counts.get(s, 0) for s in LIVE), "gave_up": counts.get("failed", 0),
            "last_delivery": dict(last) | {"ok": bool(last["ok"])} if last else None,
        }  # fmt: skip

    def secret_of(self, webhook_id: str) -> str:
        return self._row(webhook_id)["secret"]

    def remove(self, webhook_id: str) -> dict[str, Any]:
        view = self.get(webhook_id)
        with self._transaction():
            for table, column in (("webhooks", "id"), ("outbox", "webhook"), ("deliveries", "webhook")):
                self.db.execute(f"DELETE FROM {table} WHERE {column}=?", (webhook_id,))  # noqa: S608 - fixed names
        return view

    def enable(self, webhook_id: str) -> dict[str, Any]:
        """Turn a disabled webhook back on, its count of failures at zero (new events only: what was queued
        when it was disabled was dropped)."""
        self._row(webhook_id)
        self.db.execute("UPDATE webhooks SET enabled=1, failures=0, disabled_reason=NULL WHERE id=?", (webhook_id,))
        return self.get(webhook_id)

    def subscribers(self, names: list[str]) -> dict[str, list[str]]:
        """Enabled webhooks wanting any of ``names`` -> the names each wants, in the order given."""
        out = {}
        for row in self.db.execute("SELECT id, events FROM webhooks WHERE enabled=1"):
            wanted = [n for n in names if n in json.loads(row["events"])]
            if wanted:
                out[row["id"]] = wanted
        return out

    # ------------------------------------------------------------------ the outbox
    def enqueue(self, messages: list[tuple[str, str, str]]) -> list[str]:
        """(webhook, event, payload) rows, in one transaction; returns their message ids."""
        now, ids = time.time(), []
        with self._transaction():
            for webhook, event, payload in messages:
                ids.append(f"msg_{uuid.uuid4().hex}")
                self.db.execute("INSERT INTO outbox (msg_id, webhook, event, payload, attempts, next_at, status, "
                                "created) VALUES (?, ?, ?, ?, 0, ?, 'pending', ?)",
                                (ids[-1], webhook, event, payload, now, now))  # fmt: skip
        return ids

    def claim(self, lease: float, limit: int = 20, busy: dict[str, int] | None = None, parallel: int = 1) -> list[Due]:
        """Messages due now (and those whose sender's lease ran out), leased to the caller for ``lease`` s: at
        most ``limit``, and per webhook at most ``parallel`` in flight counting the ``busy`` ones (webhook ->
        attempts the caller has in flight) — one while the webhook is failing. Oldest due first."""
        now, taken = time.time(), dict(busy or {})
        with self._transaction():
            rows = self.db.execute(
                "SELECT * FROM (SELECT o.id, o.msg_id, o.webhook, w.url, w.secret, o.event, o.payload, o.attempts, "
                "o.next_at, w.failures, ROW_NUMBER() OVER (PARTITION BY o.webhook ORDER BY o.next_at, o.id) AS k "
                "FROM outbox o JOIN webhooks w ON w.id = o.webhook WHERE o.status IN ('pending', 'sending') "
                "AND o.next_at <= ? AND w.enabled=1) WHERE k <= ? ORDER BY next_at, id",
                (now, max(parallel, 1))).fetchall()  # fmt: skip
            chosen = []
            for r in rows:
                if len(chosen) < limit and taken.get(r["webhook"], 0) < (1 if r["failures"] else parallel):
                    chosen.append(r)
                    taken[r["webhook"]] = taken.get(r["webhook"], 0) + 1
            self.db.executemany("UPDATE outbox SET status='sending', next_at=? WHERE id=?",
                                [(now + lease, r["id"]) for r in chosen])  # fmt: skip
        return [Due(*tuple(r)[:8]) for r in chosen]

    def release(self, claimed: list[Due]) -> None:
        """Give claimed messages back unsent (a stopping sender): due at once for the next one."""
        self.db.executemany("UPDATE outbox SET status='pending', next_at=? WHERE id=? AND status='sending'",
                            [(time.time(), due.row) for due in claimed])  # fmt: skip

    def next_due(self) -> float | None:
        """When the next queued message falls due (None: nothing queued for an enabled webhook)."""
        row = self.db.execute("SELECT MIN(o.next_at) FROM outbox o JOIN webhooks w ON w.id = o.webhook "
                              "WHERE o.status IN ('pending', 'sending') AND w.enabled=1").fetchone()  # fmt: skip
        return row[0]

    def finish(self, due: Due, attempt: Attempt, backoff: list[float], disable_after: int, keep: int) -> str:
        """Record an attempt and what follows from it: delivered (the row goes), retrying after the next wait
        of ``backoff``, failed (no waits left), or disabled (``disable_after`` failures in a row: the webhook
        turns off, with the reason, and its queued messages are dropped). An attempt still in flight when its
        webhook turned off is only logged: ``dropped``, or ``delivered`` if it got through. Returns the outcome."""
        number = due.attempts + 1
        with self._transaction():
            row = self.db.execute("SELECT status FROM outbox WHERE id=?", (due.row,)).fetchone()
            if row is None:
                return "removed"  # the webhook was removed while its message was in flight
            if row["status"] == "dropped":  # the webhook was turned off by another attempt while this one flew
                outcome = "delivered" if attempt.ok else "dropped"
                if attempt.ok:
                    self.db.execute("DELETE FROM outbox WHERE id=?", (due.row,))
                self._log(due.webhook, due.msg_id, due.event, number, attempt, outcome, keep)
                return outcome
            if attempt.ok:
                outcome = "delivered"
                self.db.execute("DELETE FROM outbox WHERE id=?", (due.row,))
                self.db.execute("UPDATE webhooks SET failures=0 WHERE id=?", (due.webhook,))
            else:
                failures = self.db.execute("UPDATE webhooks SET failures=failures+1 WHERE id=? RETURNING failures",
                                           (due.webhook,)).fetchone()[0]  # fmt: skip
                if number > len(backoff):
                    outcome = "failed"
                    self.db.execute("UPDATE outbox SET status='failed', attempts=? WHERE id=?", (number, due.row))
                else:
                    outcome = "retrying"
                    self.db.execute("UPDATE outbox SET status='pending', attempts=?, next_at=? WHERE id=?",
                                    (number, time.time() + backoff[number - 1], due.row))  # fmt: skip
                if failures >= disable_after:
                    outcome = "disabled"
                    reason = f"{failures} deliveries failed in a row; the last: {attempt.error}"
                    self.db.execute("UPDATE webhooks SET enabled=0, disabled_reason=? WHERE id=?",
                                    (reason, due.webhook))  # fmt: skip
                    self.db.execute("UPDATE outbox SET status='dropped' WHERE webhook=? AND status IN "
                                    "('pending', 'sending')", (due.webhook,))  # fmt: skip
            self._log(due.webhook, due.msg_id, due.event, number, attempt, outcome, keep)
        return outcome

    # ------------------------------------------------------------------ the delivery log
    def record_test(self, webhook_id: str, msg_id: str, attempt: Attempt, keep: int) -> None:
        with self._transaction():
            self._log(webhook_id, msg_id, "webhook.test", 0, attempt, "test", keep)

    def _log(self, webhook: str, msg_id: str, event: str, number: int, attempt: Attempt, outcome: str,
             keep: int) -> None:  # fmt: skip
        self.db.execute("INSERT INTO deliveries (webhook, msg_id, event, attempt, at, ok, status_code, latency_ms, "
                        "error, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (webhook, msg_id, event, number, attempt.at or time.time(), int(attempt.ok),
                         attempt.status_code, round(attempt.latency_ms, 1), attempt.error[:500], outcome))  # fmt: skip
        self.db.execute("DELETE FROM deliveries WHERE webhook=? AND id <= (SELECT id FROM deliveries WHERE webhook=? "
                        "ORDER BY id DESC LIMIT 1 OFFSET ?)", (webhook, webhook, keep))  # fmt: skip

    def log(self, webhook_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """The webhook's latest attempts, newest first."""
        self._row(webhook_id)
        rows = self.db.execute("SELECT msg_id, event, attempt, at, ok, status_code, latency_ms, error, outcome "
                               "FROM deliveries WHERE webhook=? ORDER BY id DESC LIMIT ?",
                               (webhook_id, limit)).fetchall()  # fmt: skip
        return [dict(r) | {"ok": bool(r["ok"])} for r in rows]
