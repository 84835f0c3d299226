"""Read-only Cypher over one project's story graph, in memory, the same on both knowledge backends.

The store hands over its project's nodes and edges (its own scoped reads); they become a networkx
``MultiDiGraph`` that grand-cypher matches patterns on. Because the query runs on that copy and nothing
else, it sees this project's graph and nothing of any other project, and it cannot change anything:
grand-cypher has no write clauses, and the copy is never written back. cypher_guard refuses write
clauses before any of this runs, so a caller learns why.

The graph a query sees:
- a node's id is its key (``character:mira``, ``scene:2``); its properties are ``key``, ``kind``,
  ``name`` and its own props (key, kind and name win a clash); its label is its kind, so
  ``MATCH (c:character)`` works. ``id(n)`` is the key.
- a relationship's label is its type (``-[:APPEARS_IN]->``); its properties are ``type``, ``src``,
  ``dst`` (the end nodes' keys) and its own props.
- documents are not in it (they are not graph nodes in either store).

Rows are JSON-able dicts keyed by the RETURN columns (``AS`` names, else the text as grand-cypher
spells it, e.g. ``c.name``, ``COUNT(c)``). A node is rendered ``{"key", "kind", "name", **props}``, a
relationship ``{"type", "src", "dst", **props}``, a path ``{"nodes": [...], "relationships": [...]}``
(grand-cypher lists every relationship between two consecutive nodes of a path, not only the one that
matched), a variable-length relationship a list of relationships.

Aggregates without grouping keys over no match give one row (``count`` 0, ``sum`` 0, ``collect`` [],
others null), as in Cypher.

Limits: at most ``limit`` rows (the query's own LIMIT applies when smaller); matching stops early once
enough rows are found where that cannot change the answer (no aggregate, no DISTINCT, one connected
pattern, no ORDER BY). A query that runs longer than its budget is stopped (cypher_budget.py: an
exception raised in its own thread; grand-cypher and networkx are pure Python, so it lands).
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from operator import itemgetter
from typing import Any

import networkx as nx
from grandcypher import GrandCypherTransformer, _GrandCypherGrammar, create_node_indexer
from lark.exceptions import LarkError, UnexpectedInput, VisitError

from moviegen.brain.knowledge.cypher_budget import OverBudget, deadline
from moviegen.brain.knowledge.cypher_guard import SUBSET_HINT, Prepared
from moviegen.core.errors import CypherError

CYPHER_BUDGET_S = 10.0
MAX_ROWS = 10_000
_HIDDEN = ("__labels__", "mg entity")  # engine attributes, never rendered (a space: no prop can be named so)
_EMPTY = nx.MultiDiGraph()
_EMPTY_AGGREGATE = {"Count": 0, "Sum": 0, "Collect": []}  # avg, min and max of nothing are null
_PARSE_LOCK = threading.Lock()

NodeRow = tuple[str, str, str, dict]  # key, kind, name, props
EdgeRow = tuple[str, str, str, dict]  # src key, dst key, type, props


class CypherGraph:
    """One version of a project's graph, ready for queries. Never changed after it is built."""

    def __init__(self, version: object, nodes: Iterable[NodeRow], edges: Iterable[EdgeRow]) -> None:
        self.version = version
        g = nx.MultiDiGraph()
        # in key order, whatever order the backend read them in: rows that tie under ORDER BY (or have no
        # ORDER BY) come back in the same order from both stores
        g.add_nodes_from(
            (key, {**props, "key": key, "kind": kind, "name": name, "__labels__": {kind}, "mg entity": "node"})
            for key, kind, name, props in sorted(nodes, key=itemgetter(0))
        )
        g.add_edges_from(
            (src, dst, {**props, "type": rel, "src": src, "dst": dst, "__labels__": {rel}, "mg entity": "rel"})
            for src, dst, rel, props in sorted(edges, key=itemgetter(0, 1, 2))
            if src in g and dst in g  # a Bolt read between two writes may see an edge before its node
        )
        self.graph = g
        self._indexer = None
        self._lock = threading.Lock()

    def run(self, prepared: Prepared, limit: int = 1000, budget_s: float = CYPHER_BUDGET_S) -> list[dict[str, Any]]:
        if not 1 <= limit <= MAX_ROWS:
            raise CypherError(f"limit {limit} is out of range", f"ask for 1 to {MAX_ROWS:,} rows")
        with self._lock:  # grand-cypher's indexer keeps a small cache that is not thread-safe
            if self._indexer is None:
                self._indexer = create_node_indexer(self.graph)
                self._indexer.create_indices(["key", "kind", "name"])
            try:
                with deadline(budget_s):
                    columns, paths = self._match(prepared, limit)
            except OverBudget:
                self._indexer = None  # it may have been stopped halfway through updating its cache
                raise CypherError(
                    f"the query ran longer than {budget_s:g} s and was stopped",
                    "anchor the pattern (WHERE a.key = 'character:mira'), add LIMIT, or leave out ORDER BY",
                ) from None
        return _rows(columns, paths, self.graph)

    def _match(self, prepared: Prepared, limit: int) -> tuple[dict, set[str]]:
        tree = _parse(prepared)
        transformer = _Transformer(self.graph, self._indexer, prepared.literals)
        try:
            transformer.transform(tree)
            ex = transformer._executors[0]
            own = ex._limit  # the query's LIMIT, if any
            cap = limit if own is None else min(own, limit)
            early_stop_is_safe = (
                not ex._aggregate_functions
                and not ex._distinct
                and nx.number_weakly_connected_components(ex._motif) <= 1
            )
            ex._limit = cap if early_stop_is_safe else None
            columns = ex.returns()
        except Exception as exc:  # noqa: BLE001 - grand-cypher's own errors (and bugs) become one clean line
            raise CypherError(f"query_graph cannot run this query: {_first_line(exc)}", SUBSET_HINT) from None
        if not early_stop_is_safe:
            columns = {k: v[:cap] for k, v in columns.items()}
        if ex._aggregate_functions and not ex._return_requests and not any(columns.values()):
            # aggregates over no match at all are one row in Cypher (count 0); grand-cypher returns none
            columns = {
                ex._entity2alias.get(str(f), str(f)): [_EMPTY_AGGREGATE.get(type(f).__name__)]
                for f in ex._aggregate_functions
            }
        paths = {ex._entity2alias.get(str(p), str(p)) for p in ex._paths}
        asked = [ex._entity2alias.get(str(r), str(r)) for r in (*ex._return_requests, *ex._aggregate_functions)]
        order = {name: i for i, name in enumerate(asked)}
        columns = dict(sorted(columns.items(), key=lambda kv: order.get(str(kv[0]), len(order))))
        return columns, paths


