"""The story graph on Neo4j (or another Bolt server): typed nodes and relationships, walks, paths and the
structured graph query — every statement scoped by project, every walk checking each node on the path. The
store (neo4j_store.Neo4jKnowledge) owns the connection, the dialect and the transactions.

Every write also gives the project's ``MgGraph`` node a new ``version`` in the same transaction, so that
query_cypher's in-memory copy of the graph (in any process) knows when to load again."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from moviegen.brain.knowledge.shared import check_depth
from moviegen.core.errors import NotFoundError
from moviegen.core.knowledge import Edge, GraphQuery, GraphRow, Neighbor, Node, NodeMatch, check_rel_type
from moviegen.core.knowledge import Path as GraphPath


def _node(record) -> Node:
    return Node(key=record["key"], kind=record["kind"], name=record["name"] or "", props=json.loads(record["props"]))


def _arrow(direction: str, types: list[str], hops: str) -> tuple[str, str]:
    rel = f"[:{'|'.join(check_rel_type(t) for t in types)}{hops}]" if types else f"[{hops}]"
    if direction == "out":
        return f"-{rel}->", ""
    if direction == "in":
        return f"<-{rel}-", ""
    return f"-{rel}-", ""


class Neo4jGraph:
    def __init__(self, store) -> None:
        self.store = store
        self.cypher = None  # query_cypher's in-memory graph (cypher_engine.CypherCache), made on first use

    def node_statements(self, nodes: list[Node], source: str | None) -> list[tuple[str, dict]]:
        rows = [
            {
                "key": n.key,
                "kind": n.kind,
                "name": n.name,
                "name_lc": n.name.lower(),
                "props": json.dumps(n.props, sort_keys=True),
                "flat": {f"p_{k}": v for k, v in n.props.items()},
            }  # fmt: skip
            for n in nodes
        ]
        query = (
            "UNWIND $rows AS r MERGE (n:MgNode {project: $project, key: r.key}) "
            "SET n.kind = r.kind, n.name = r.name, n.name_lc = r.name_lc, n.props = r.props, "
            "n.source = coalesce(n.source, $source) SET n += r.flat"
        )
        step = self.store.dialect.rows_per_statement
        return [(query, {"rows": rows[at : at + step], "source": source}) for at in range(0, len(rows), step)]

    def edge_statements(self, edges: list[Edge], source: str | None) -> list[tuple[str, dict]]:
        by_type: dict[str, list[dict]] = {}
        for e in edges:
            by_type.setdefault(check_rel_type(e.type), []).append(
                {"src": e.src, "dst": e.dst, "props": json.dumps(e.props, sort_keys=True)}
            )
        step = self.store.dialect.rows_per_statement
        return [
            (
                "UNWIND $rows AS r MATCH (a:MgNode {project: $project, key: r.src}) "
                "MATCH (b:MgNode {project: $project, key: r.dst}) "
                f"MERGE (a)-[e:{rel}]->(b) SET e.props = r.props, e.source = $source",
                {"rows": rows[at : at + step], "source": source},
            )
            for rel, rows in by_type.items()
            for at in range(0, len(rows), step)
        ]

    def upsert_nodes(self, nodes: Iterable[Node]) -> None:
        nodes = list(nodes)
        if nodes:
            self.store._ensure_schema(self.store.embedder.dim)
            self.store._transaction([*self.node_statements(nodes, None), self.version_statement()])

    def require(self, keys: list[str]) -> None:
        rows = self.store._read(
            "MATCH (n:MgNode {project: $project}) WHERE n.key IN $keys RETURN n.key AS key", keys=keys
        )
        missing = sorted(set(keys) - {r["key"] for r in rows})
        if missing:
            raise NotFoundError(
                f"no node '{missing[0]}' in this project",
                "see the nodes with 'moviegen graph PROJECT' (or query_graph), or create it first",
            )

    def create_relationship(self, edge: Edge) -> Edge:
        self.require([edge.src, edge.dst])
        self.store._transaction([*self.edge_statements([edge], None), self.version_statement()])
        return edge

    def version_statement(self) -> tuple[str, dict]:
        """Part of every graph write's transaction: the project's graph gets a new version."""
        return "MERGE (g:MgGraph {project: $project}) SET g.version = $version", {"version": uuid.uuid4().hex}

    def version(self):
        return self.store._read("OPTIONAL MATCH (g:MgGraph {project: $project}) RETURN g.version AS v")[0]["v"]

    def snapshot(self) -> tuple[object, list[tuple], list[tuple]]:
        """(version, nodes, edges) of this project, the version read first: a write that lands in between
        leaves the copy tagged with the older version, and the next query loads again."""
        version = self.version()
        nodes = self.store._read(
            "MATCH (n:MgNode {project: $project}) RETURN n.key AS key, n.kind AS kind, n.name AS name, n.props AS props"
        )
        edges = self.store._read(
            "MATCH (a:MgNode {project: $project})-[e]->(b:MgNode {project: $project}) "
            "RETURN a.key AS src, b.key AS dst, type(e) AS type, e.props AS props"
        )
        return (
            version,
            [(r["key"], r["kind"], r["name"] or "", json.loads(r["props"] or "{}")) for r in nodes],
            [(r["src"], r["dst"], r["type"], json.loads(r["props"] or "{}")) for r in edges],
        )

    def query_cypher(self, cypher_query: str, limit: int = 1000, *, budget_s: float | None = None) -> list[dict]:
        """Read-only Cypher over this project's story graph, answered exactly as the SQLite store answers it:
        the query never reaches the server. The project's nodes and relationships are read with our own
        project-scoped statements (in read transactions) into memory, and grand-cypher runs the query there
        (cypher_engine.py), so it cannot see another project or write anything; write clauses are refused
        before anything runs (cypher_guard.py). The copy is reloaded only when the graph's version changed."""
        from moviegen.brain.knowledge.cypher_engine import CYPHER_BUDGET_S, CypherCache
        from moviegen.brain.knowledge.cypher_guard import prepare

        prepared = prepare(cypher_query)
        self.cypher = self.cypher or CypherCache()
        graph = self.cypher.graph(self.version(), self.snapshot)
        return graph.run(prepared, limit, CYPHER_BUDGET_S if budget_s is None else budget_s)

    def get_node(self, key: str) -> Node:
        rows = self.store._read(
            "MATCH (n:MgNode {project: $project, key: $key}) "
            "RETURN n.key AS key, n.kind AS kind, n.name AS name, n.props AS props",
            key=key,
        )
        if not rows:
            self.require([key])
        return _node(rows[0])

    def get_node_neighbors(self, key: str, depth: int = 1, rel_types=None, direction: str = "both") -> list[Neighbor]:
        check_depth(depth)
        self.require([key])
        rows = self.query_graph(
            GraphQuery(
                start=NodeMatch(key=key),
                rel_types=rel_types or [],
                direction=direction,  # type: ignore[arg-type]
                min_depth=1,
                max_depth=min(depth, 4),
                limit=10_000,
            )  # fmt: skip
        )
        out = [Neighbor(node=r.node, depth=r.depth) for r in rows]
        out.sort(key=lambda n: (n.depth, n.node.kind, n.node.key))
        return out

    def query_graph(self, q: GraphQuery) -> list[GraphRow]:
        where, params = _match_clauses("a", q.start)
        target, tparams = _match_clauses("b", q.target, prefix="t")
        arrow, _ = _arrow(q.direction, q.rel_types, f"*0..{q.max_depth}")
        rows = self.store._read(
            f"MATCH (a:MgNode {{project: $project}}) WHERE {where} "
            f"MATCH path = (a){arrow}(b:MgNode) "
            f"WHERE all(x IN nodes(path) WHERE x.project = $project) AND {target} "
            "WITH a, b, min(length(path)) AS depth WHERE depth >= $min_depth "
            "RETURN a.key AS a_key, a.kind AS a_kind, a.name AS a_name, a.props AS a_props, "
            "b.key AS key, b.kind AS kind, b.name AS name, b.props AS props, depth "
            "ORDER BY a_key, depth, key LIMIT $limit",
            **params, **tparams, min_depth=q.min_depth, limit=q.limit,
        )  # fmt: skip
        return [
            GraphRow(
                start=Node(key=r["a_key"], kind=r["a_kind"], name=r["a_name"] or "", props=json.loads(r["a_props"])),
                node=_node(r),
                depth=r["depth"],
            )
            for r in rows
        ]

    def find_paths(self, src: str, dst: str, max_depth: int = 4, limit: int = 10) -> list[GraphPath]:
        check_depth(max_depth)
        self.require([src, dst])
        rows = self.store._read(
            "MATCH (a:MgNode {project: $project, key: $src}) MATCH (b:MgNode {project: $project, key: $dst}) "
            f"MATCH path = (a)-[*1..{int(max_depth)}]-(b) WHERE all(x IN nodes(path) WHERE x.project = $project) "
            "RETURN [x IN nodes(path) | [x.key, x.kind, x.name, x.props]] AS nodes, "
            "[r IN relationships(path) | [startNode(r).key, endNode(r).key, type(r), r.props]] AS rels, "
            "length(path) AS n ORDER BY n",
            src=src, dst=dst,
        )  # fmt: skip
        simple = [r for r in rows if len({n[0] for n in r["nodes"]}) == len(r["nodes"])]
        if not simple:
            return []
        shortest = min(r["n"] for r in simple)
        out, seen = [], set()
        for r in simple:
            if r["n"] != shortest:
                continue
            sig = tuple(n[0] for n in r["nodes"]) + tuple(e[2] for e in r["rels"])
            if sig in seen:
                continue
            seen.add(sig)
            out.append(
                GraphPath(
                    nodes=[Node(key=k, kind=kd, name=nm or "", props=json.loads(p)) for k, kd, nm, p in r["nodes"]],
                    edges=[Edge(src=s, dst=d, type=t, props=json.loads(p or "{}")) for s, d, t, p in r["rels"]],
                )
            )
        out.sort(key=lambda p: [n.key for n in p.nodes])
        return out[:limit]


def _match_clauses(var: str, match: NodeMatch, prefix: str = "s") -> tuple[str, dict]:
    clauses, params = ["true"], {}
    if match.kind:
        clauses.append(f"{var}.kind = ${prefix}_kind")
        params[f"{prefix}_kind"] = match.kind
    if match.key:
        clauses.append(f"{var}.key = ${prefix}_key")
        params[f"{prefix}_key"] = match.key
    if match.name:
        clauses.append(f"{var}.name_lc = ${prefix}_name")
        params[f"{prefix}_name"] = match.name.lower()
    for n, (key, value) in enumerate(match.props.items()):
        clauses.append(f"{var}[${prefix}_pk{n}] = ${prefix}_pv{n}")
        params[f"{prefix}_pk{n}"], params[f"{prefix}_pv{n}"] = f"p_{key}", value
    return " AND ".join(clauses), params
