"""The embedded knowledge store: one SQLite database (WAL) per project.

Documents with metadata, FTS5 for BM25, vectors as blobs (held in memory as
one matrix, see vectors.py), the story graph, workflow records. One writer at a
time (``BEGIN IMMEDIATE``), any number of readers; a process notices another
one's commits through ``PRAGMA data_version`` and loads just the new rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from moviegen.brain.embedding.base import Embedder
from moviegen.brain.knowledge import fusion
from moviegen.brain.knowledge.shared import LEG_DEPTH, SNIPPET_CHARS, check_depth, embedding_text
from moviegen.brain.knowledge.sqlite_graph import SqliteGraph
from moviegen.brain.knowledge.sqlite_keywords import filter_sql, keyword_leg
from moviegen.brain.knowledge.sqlite_schema import migrate
from moviegen.brain.knowledge.vectors import ANN_THRESHOLD, VectorIndex, check_vector
from moviegen.core.errors import KnowledgeError, NotFoundError
from moviegen.core.knowledge import (
    Document,
    DocumentIn,
    Edge,
    GraphQuery,
    GraphRow,
    Neighbor,
    Node,
    SearchFilter,
    SearchHit,
    StoreInfo,
)
from moviegen.core.knowledge import (
    Path as GraphPath,
)


class SqliteKnowledge:
    backend = "sqlite"

    def __init__(self, path: Path, project: str, embedder: Embedder, ann_threshold: int = ANN_THRESHOLD) -> None:
        self.path = path
        self.project = project
        self.embedder = embedder
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA busy_timeout=30000")
        migrate(self.db)
        self.graph = SqliteGraph(self.db)
        self._lock = threading.RLock()
        self._ann_threshold = ann_threshold
        self._data_version = -1
        self._tomb_seq = 0
        self.vectors: VectorIndex | None = None
        self._cypher = None  # query_cypher's in-memory graph (cypher_engine.CypherCache), made on first use
        self._load()

    # ------------------------------------------------------------------ state
    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _load(self) -> None:
        """(Re)build the in-memory matrix from the database."""
        with self._lock:
            self._data_version = self.db.execute("PRAGMA data_version").fetchone()[0]
            self._generation = self._meta("generation")
            dim = self._meta("dim")
            self._tomb_seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM tombstones").fetchone()[0]
            if dim is None:
                self.vectors = None
                return
            self.vectors = VectorIndex(int(dim), self._ann_path(), self._ann_threshold)
            self._load_rows(0)
            self.vectors.load_persisted()

    def _ann_path(self) -> Path:
        return self.path.with_name(f"vectors-{(self._generation or 'new')[:12]}.hnsw")

    def _load_rows(self, after: int) -> None:
        assert self.vectors is not None
        cursor = self.db.execute("SELECT rowid, kind, vec FROM documents WHERE rowid > ? ORDER BY rowid", (after,))
        while batch := cursor.fetchmany(50_000):
            rowids = np.fromiter((r[0] for r in batch), np.int64, len(batch))
            vecs = np.frombuffer(b"".join(r[2] for r in batch), np.float32).reshape(len(batch), self.vectors.dim)
            self.vectors.add(rowids, vecs, [r[1] for r in batch])

    def _refresh(self) -> None:
        """Catch up with commits made by other connections (another process, the CLI beside the brain)."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return
        self._data_version = version
        if self._meta("generation") != self._generation or (self.vectors is None and self._meta("dim")):
            self._load()
            return
        if self.vectors is None:
            return
        self._load_rows(self.vectors.last_rowid)
        dead = self.db.execute("SELECT seq, rowid FROM tombstones WHERE seq > ?", (self._tomb_seq,)).fetchall()
        if dead:
            self._tomb_seq = dead[-1][0]
            self.vectors.remove([r[1] for r in dead])

    def _check_embedder(self) -> None:
        made_by = self._meta("embedder")
        if made_by is not None and made_by != self.embedder.name:
            raise KnowledgeError(
                f"this project's vectors were made by {made_by}; the configured embedder is {self.embedder.name}",
                "run `moviegen reindex --re-embed` to rebuild them, or configure the embedder they were made with",
            )

    # ------------------------------------------------------------------ transactions
    def _write(self):
        return _WriteTx(self)

    # ------------------------------------------------------------------ documents
    def store_document(self, doc: DocumentIn) -> Document:
        return self.get_document(self.bulk_store_documents([doc])[0])

    def bulk_store_documents(self, docs: Iterable[DocumentIn]) -> list[str]:
        """Store (or replace, by id) documents in one transaction: all of them or none."""
        docs = list(docs)
        if not docs:
            return []
        with self._lock:
            self._check_embedder()
            return self._insert(docs, self.embedder.embed([_embed_text(d) for d in docs]))

    def _insert(self, docs: list[DocumentIn], vectors: np.ndarray) -> list[str]:
        now = time.time()
        ids = [d.id or uuid.uuid4().hex for d in docs]
        if len(set(ids)) != len(ids):
            raise KnowledgeError("the same document id appears twice in one batch", "give each document its own id")
        with self._write() as db:
            replaced = []
            for at in range(0, len(ids), 10_000):
                chunk = ids[at : at + 10_000]
                marks = ",".join("?" * len(chunk))
                replaced += [r[0] for r in db.execute(f"SELECT rowid FROM documents WHERE id IN ({marks})", chunk)]
            for at in range(0, len(replaced), 10_000):
                chunk = replaced[at : at + 10_000]
                db.execute(f"DELETE FROM documents WHERE rowid IN ({','.join('?' * len(chunk))})", chunk)
            if replaced:
                self._tomb_seq = db.execute("SELECT MAX(seq) FROM tombstones").fetchone()[0]
            first = db.execute("SELECT COALESCE(MAX(rowid), 0) FROM documents").fetchone()[0]
            seq = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'documents'").fetchone()
            first = max(first, seq[0] if seq else 0) + 1
            if self._meta("dim") is None:
                db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("embedder", self.embedder.name),
                        ("dim", str(vectors.shape[1])),
                        ("generation", uuid.uuid4().hex),
                    ],
                )
                self._generation = self._meta("generation")
                self.vectors = VectorIndex(vectors.shape[1], self._ann_path(), self._ann_threshold)
            rows = [
                (first + i, ids[i], d.kind, d.title, d.text, json.dumps(d.metadata), d.node, vectors[i].tobytes(), now)
                for i, d in enumerate(docs)
            ]
            db.executemany("INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        assert self.vectors is not None
        if replaced:
            self.vectors.remove(replaced)
        self.vectors.add(np.arange(first, first + len(docs), dtype=np.int64), vectors, [d.kind for d in docs])
        return ids

    def get_document(self, doc_id: str) -> Document:
        with self._lock:
            row = self.db.execute(
                "SELECT id, kind, title, text, metadata, node FROM documents WHERE id = ?", (doc_id,)
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no document '{doc_id}' in this project")
        return Document(id=row[0], kind=row[1], title=row[2], text=row[3], metadata=json.loads(row[4]), node=row[5])

    def delete_document(self, doc_id: str) -> None:
        with self._lock, self._write() as db:
            row = db.execute("SELECT rowid FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no document '{doc_id}' in this project")
            db.execute("DELETE FROM documents WHERE rowid = ?", (row[0],))
            self._tomb_seq = db.execute("SELECT MAX(seq) FROM tombstones").fetchone()[0]
        if self.vectors:
            self.vectors.remove([row[0]])

    def delete_kind(self, kind: str, source_prefix: str | None = None) -> None:
        with self._lock, self._write() as db:
            rows = [r[0] for r in db.execute("SELECT rowid FROM documents WHERE kind = ?", (kind,))]
            db.execute("DELETE FROM documents WHERE kind = ?", (kind,))
            self._tomb_seq = db.execute("SELECT COALESCE(MAX(seq), 0) FROM tombstones").fetchone()[0]
        if self.vectors and rows:
            self.vectors.remove(rows)

    # ------------------------------------------------------------------ search
    def embed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    def search(self, query: str, k: int = 10, where: SearchFilter | None = None, mode: str = "hybrid"):
        if not query.strip():
            raise KnowledgeError("the search text is empty", "search for some words")
        where = where or SearchFilter()
        with self._lock:
            self._refresh()
            self._check_embedder()
            allowed = self._allowed(where)
            lists: dict[str, list[int]] = {}
            if mode in ("hybrid", "vector") and self.vectors is not None:
                qv = self.embedder.embed_queries([query])[0]
                hits = self.vectors.search(qv, LEG_DEPTH if mode == "hybrid" else k, where.kinds, allowed)
                lists["vector"] = [r for r, _ in hits]
            if mode in ("hybrid", "text"):
                lists["bm25"] = keyword_leg(self.db, query, LEG_DEPTH if mode == "hybrid" else k, where)
            if mode == "hybrid":
                lists["graph"] = self._graph_leg(query, LEG_DEPTH, where, allowed)
            fused = fusion.rrf(lists)[:k]
            return self._hits([(r, s, ranks) for r, s, ranks in fused])

    def search_by_embedding(self, vector, k: int = 10, where: SearchFilter | None = None) -> list[SearchHit]:
        return self.batch_similarity_search([vector], k, where)[0]

    def batch_similarity_search(self, vectors, k: int = 10, where: SearchFilter | None = None):
        where = where or SearchFilter()
        with self._lock:
            self._refresh()
            if self.vectors is None:
                return [[] for _ in vectors]
            checked = [check_vector(v, self.vectors.dim) for v in vectors]
            allowed = self._allowed(where)
            out = []
            for qv in checked:
                hits = self.vectors.search(qv, k, where.kinds, allowed)
                out.append(self._hits([(r, s, {"vector": i}) for i, (r, s) in enumerate(hits, 1)]))
            return out

    def _allowed(self, where: SearchFilter) -> np.ndarray | None:
        if not where.metadata:
            return None
        sql, params = filter_sql(where)
        return np.fromiter(
            (r[0] for r in self.db.execute(f"SELECT rowid FROM documents d WHERE {sql}", params)), np.int64
        )

    def _graph_leg(self, query: str, k: int, where: SearchFilter, allowed: np.ndarray | None) -> list[int]:
        """Documents about the nodes the query names, then about their neighbours, nearest first."""
        seeds = self.graph.nodes_named(fusion.graph_phrases(query))
        if not seeds:
            return []
        reach = self.graph.walk(seeds, 2)
        by_depth = sorted(reach.items(), key=lambda kv: (kv[1], kv[0]))
        ids = [i for i, _ in by_depth][:500]
        marks = ",".join("?" * len(ids))
        sql, params = filter_sql(where)
        rows = self.db.execute(
            f"""SELECT d.rowid, n.id FROM documents d JOIN nodes n ON n.key = d.node
                WHERE n.id IN ({marks}) AND {sql}""",
            [*ids, *params],
        ).fetchall()
        order = {i: pos for pos, i in enumerate(ids)}
        rows.sort(key=lambda r: (order[r[1]], r[0]))
        return [r[0] for r in rows][:k]

    def _hits(self, ranked: list[tuple[int, float, dict[str, int]]]) -> list[SearchHit]:
        if not ranked:
            return []
        rowids = [r[0] for r in ranked]
        rows = {
            r[0]: r
            for r in self.db.execute(
                f"SELECT rowid, id, kind, title, substr(text, 1, {SNIPPET_CHARS}), metadata, node FROM documents"
                f" WHERE rowid IN ({','.join('?' * len(rowids))})",
                rowids,
            )
        }
        hits = []
        for rowid, score, ranks in ranked:
            row = rows.get(rowid)
            if row is None:  # deleted between ranking and fetching
                continue
            hits.append(
                SearchHit(
                    id=row[1],
                    kind=row[2],
                    title=row[3],
                    text=row[4],
                    metadata=json.loads(row[5]),
                    node=row[6],
                    score=float(score),
                    ranks=ranks,
                )  # fmt: skip
            )
        return hits

    # ------------------------------------------------------------------ graph
    def upsert_nodes(self, nodes: Iterable[Node]) -> None:
        with self._lock, self._write():
            self.graph.upsert_nodes(nodes)

    def create_relationship(self, edge: Edge) -> Edge:
        with self._lock, self._write():
            self.graph.add_edges([edge])
        return edge

    def get_node(self, key: str) -> Node:
        with self._lock:
            return self.graph.get_node(key)

    def get_node_neighbors(
        self, key: str, depth: int = 1, rel_types: list[str] | None = None, direction: str = "both"
    ) -> list[Neighbor]:
        check_depth(depth)
        with self._lock:
            return self.graph.neighbors(key, depth, rel_types, direction)

    def find_paths(self, src: str, dst: str, max_depth: int = 4, limit: int = 10) -> list[GraphPath]:
        check_depth(max_depth)
        with self._lock:
            return self.graph.paths(src, dst, max_depth, limit)

    def query_graph(self, query: GraphQuery) -> list[GraphRow]:
        with self._lock:
            return self.graph.query(query)

    def query_cypher(
        self, cypher_query: str, limit: int = 1000, *, budget_s: float | None = None
    ) -> list[dict[str, Any]]:
        """Read-only Cypher over this project's story graph (what it sees and what a row holds: cypher_engine.py).
        Writes are refused before anything runs; the in-memory graph is rebuilt only after the graph changed."""
        from moviegen.brain.knowledge.cypher_engine import CYPHER_BUDGET_S, CypherCache
        from moviegen.brain.knowledge.cypher_guard import prepare

        prepared = prepare(cypher_query)
        with self._lock:
            self._cypher = self._cypher or CypherCache()
            graph = self._cypher.graph(self.graph.version(), self.graph.snapshot)
        return graph.run(prepared, limit, CYPHER_BUDGET_S if budget_s is None else budget_s)

    def meta(self, key: str) -> str | None:
        with self._lock:
            return self._meta(f"user:{key}")

    def replace_derived(
        self, source: str, nodes: list[Node], edges: list[Edge], docs: list[DocumentIn], digest: str = ""
    ) -> None:
        """Swap everything previously derived from ``source`` (e.g. the screenplay) for a new extraction,
        in one transaction: readers see the old graph or the new one, never half of each."""
        with self._lock:
            self._check_embedder()
            vectors = self.embedder.embed([_embed_text(d) for d in docs]) if docs else None
            with self._write() as db:
                self.graph.drop_source(source)
                self.graph.upsert_nodes(nodes, source)
                self.graph.add_edges(edges, source)
                gone = [
                    r[0]
                    for r in db.execute(
                        "SELECT rowid FROM documents WHERE json_extract(metadata, '$.source') = ?", (source,)
                    )
                ]
                if gone:
                    db.execute(f"DELETE FROM documents WHERE rowid IN ({','.join('?' * len(gone))})", gone)
                    self._tomb_seq = db.execute("SELECT MAX(seq) FROM tombstones").fetchone()[0]
                if gone and self.vectors:
                    self.vectors.remove(gone)
                if docs:
                    for d in docs:
                        d.metadata["source"] = source
                    self._insert(docs, vectors)
                db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (f"user:{source}_digest", digest))

    # ------------------------------------------------------------------ workflows
    def store_workflow_data(self, workflow_id: str, data: dict) -> None:
        if not workflow_id.strip():
            raise KnowledgeError("the workflow id is empty")
        description = str(data.get("description") or data.get("kind") or workflow_id)
        text = description + "\n" + json.dumps(data, sort_keys=True, default=str)[:20_000]
        with self._lock:
            with self._write() as db:
                db.execute(
                    "INSERT OR REPLACE INTO workflows VALUES (?, ?, ?, ?)",
                    (workflow_id, description, json.dumps(data, default=str), time.time()),
                )
            meta = {k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}
            self.bulk_store_documents(
                [DocumentIn(id=f"workflow:{workflow_id}", kind="workflow", title=description, text=text, metadata=meta)]
            )

    def search_similar_workflows(self, description: str, k: int = 5) -> list[dict]:
        hits = self.search(description, k, SearchFilter(kinds=["workflow"]))
        out = []
        for hit in hits:
            wid = hit.id.removeprefix("workflow:")
            row = self.db.execute("SELECT data, stored FROM workflows WHERE id = ?", (wid,)).fetchone()
            if row:
                out.append({"workflow_id": wid, "score": hit.score, "stored": row[1], "data": json.loads(row[0])})
        return out

    def list_workflows(self, limit: int = 20) -> list[dict]:
        """The newest workflow records of this project, newest first."""
        rows = self.db.execute("SELECT id, data, stored FROM workflows ORDER BY stored DESC LIMIT ?", (int(limit),))
        return [{"workflow_id": r[0], "stored": r[2], "data": json.loads(r[1])} for r in rows]

    # ------------------------------------------------------------------ maintenance
    def reembed(self, progress=None) -> int:
        """Re-embed every document with the configured embedder (after switching embedders)."""
        with self._lock:
            rows = self.db.execute("SELECT rowid, title, text FROM documents ORDER BY rowid").fetchall()
            vectors = []
            for at in range(0, len(rows), 2048):
                chunk = rows[at : at + 2048]
                vectors.append(self.embedder.embed([embedding_text(r[1], r[2]) for r in chunk]))
                if progress:
                    progress(min(at + 2048, len(rows)), len(rows))
            with self._write() as db:
                for (rowid, *_), vec in zip(rows, np.concatenate(vectors) if vectors else [], strict=True):
                    db.execute("UPDATE documents SET vec = ? WHERE rowid = ?", (vec.tobytes(), rowid))
                db.execute("DELETE FROM meta WHERE key IN ('embedder', 'dim', 'generation')")
                db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [
                        ("embedder", self.embedder.name),
                        ("dim", str(self.embedder.dim)),
                        ("generation", uuid.uuid4().hex),
                    ],
                )
            if self.vectors:
                self.vectors.drop_persisted()
            self._load()
            return len(rows)

    def info(self) -> StoreInfo:
        with self._lock:
            self._refresh()
            nodes, edges = self.graph.counts()
            return StoreInfo(
                backend=self.backend,
                project=self.project,
                embedder=self._meta("embedder"),
                dim=int(self._meta("dim")) if self._meta("dim") else None,
                documents=self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0],
                nodes=nodes,
                edges=edges,
                ann=self.vectors.ann_info() if self.vectors else {},
            )

    def close(self) -> None:
        with self._lock:
            if self.vectors:
                self.vectors.flush()
            self.db.close()


class _WriteTx:
    """BEGIN IMMEDIATE ... COMMIT, catching up with other writers first so new rowids follow theirs."""

    def __init__(self, store: SqliteKnowledge) -> None:
        self.store = store
        self.depth = 0

    def __enter__(self) -> sqlite3.Connection:
        db = self.store.db
        if db.in_transaction:
            self.depth = 1  # nested: the outer transaction commits
            return db
        db.execute("BEGIN IMMEDIATE")
        self.store._refresh()
        return db

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.depth:
            return
        db = self.store.db
        if exc_type is None:
            db.execute("COMMIT")
        else:
            db.execute("ROLLBACK")
            self.store._load()  # the in-memory matrix may hold rows that never committed


def _embed_text(doc: DocumentIn) -> str:
    return embedding_text(doc.title, doc.text)