class CypherCache:
    """A store's current CypherGraph, rebuilt only when the store's graph version moves on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._graph: CypherGraph | None = None
        self.loads = 0  # how many times the graph was built (tests and benchmarks read it)

    def graph(self, version: object, load: Callable[[], tuple[object, list[NodeRow], list[EdgeRow]]]) -> CypherGraph:
        """``load`` returns (the version it read first, nodes, edges): a write that lands during the
        load leaves the graph tagged with the older version, so the next query loads again."""
        with self._lock:
            if self._graph is None or self._graph.version != version:
                loaded, nodes, edges = load()
                self._graph = CypherGraph(loaded, nodes, edges)
                self.loads += 1
            return self._graph


class _Transformer(GrandCypherTransformer):
    """grand-cypher's transformer on our graph, with the node index built once per graph (grand-cypher
    builds one per query: a pass over every node), string literals filled in from the prepared query
    and numbers read by ast.literal_eval (grand-cypher reads both with eval)."""

    def __init__(self, graph: nx.MultiDiGraph, indexer, literals: tuple[str, ...]) -> None:
        super().__init__(_EMPTY, None)
        self._literals = literals
        self._target_graph = graph
        first = self._executors[0]
        first._target_graph = graph
        first._node_indexer = indexer

    def ESTRING(self, token):  # noqa: N802 - lark calls token handlers by terminal name
        return self._literals[int(str(token)[1:-1])]

    def NUMBER(self, token):  # noqa: N802
        return ast.literal_eval(str(token))


def _parse(prepared: Prepared):
    try:
        return _tree(prepared.text)
    except UnexpectedInput as exc:
        at = exc.pos_in_stream if isinstance(getattr(exc, "pos_in_stream", None), int) else None
        where = "at the end"
        if at is not None and at >= 0:
            offset = prepared.original_offset(at)
            where = f"at character {offset + 1} (near {prepared.original[offset : offset + 20].splitlines()[0]!r})"
        raise CypherError(f"the Cypher query does not parse {where}", SUBSET_HINT) from None
    except LarkError as exc:
        raise CypherError(f"the Cypher query does not parse: {_first_line(exc)}", SUBSET_HINT) from None


@lru_cache(maxsize=512)
def _tree(text: str):
    with _PARSE_LOCK:
        return _GrandCypherGrammar.parse(text)


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, VisitError):
        exc = exc.orig_exc
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _rows(columns: dict, paths: set[str], graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    names = [str(k) for k in columns]
    values = list(columns.values())
    count = min((len(v) for v in values), default=0)
    rows = []
    for i in range(count):
        row = {}
        for name, column in zip(names, values, strict=True):
            value = column[i]
            row[name] = _path(value, graph) if name in paths else _render(value)
        rows.append(row)
    return rows


def _render(value: Any) -> Any:
    if isinstance(value, dict):
        if "mg entity" in value:
            return _entity(value)
        if value and all(isinstance(k, int) for k in value):  # {edge key: attributes}: parallel relationships
            rendered = [_render(v) for v in value.values()]
            return rendered[0] if len(rendered) == 1 else rendered
        return {str(k): _render(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_render(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_render(v) for v in value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _entity(attrs: dict) -> dict:
    first = ("key", "kind", "name") if attrs["mg entity"] == "node" else ("type", "src", "dst")
    out = {k: attrs[k] for k in first}
    out.update((k, v) for k, v in attrs.items() if k not in out and k not in _HIDDEN)
    return out


def _path(value: Any, graph: nx.MultiDiGraph) -> Any:
    if not isinstance(value, list):
        return _render(value)
    nodes, rels = [], []
    for item in value:
        if isinstance(item, dict):
            for attrs in item.values():
                rels.append(_entity(attrs))
        elif item in graph:
            nodes.append(_entity(graph.nodes[item]))
    return {"nodes": nodes, "relationships": rels}
