"""knowledge.sqlite: numbered migrations, run on open (like the project index)."""

from __future__ import annotations

import sqlite3
import time

M001_DOCUMENTS = """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE documents (
            rowid INTEGER PRIMARY KEY AUTOINCREMENT,  -- grows only: the vector matrix is kept in rowid order
            id TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            metadata TEXT NOT NULL,                   -- JSON object of scalars
            node TEXT,                                -- key of the graph node the document is about
            vec BLOB NOT NULL,                        -- float32, unit length, dim in meta
            created REAL NOT NULL);
        CREATE INDEX documents_kind ON documents(kind);
        CREATE INDEX documents_node ON documents(node) WHERE node IS NOT NULL;
        CREATE TABLE tombstones (seq INTEGER PRIMARY KEY AUTOINCREMENT, rowid INTEGER NOT NULL);
        -- no stemmer: words match as typed, accents aside (the vector leg covers other word forms)
        CREATE VIRTUAL TABLE documents_fts USING fts5(
            title, text, content='documents', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
        CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN
            INSERT INTO documents_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text);
        END;
        CREATE TRIGGER documents_ad AFTER DELETE ON documents BEGIN
            INSERT INTO documents_fts(documents_fts, rowid, title, text) VALUES ('delete', old.rowid, old.title, old.text);
            INSERT INTO tombstones(rowid) VALUES (old.rowid);
        END;
"""


M002_GRAPH = """
        CREATE TABLE nodes (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            name_lc TEXT NOT NULL,
            props TEXT NOT NULL,
            source TEXT);                              -- 'story' for nodes extracted from the screenplay
        CREATE INDEX nodes_kind ON nodes(kind);
        CREATE INDEX nodes_name ON nodes(name_lc);
        CREATE TABLE edges (
            src INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
            dst INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
            type TEXT NOT NULL,
            props TEXT NOT NULL,
            source TEXT,
            PRIMARY KEY (src, type, dst)) WITHOUT ROWID;
        CREATE INDEX edges_dst ON edges(dst, type, src);
"""


M003_WORKFLOWS = """
        CREATE TABLE workflows (
            id TEXT PRIMARY KEY,
            description TEXT NOT NULL,
            data TEXT NOT NULL,
            stored REAL NOT NULL);
"""


MIGRATIONS = [M001_DOCUMENTS, M002_GRAPH, M003_WORKFLOWS]


def statements(script: str) -> list[str]:
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


def migrate(db: sqlite3.Connection) -> None:
    """Apply missing migrations, each in its own transaction (safe when two processes open at once)."""
    db.execute("CREATE TABLE IF NOT EXISTS migrations (number INTEGER PRIMARY KEY, applied REAL NOT NULL)")
    done = {row[0] for row in db.execute("SELECT number FROM migrations")}
    for number, script in enumerate(MIGRATIONS, 1):
        if number in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            if not db.execute("SELECT 1 FROM migrations WHERE number=?", (number,)).fetchone():
                for statement in statements(script):
                    db.execute(statement)
                db.execute("INSERT INTO migrations VALUES (?, ?)", (number, time.time()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
