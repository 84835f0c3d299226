"""Kill a writer mid-batch: the database opens, and no half-stored document is visible."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from moviegen.brain.embedding.static import static_embedder
from moviegen.brain.knowledge.sqlite_store import SqliteKnowledge

BATCH = 4000
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from moviegen.brain.embedding.static import static_embedder
    from moviegen.brain.knowledge.sqlite_store import SqliteKnowledge
    from moviegen.core.knowledge import DocumentIn

    store = SqliteKnowledge(Path(sys.argv[1]), "p", static_embedder())
    for batch in range(1000):
        store.bulk_store_documents(
            DocumentIn(id=f"b{batch}-{i}", text=f"Scene {i} of batch {batch}: the lantern flickers in the storm.")
            for i in range(BATCH_SIZE)
        )
    """
).replace("BATCH_SIZE", str(BATCH))


@pytest.mark.integration
def test_kill_minus_nine_mid_batch_leaves_whole_batches_only(tmp_path):
    db = tmp_path / "k.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(db)])
    try:
        deadline = time.time() + 60
        while time.time() < deadline:  # wait until at least one batch committed and the next is under way
            time.sleep(0.05)
            try:
                with sqlite3.connect(db, timeout=5) as c:
                    if c.execute("SELECT COUNT(*) FROM documents").fetchone()[0] >= BATCH:
                        break
            except sqlite3.OperationalError:
                continue
        time.sleep(0.15)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        count = c.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        fts = c.execute("SELECT COUNT(*) FROM documents_fts").fetchone()[0]
        c.execute("INSERT INTO documents_fts(documents_fts) VALUES ('integrity-check')")
    assert count >= BATCH and count % BATCH == 0
    assert fts == count
    store = SqliteKnowledge(db, "p", static_embedder())
    try:
        assert store.info().documents == count
        assert store.vectors.live_count() == count
        assert len(store.search("lantern storm", 5)) == 5
    finally:
        store.close()
