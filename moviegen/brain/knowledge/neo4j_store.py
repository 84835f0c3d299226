"""The scaled knowledge store: Neo4j (or any Bolt server with our dialect) through
the official driver. Same interface and answers as the SQLite store.

Every statement we write is scoped by project: each node we match carries
``project: $project``, and variable-length walks check every node on the path.
Raw Cypher is only for administrators and only runs in read sessions
(``READ_ACCESS``), where Neo4j itself refuses writes.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterable

import numpy as np

from moviegen.brain.embedding.base import Embedder
from moviegen.brain.knowledge import fusion
from moviegen.brain.knowledge.cypher_dialects import DIALECTS
from moviegen.brain.knowledge.neo4j_graph import Neo4jGraph
from moviegen.brain.knowledge.shared import LEG_DEPTH, SNIPPET_CHARS, embedding_text
from moviegen.brain.knowledge.vectors import check_vector
from moviegen.core.errors import KnowledgeError, NotFoundError, ProviderError
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

_DRIVERS: dict[tuple, object] = {}
_DRIVERS_LOCK = threading.Lock()


def connect(settings):
    """One driver per server and user for the whole process (drivers pool their connections)."""
    from neo4j import GraphDatabase

    if not settings.neo4j_uri:
        raise KnowledgeError("the Neo4j backend needs NEO4J_URI", "set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD")
    key = (settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password is not None)
    with _DRIVERS_LOCK:
        if key not in _DRIVERS:
            auth = (
                (settings.neo4j_user, settings.neo4j_password.get_secret_value())
                if settings.neo4j_password is not None
                else None
            )
            _DRIVERS[key] = GraphDatabase.driver(settings.neo4j_uri, auth=auth, connection_timeout=10)
        return _DRIVERS[key]


class Neo4jKnowledge:
    backend = "neo4j"

    def __init__(self, driver, project: str, embedder: Embedder, *, database: str | None = None, dialect: str = "auto"):
        self.driver = driver
        self.project = project
        self.embedder = embedder
        self.database = database
        self.dialect = DIALECTS["neo4j"]()  # for the probe
        self.dialect = DIALECTS[dialect if dialect != "auto" else self._detect()]()
        self._lock = threading.RLock()
        self._ready_dims: set[int] = set()
        self.graph = Neo4jGraph(self)

    # ------------------------------------------------------------------ plumbing
    def _detect(self) -> str:
        try:
            self._read("CALL dbms.components() YIELD name RETURN name")
            return "neo4j"
        except ProviderError:
            return "falkordb"

    def _session(self, read: bool = False):
        from neo4j import READ_ACCESS, WRITE_ACCESS

        return self.driver.session(database=self.database, default_access_mode=READ_ACCESS if read else WRITE_ACCESS)

    def _read(self, query: str, **params) -> list[dict]:
        return self._run(query, params, read=True)

    def _write(self, query: str, **params) -> list[dict]:
        return self._run(query, params, read=False)

    def _run(self, query: str, params: dict, read: bool) -> list[dict]:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

        params = self.dialect.params({"project": self.project, **params})

        def work(tx):
            return [r.data() for r in tx.run(query, params)]

        try:
            with self._session(read) as session:
                return session.execute_read(work) if read else session.execute_write(work)
        except (ServiceUnavailable, SessionExpired) as exc:
            raise ProviderError(
                f"the graph database is unreachable: {exc}", "check NEO4J_URI and that it runs"
            ) from None
        except Neo4jError as exc:
            raise ProviderError(f"the graph database refused a query: {exc.message or exc.code}") from None

    def _transaction(self, statements: list[tuple[str, dict]]) -> None:
        """Several writes in one transaction (atomic on Neo4j)."""
        from neo4j.exceptions import Neo4jError

        def work(tx):
            for query, params in statements:
                tx.run(query, self.dialect.params({"project": self.project, **params})).consume()

        try:
            with self._session() as session:
                session.execute_write(work)
        except Neo4jError as exc:
            raise ProviderError(f"the graph database refused a write: {exc.message or exc.code}") from None

    def _ensure_schema(self, dim: int) -> None:
        if dim in self._ready_dims:
            return
        for statement in self.dialect.setup(dim):
            try:
                self._write(statement)
            except ProviderError:
                pass  # already there (FalkorDB has no IF NOT EXISTS)
        self._ready_dims.add(dim)

    # ------------------------------------------------------------------ meta
    @staticmethod
    def recorded_embedder(driver, project: str, settings) -> str | None:
        with driver.session(database=settings.knowledge.neo4j_database) as s:
            rec = s.run("MATCH (m:MgProject {project: $p}) RETURN m.embedder AS e", p=project).single()
        return rec["e"] if rec else None

    def _meta(self) -> dict:
        rows = self._read("MATCH (m:MgProject {project: $project}) RETURN properties(m) AS m")
        return rows[0]["m"] if rows else {}

    def meta(self, key: str) -> str | None:
        return self._meta().get(f"user_{key}")

    def _check_embedder(self) -> None:
        made_by = self._meta().get("embedder")
        if made_by is not None and made_by != self.embedder.name:
            raise KnowledgeError(
                f"this project's vectors were made by {made_by}; the configured embedder is {self.embedder.name}",
                "run `moviegen reindex --re-embed` to rebuild them, or configure the embedder they were made with",
            )

    # ------------------------------------------------------------------ documents
    def _doc_rows(self, docs: list[DocumentIn], vectors: np.ndarray) -> list[dict]:
        return [
            {
                "id": d.id or uuid.uuid4().hex,
                "kind": d.kind,
                "title": d.title,
                "text": d.text,
                "metadata": json.dumps(d.metadata),
                "flat": {f"m_{k}": v for k, v in d.metadata.items()},
                "node": d.node,
                "vec": vectors[i].tolist(),
            }
            for i, d in enumerate(docs)
        ]

    def _store_statements(self, rows: list[dict], dim: int) -> list[tuple[str, dict]]:
        query = (
            "UNWIND $rows AS r MERGE (d:MgDoc {project: $project, id: r.id}) "
            "SET d.kind = r.kind, d.title = r.title, d.text = r.text, d.metadata = r.metadata, d.node = r.node, "
            f"d.stored = $now, d.embedding = {self.dialect.vector('r.vec')}, d:MgVec{int(dim)} SET d += r.flat"
        )
        now = time.time()
        limit = self.dialect.text_per_statement
        if limit is None:
            step = self.dialect.rows_per_statement
            return [(query, {"rows": rows[at : at + step], "now": now}) for at in range(0, len(rows), step)]
        # small messages only: each document's text goes in pieces after the rest of it
        out = []
        for row in rows:
            text = row["text"]
            out.append((query, {"rows": [{**row, "text": text[:limit]}], "now": now}))
            out += [
                ("MATCH (d:MgDoc {project: $project, id: $id}) SET d.text = d.text + $piece",
                 {"id": row["id"], "piece": text[at : at + limit]})
                for at in range(limit, len(text), limit)
            ]  # fmt: skip
        return out

    def bulk_store_documents(self, docs: Iterable[DocumentIn]) -> list[str]:
        docs = list(docs)
        if not docs:
            return []
        with self._lock:
            self._check_embedder()
            vectors = self.embedder.embed([embedding_text(d.title, d.text) for d in docs])
            rows = self._doc_rows(docs, vectors)
            if len({r["id"] for r in rows}) != len(rows):
                raise KnowledgeError("the same document id appears twice in one batch", "give each document its own id")
            dim = vectors.shape[1]
            self._ensure_schema(dim)
            self._transaction([self._meta_statement(dim), *self._store_statements(rows, dim)])
            return [r["id"] for r in rows]

    def _meta_statement(self, dim: int) -> tuple[str, dict]:
        return (
            "MERGE (m:MgProject {project: $project}) "
            "ON CREATE SET m.embedder = $embedder, m.dim = $dim, m.generation = $generation",
            {"embedder": self.embedder.name, "dim": dim, "generation": uuid.uuid4().hex},
        )

    def store_document(self, doc: DocumentIn) -> Document:
        return self.get_document(self.bulk_store_documents([doc])[0])

    def get_document(self, doc_id: str) -> Document:
        rows = self._read(
            "MATCH (d:MgDoc {project: $project, id: $id}) "
            "RETURN d.id AS id, d.kind AS kind, d.title AS title, d.text AS text, d.metadata AS metadata, d.node AS node",
            id=doc_id,
        )
        if not rows:
            raise NotFoundError(f"no document '{doc_id}' in this project")
        r = rows[0]
        return Document(**{**r, "metadata": json.loads(r["metadata"])})

    def delete_document(self, doc_id: str) -> None:
        rows = self._write("MATCH (d:MgDoc {project: $project, id: $id}) DELETE d RETURN count(*) AS n", id=doc_id)
        if not rows or not rows[0]["n"]:
            raise NotFoundError(f"no document '{doc_id}' in this project")

    # ------------------------------------------------------------------ search
    def search(self, query: str, k: int = 10, where: SearchFilter | None = None, mode: str = "hybrid"):
        if not query.strip():
            raise KnowledgeError("the search text is empty", "search for some words")
        where = where or SearchFilter()
        self._check_embedder()
        depth = LEG_DEPTH if mode == "hybrid" else k
        lists: dict[str, list[str]] = {}
        meta = self._meta()
        if mode in ("hybrid", "vector") and meta.get("dim"):
            qv = self.embedder.embed_queries([query])[0]
            lists["vector"] = [i for i, _ in self._vector_leg(qv, depth, where, int(meta["dim"]))]
        if mode in ("hybrid", "text"):
            lists["bm25"] = self._text_leg(query, depth, where)
        if mode == "hybrid":
            lists["graph"] = self._graph_leg(query, depth, where)
        fused = fusion.rrf(lists)[:k]
        return self._hits(fused)

    def search_by_embedding(self, vector, k: int = 10, where: SearchFilter | None = None) -> list[SearchHit]:
        return self.batch_similarity_search([vector], k, where)[0]

    def batch_similarity_search(self, vectors, k: int = 10, where: SearchFilter | None = None):
        where = where or SearchFilter()
        dim = self._meta().get("dim")
        if not dim:
            return [[] for _ in vectors]
        checked = [check_vector(v, int(dim)) for v in vectors]
        out = []
        for qv in checked:
            hits = self._vector_leg(qv, k, where, int(dim))
            out.append(self._hits([(i, s, {"vector": r}) for r, (i, s) in enumerate(hits, 1)]))
        return out

    def _allowed(self, ids: list[str], where: SearchFilter) -> set[str]:
        if not where.metadata and not where.kinds:
            return set(ids)
        clauses, params = ["d.id IN $ids"], {"ids": ids}
        if where.kinds:
            clauses.append("d.kind IN $kinds")
            params["kinds"] = where.kinds
        for n, (key, value) in enumerate(where.metadata.items()):
            clauses.append(f"d[$mk{n}] = $mv{n}")
            params[f"mk{n}"], params[f"mv{n}"] = f"m_{key}", value
        rows = self._read(
            f"MATCH (d:MgDoc {{project: $project}}) WHERE {' AND '.join(clauses)} RETURN d.id AS id", **params
        )
        return {r["id"] for r in rows}

    def _vector_leg(self, qv: np.ndarray, k: int, where: SearchFilter, dim: int) -> list[tuple[str, float]]:
        """The index answers for all projects at once: ask for more until k of ours (and the filter's) are in."""
        total = self._read(f"MATCH (d:MgVec{int(dim)}) RETURN count(d) AS n")[0]["n"]
        fetch = max(4 * k, 32)
        while True:
            rows = self._read(self.dialect.vector_query(dim), fetch=min(fetch, max(total, 1)), vec=qv.tolist())
            rows.sort(key=lambda r: -r["sim"])
            keep = self._allowed([r["id"] for r in rows], where)
            found = [(r["id"], float(r["sim"])) for r in rows if r["id"] in keep]
            if len(found) >= k or fetch >= total:
                return found[:k]
            fetch *= 4

    def _text_leg(self, query: str, k: int, where: SearchFilter) -> list[str]:
        terms = fusion.query_terms(query)
        expression = self.dialect.text_expression(terms) if terms else ""
        if not expression:
            return []
        rows = self._read(self.dialect.text_query(), q=expression)
        keep = self._allowed([r["id"] for r in rows], where)
        return [r["id"] for r in rows if r["id"] in keep][:k]

    def _graph_leg(self, query: str, k: int, where: SearchFilter) -> list[str]:
        phrases = fusion.graph_phrases(query)
        if not phrases:
            return []
        rows = self._read(
            "MATCH (s:MgNode {project: $project}) WHERE s.name_lc IN $phrases "
            "MATCH path = (s)-[*0..2]-(n:MgNode) WHERE all(x IN nodes(path) WHERE x.project = $project) "
            "WITH n.key AS key, min(length(path)) AS depth "
            "MATCH (d:MgDoc {project: $project}) WHERE d.node = key "
            "RETURN d.id AS id, depth ORDER BY depth, id LIMIT 500",
            phrases=phrases,
        )
        keep = self._allowed([r["id"] for r in rows], where)
        return [r["id"] for r in rows if r["id"] in keep][:k]

    def _hits(self, ranked) -> list[SearchHit]:
        if not ranked:
            return []
        rows = self._read(
            "MATCH (d:MgDoc {project: $project}) WHERE d.id IN $ids "
            "RETURN d.id AS id, d.kind AS kind, d.title AS title, d.text AS text, d.metadata AS metadata, d.node AS node",
            ids=[r[0] for r in ranked],
        )
        by_id = {r["id"]: r for r in rows}
        hits = []
        for doc_id, score, ranks in ranked:
            r = by_id.get(doc_id)
            if r is None:
                continue
            hits.append(
                SearchHit(
                    id=doc_id,
                    kind=r["kind"],
                    title=r["title"] or "",
                    text=(r["text"] or "")[:SNIPPET_CHARS],
                    metadata=json.loads(r["metadata"]),
                    node=r["node"],
                    score=float(score),
                    ranks=ranks,
                )  # fmt: skip
            )
        return hits

    # ------------------------------------------------------------------ graph (neo4j_graph.py)
    def upsert_nodes(self, nodes: Iterable[Node]) -> None:
        self.graph.upsert_nodes(nodes)

    def create_relationship(self, edge: Edge) -> Edge:
        return self.graph.create_relationship(edge)

    def get_node(self, key: str) -> Node:
        return self.graph.get_node(key)

    def get_node_neighbors(self, key: str, depth: int = 1, rel_types=None, direction: str = "both") -> list[Neighbor]:
        return self.graph.get_node_neighbors(key, depth, rel_types, direction)

    def query_graph(self, q: GraphQuery) -> list[GraphRow]:
        return self.graph.query_graph(q)

    def query_cypher(self, cypher_query: str, limit: int = 1000, *, budget_s: float | None = None) -> list[dict]:
        return self.graph.query_cypher(cypher_query, limit, budget_s=budget_s)

    def find_paths(self, src: str, dst: str, max_depth: int = 4, limit: int = 10) -> list[GraphPath]:
        return self.graph.find_paths(src, dst, max_depth, limit)

    def replace_derived(self, source: str, nodes, edges, docs, digest: str = "") -> None:
        with self._lock:
            self._check_embedder()
            vectors = self.embedder.embed([embedding_text(d.title, d.text) for d in docs]) if docs else None
            dim = vectors.shape[1] if vectors is not None else self.embedder.dim
            self._ensure_schema(dim)
            for d in docs:
                d.metadata["source"] = source
            statements = [
                ("MATCH (n:MgNode {project: $project})-[e]-() WHERE e.source = $source DELETE e", {"source": source}),
                ("MATCH (n:MgNode {project: $project}) WHERE n.source = $source DETACH DELETE n", {"source": source}),
                ("MATCH (d:MgDoc {project: $project}) WHERE d.m_source = $source DELETE d", {"source": source}),
                self._meta_statement(dim),
            ]
            if nodes:
                statements += self.graph.node_statements(list(nodes), source)
            statements += self.graph.edge_statements(list(edges), source)
            if docs:
                statements += self._store_statements(self._doc_rows(list(docs), vectors), dim)
            if not re.fullmatch(r"[a-z_]{1,32}", source):
                raise KnowledgeError(f"bad source name {source!r}")
            statements.append(
                (f"MATCH (m:MgProject {{project: $project}}) SET m.user_{source}_digest = $digest", {"digest": digest})
            )
            self._transaction([*statements, self.graph.version_statement()])

    # ------------------------------------------------------------------ workflows
    def store_workflow_data(self, workflow_id: str, data: dict) -> None:
        if not workflow_id.strip():
            raise KnowledgeError("the workflow id is empty")
        description = str(data.get("description") or data.get("kind") or workflow_id)
        self._write(
            "MERGE (w:MgWorkflow {project: $project, id: $id}) SET w.description = $d, w.data = $data, w.stored = $now",
            id=workflow_id, d=description, data=json.dumps(data, default=str), now=time.time(),
        )  # fmt: skip
        meta = {k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}
        text = description + "\n" + json.dumps(data, sort_keys=True, default=str)[:20_000]
        self.bulk_store_documents(
            [DocumentIn(id=f"workflow:{workflow_id}", kind="workflow", title=description, text=text, metadata=meta)]
        )

    def search_similar_workflows(self, description: str, k: int = 5) -> list[dict]:
        hits = self.search(description, k, SearchFilter(kinds=["workflow"]))
        ids = [h.id.removeprefix("workflow:") for h in hits]
        rows = {
            r["id"]: r
            for r in self._read(
                "MATCH (w:MgWorkflow {project: $project}) WHERE w.id IN $ids RETURN w.id AS id, w.data AS data, w.stored AS stored",
                ids=ids,
            )
        }
        return [
            {"workflow_id": i, "score": h.score, "stored": rows[i]["stored"], "data": json.loads(rows[i]["data"])}
            for i, h in zip(ids, hits, strict=True)
            if i in rows
        ]

    def list_workflows(self, limit: int = 20) -> list[dict]:
        """The newest workflow records of this project, newest first."""
        rows = self._read(
            "MATCH (w:MgWorkflow {project: $project}) RETURN w.id AS id, w.data AS data, w.stored AS stored "
            "ORDER BY w.stored DESC LIMIT $limit",
            limit=int(limit),
        )
        return [{"workflow_id": r["id"], "stored": r["stored"], "data": json.loads(r["data"])} for r in rows]

    # ------------------------------------------------------------------ admin and maintenance
    def run_cypher(self, query: str, params: dict | None = None, *, admin: bool = False) -> list[dict]:
        """Raw Cypher for administrators, in a read session: the server refuses writes there."""
        if not admin:
            raise KnowledgeError("raw Cypher is for administrators only", "use query_graph, which any role may call")
        return self._run(query, dict(params or {}), read=True)

    def reembed(self, progress=None) -> int:
        with self._lock:
            rows = self._read(
                "MATCH (d:MgDoc {project: $project}) RETURN d.id AS id, d.title AS title, d.text AS text ORDER BY id"
            )
            old = self._meta().get("dim")
            dim = self.embedder.dim
            self._ensure_schema(dim)
            statements = []
            step = self.dialect.rows_per_statement
            for at in range(0, len(rows), step):
                chunk = rows[at : at + step]
                vecs = self.embedder.embed([embedding_text(r["title"] or "", r["text"]) for r in chunk])
                payload = [{"id": r["id"], "vec": v.tolist()} for r, v in zip(chunk, vecs, strict=True)]
                drop = f" REMOVE d:MgVec{int(old)}" if old and int(old) != dim else ""
                statements.append(
                    (
                        f"UNWIND $rows AS r MATCH (d:MgDoc {{project: $project, id: r.id}}){drop} "
                        f"SET d.embedding = {self.dialect.vector('r.vec')}, d:MgVec{dim}",
                        {"rows": payload},
                    )
                )
                if progress:
                    progress(min(at + step, len(rows)), len(rows))
            statements.append(
                (
                    "MERGE (m:MgProject {project: $project}) SET m.embedder = $e, m.dim = $dim, m.generation = $g",
                    {"e": self.embedder.name, "dim": dim, "g": uuid.uuid4().hex},
                )
            )
            self._transaction(statements)
            return len(rows)

    def info(self) -> StoreInfo:
        meta = self._meta()
        counts = self._read(
            "OPTIONAL MATCH (d:MgDoc {project: $project}) WITH count(d) AS docs "
            "OPTIONAL MATCH (n:MgNode {project: $project}) WITH docs, count(n) AS nodes "
            "OPTIONAL MATCH (a:MgNode {project: $project})-[e]->(:MgNode {project: $project}) "
            "RETURN docs, nodes, count(e) AS edges"
        )[0]
        return StoreInfo(
            backend=f"{self.backend} ({self.dialect.name})", project=self.project, embedder=meta.get("embedder"),
            dim=meta.get("dim"), documents=counts["docs"], nodes=counts["nodes"], edges=counts["edges"],
        )  # fmt: skip

    def close(self) -> None:
        """The driver is shared by the process; nothing to release per store."""


PROJECT_LABELS = ("MgDoc", "MgNode", "MgWorkflow", "MgGraph", "MgProject")  # every node a project owns


def purge_project(settings, project: str) -> int:
    """Remove every node of a project — documents (with their vectors), story graph, workflow records, meta —
    and their relationships, for ``moviegen project delete --purge``; returns how many nodes went."""
    from neo4j.exceptions import Neo4jError, ServiceUnavailable

    removed = 0
    try:
        with connect(settings).session(database=settings.knowledge.neo4j_database) as session:
            for label in PROJECT_LABELS:
                match = f"MATCH (n:{label} {{project: $project}})"
                removed += session.run(f"{match} RETURN count(n) AS n", project=project).single()["n"]
                session.run(f"{match} DETACH DELETE n", project=project).consume()
    except (ServiceUnavailable, Neo4jError) as exc:
        raise ProviderError(f"the graph database did not remove {project}'s nodes: {exc}",
                            "check NEO4J_URI and that it runs, then purge again") from None  # fmt: skip
    return removed
