"""The story graph in SQLite: typed nodes and edges, walks by recursive CTE.

Every write also moves ``meta.graph_version`` on, in the writer's transaction, so a reader in any
process can tell that its in-memory copy of the graph (query_cypher's) is out of date."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from moviegen.core.errors import NotFoundError
from moviegen.core.knowledge import Edge, GraphQuery, GraphRow, Neighbor, Node, NodeMatch, Path

_NODE_COLS = "id, key, kind, name, props"


def _node(row: tuple) -> Node:
    return Node(key=row[1], kind=row[2], name=row[3], props=json.loads(row[4]))


def _props(text: str) -> dict:
    return json.loads(text) if text != "{}" else {}  # most edges have none: skip the parser


def _hops(direction: str, rel_types: list[str]) -> tuple[str, list]:
    """The recursive step of a walk: (SQL selecting next ids from `walk`, its parameters)."""
    type_sql, params = "", []
    if rel_types:
        type_sql = f" AND e.type IN ({','.join('?' * len(rel_types))})"
        params = list(rel_types)
    parts, all_params = [], []
    if direction in ("out", "both"):
        parts.append(f"SELECT e.dst, w.depth + 1 FROM walk w JOIN edges e ON e.src = w.id WHERE w.depth < ?{type_sql}")
        all_params.append(params)
    if direction in ("in", "both"):
        parts.append(f"SELECT e.src, w.depth + 1 FROM walk w JOIN edges e ON e.dst = w.id WHERE w.depth < ?{type_sql}")
        all_params.append(params)
    return " UNION ".join(parts), all_params


class SqliteGraph:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    # ---- writing (callers hold the write transaction)
    def upsert_nodes(self, nodes: Iterable[Node], source: str | None = None) -> None:
        self.db.executemany(
            """INSERT INTO nodes(key, kind, name, name_lc, props, source) VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(key) DO UPDATE SET kind=excluded.kind, name=excluded.name, name_lc=excluded.name_lc,
               props=excluded.props, source=COALESCE(nodes.source, excluded.source)""",
            [(n.key, n.kind, n.name, n.name.lower(), json.dumps(n.props, sort_keys=True), source) for n in nodes],
        )
        self._changed()

    def add_edges(self, edges: Iterable[Edge], source: str | None = None) -> None:
        rows = []
        for e in edges:
            rows.append((self.node_id(e.src), self.node_id(e.dst), e.type, json.dumps(e.props, sort_keys=True), source))
        self.db.executemany(
            """INSERT INTO edges(src, dst, type, props, source) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(src, type, dst) DO UPDATE SET props=excluded.props""",
            rows,
        )
        self._changed()

    def drop_source(self, source: str) -> None:
        self.db.execute("DELETE FROM edges WHERE source = ?", (source,))
        self.db.execute(
            "DELETE FROM nodes WHERE source = ? AND id NOT IN (SELECT src FROM edges UNION SELECT dst FROM edges)",
            (source,),
        )
        self._changed()

    def _changed(self) -> None:
        self.db.execute(
            """INSERT INTO meta(key, value) VALUES ('graph_version', '1')
               ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"""
        )

    # ---- reading
    def version(self) -> str | None:
        """The graph's version: it changes with every committed write to nodes or edges, from any process."""
        row = self.db.execute("SELECT value FROM meta WHERE key = 'graph_version'").fetchone()
        return row[0] if row else None

    def snapshot(self) -> tuple[str | None, list[tuple], list[tuple]]:
        """(version, nodes as (key, kind, name, props), edges as (src key, dst key, type, props)), read
        in one transaction so that the three agree."""
        own = not self.db.in_transaction
        if own:
            self.db.execute("BEGIN")
        try:
            version = self.version()
            nodes = [
                (r[0], r[1], r[2], _props(r[3])) for r in self.db.execute("SELECT key, kind, name, props FROM nodes")
            ]
            edges = [
                (r[0], r[1], r[2], _props(r[3]))
                for r in self.db.execute(
                    "SELECT s.key, d.key, e.type, e.props FROM edges e JOIN nodes s ON s.id = e.src JOIN nodes d ON d.id = e.dst"
                )
            ]
        finally:
            if own:
                self.db.execute("COMMIT")
        return version, nodes, edges

    def node_id(self, key: str) -> int:
        row = self.db.execute("SELECT id FROM nodes WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise NotFoundError(
                f"no node '{key}' in this project",
                "see the nodes with 'moviegen graph PROJECT' (or query_graph), or create it first",
            )
        return row[0]

    def get_node(self, key: str) -> Node:
        row = self.db.execute(f"SELECT {_NODE_COLS} FROM nodes WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise NotFoundError(
                f"no node '{key}' in this project",
                "see the nodes with 'moviegen graph PROJECT' (or query_graph), or create it first",
            )
        return _node(row)

    def nodes_named(self, names: list[str]) -> list[int]:
        if not names:
            return []
        marks = ",".join("?" * len(names))
        return [r[0] for r in self.db.execute(f"SELECT id FROM nodes WHERE name_lc IN ({marks})", names)]

    def walk(self, start_ids: list[int], max_depth: int, direction: str = "both", rel_types: list[str] | None = None):
        """{node id: shortest distance} within max_depth of any start node (starts at 0)."""
        if not start_ids:
            return {}
        step, step_params = _hops(direction, rel_types or [])
        seeds = " UNION ".join("SELECT ?, 0" for _ in start_ids)
        params: list = list(start_ids)
        for p in step_params:
            params += [max_depth, *p]
        sql = f"WITH RECURSIVE walk(id, depth) AS ({seeds} UNION {step}) SELECT id, MIN(depth) FROM walk GROUP BY id"
        return dict(self.db.execute(sql, params).fetchall())

    def neighbors(
        self, key: str, depth: int = 1, rel_types: list[str] | None = None, direction: str = "both"
    ) -> list[Neighbor]:
        start = self.node_id(key)
        found = self.walk([start], depth, direction, rel_types)
        found.pop(start, None)
        nodes = self._nodes_by_id(list(found))
        out = [Neighbor(node=nodes[i], depth=d) for i, d in found.items()]
        out.sort(key=lambda n: (n.depth, n.node.kind, n.node.key))
        return out

    def _nodes_by_id(self, ids: list[int]) -> dict[int, Node]:
        out: dict[int, Node] = {}
        for at in range(0, len(ids), 500):
            chunk = ids[at : at + 500]
            rows = self.db.execute(f"SELECT {_NODE_COLS} FROM nodes WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            out.update({r[0]: _node(r) for r in rows})
        return out

    def match_ids(self, match: NodeMatch, limit: int | None = None) -> list[int]:
        where, params = ["1=1"], []
        if match.kind:
            where.append("kind = ?")
            params.append(match.kind)
        if match.key:
            where.append("key = ?")
            params.append(match.key)
        if match.name:
            where.append("name_lc = ?")
            params.append(match.name.lower())
        for name, value in match.props.items():
            where.append("json_extract(props, ?) = ?")
            params += [f'$."{name}"', value]
        sql = f"SELECT id FROM nodes WHERE {' AND '.join(where)} ORDER BY key"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [r[0] for r in self.db.execute(sql, params)]

    def query(self, q: GraphQuery) -> list[GraphRow]:
        starts = self.match_ids(q.start)
        targets = None
        if q.target.kind or q.target.key or q.target.name or q.target.props:
            targets = set(self.match_ids(q.target))
        rows: list[tuple[int, int, int]] = []
        for s in starts:
            reach = self.walk([s], q.max_depth, q.direction, q.rel_types)
            for node_id, depth in reach.items():
                if depth < q.min_depth or (targets is not None and node_id not in targets):
                    continue
                rows.append((s, node_id, depth))
        nodes = self._nodes_by_id(list({i for r in rows for i in r[:2]}))
        out = [GraphRow(start=nodes[s], node=nodes[n], depth=d) for s, n, d in rows]
        out.sort(key=lambda r: (r.start.key, r.depth, r.node.key))
        return out[: q.limit]

    def paths(self, src: str, dst: str, max_depth: int = 4, limit: int = 10) -> list[Path]:
        """Shortest paths between two nodes (either direction), up to ``limit`` of them."""
        a, b = self.node_id(src), self.node_id(dst)
        # breadth-first from a, remembering every parent at the previous level
        parents: dict[int, list[tuple[int, tuple]]] = {a: []}
        frontier = [a]
        depth = 0
        while frontier and b not in parents and depth < max_depth:
            depth += 1
            marks = ",".join("?" * len(frontier))
            current = set(frontier)
            step: dict[int, list[tuple[int, tuple]]] = {}
            for row in self.db.execute(
                f"SELECT src, dst, type, props FROM edges WHERE src IN ({marks}) OR dst IN ({marks})",
                frontier + frontier,
            ):
                s, d = row[0], row[1]
                for here, there in ((s, d), (d, s)):
                    if here in current and there not in parents:
                        step.setdefault(there, []).append((here, row))
            parents.update(step)
            frontier = list(step)
        if b not in parents:
            return []
        chains: list[list[tuple[int, tuple | None]]] = [[(b, None)]]
        done = []
        while chains and len(done) < limit:
            chain = chains.pop(0)
            head = chain[-1][0]
            if head == a:
                done.append(chain)
                continue
            for parent, edge in parents[head]:
                chains.append([*chain[:-1], (head, edge), (parent, None)])
        ids = {i for chain in done for i, _ in chain}
        nodes = self._nodes_by_id(list(ids))
        keys = {i: n.key for i, n in nodes.items()}
        out = []
        for chain in done:
            chain.reverse()
            out.append(
                Path(
                    nodes=[nodes[i] for i, _ in chain],
                    edges=[
                        Edge(src=keys[e[0]], dst=keys[e[1]], type=e[2], props=json.loads(e[3]))
                        for _, e in chain
                        if e is not None
                    ],
                )
            )
        return out

    def counts(self) -> tuple[int, int]:
        return (
            self.db.execute("SELECT COUNT(*) FROM nodes").fetchone()[0],
            self.db.execute("SELECT COUNT(*) FROM edges").fetchone()[0],
        )
