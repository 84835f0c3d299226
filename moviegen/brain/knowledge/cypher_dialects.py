"""What differs between Neo4j and FalkorDB (both speak Bolt and Cypher): index DDL,
the vector and full-text procedures, and how a vector property is written.

Everything else our store sends is plain Cypher both accept. The Neo4j dialect
follows Neo4j 5's documentation; only the FalkorDB dialect runs in our tests
(see README, "What the Neo4j backend's tests exercise").
"""

from __future__ import annotations

import re


class Neo4jDialect:
    name = "neo4j"
    rows_per_statement = 500
    text_per_statement = None

    def setup(self, dim: int) -> list[str]:
        return [
            "CREATE INDEX mg_node_key IF NOT EXISTS FOR (n:MgNode) ON (n.project, n.key)",
            "CREATE INDEX mg_doc_id IF NOT EXISTS FOR (d:MgDoc) ON (d.project, d.id)",
            "CREATE INDEX mg_node_name IF NOT EXISTS FOR (n:MgNode) ON (n.project, n.name_lc)",
            "CREATE FULLTEXT INDEX mg_doc_text IF NOT EXISTS FOR (d:MgDoc) ON EACH [d.title, d.text]",
            f"CREATE VECTOR INDEX mg_vec_{dim} IF NOT EXISTS FOR (d:MgVec{dim}) ON d.embedding "
            f"OPTIONS {{indexConfig: {{`vector.dimensions`: {dim}, `vector.similarity_function`: 'cosine'}}}}",
        ]

    def params(self, params: dict) -> dict:
        return params

    def vector(self, expr: str) -> str:
        return expr

    def vector_query(self, dim: int) -> str:
        # score is (1 + cosine) / 2 for the cosine function
        return (
            f"CALL db.index.vector.queryNodes('mg_vec_{dim}', $fetch, $vec) YIELD node, score "
            "WHERE node.project = $project RETURN node.id AS id, node.kind AS kind, 2 * score - 1 AS sim"
        )

    def text_query(self) -> str:
        return (
            "CALL db.index.fulltext.queryNodes('mg_doc_text', $q) YIELD node, score "
            "WHERE node.project = $project RETURN node.id AS id, node.kind AS kind, score ORDER BY score DESC"
        )

    def text_expression(self, terms: list[str]) -> str:
        special = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')
        return " OR ".join(special.sub(r"\\\1", t) for t in terms)


class FalkorDialect:
    name = "falkordb"
    # FalkorDB 4.16's Bolt listener crashes on a message over ~4 KB (README): one row per statement, long
    # texts sent in pieces
    rows_per_statement = 1
    text_per_statement = 900  # characters: at most ~3 KB of UTF-8 however the text is written

    def setup(self, dim: int) -> list[str]:
        return [
            "CREATE INDEX FOR (n:MgNode) ON (n.project, n.key)",
            "CREATE INDEX FOR (d:MgDoc) ON (d.project, d.id)",
            "CREATE INDEX FOR (n:MgNode) ON (n.project, n.name_lc)",
            "CALL db.idx.fulltext.createNodeIndex('MgDoc', 'title', 'text')",
            f"CREATE VECTOR INDEX FOR (d:MgVec{dim}) ON (d.embedding) "
            f"OPTIONS {{dimension: {dim}, similarityFunction: 'cosine'}}",
        ]

    def params(self, params: dict) -> dict:
        """FalkorDB 4.16's Bolt adapter splices string parameters into the query text inside single
        quotes without escaping them (README): escape quotes and backslashes so they arrive intact."""
        return _escape(params)

    def vector(self, expr: str) -> str:
        return f"vecf32({expr})"

    def vector_query(self, dim: int) -> str:
        # FalkorDB's score is the cosine distance
        return (
            f"CALL db.idx.vector.queryNodes('MgVec{dim}', 'embedding', $fetch, vecf32($vec)) YIELD node, score "
            "WHERE node.project = $project RETURN node.id AS id, node.kind AS kind, 1 - score AS sim"
        )

    def text_query(self) -> str:
        return (
            "CALL db.idx.fulltext.queryNodes('MgDoc', $q) YIELD node, score "
            "WHERE node.project = $project RETURN node.id AS id, node.kind AS kind, score ORDER BY score DESC"
        )

    def text_expression(self, terms: list[str]) -> str:
        # RediSearch syntax: | is OR; anything but letters and digits is dropped from a term
        cleaned = [re.sub(r"[^\w]", " ", t).strip() for t in terms]
        return "|".join(c for c in cleaned if c)


DIALECTS = {"neo4j": Neo4jDialect, "falkordb": FalkorDialect}


def _escape(value):
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("'", "\\'")
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escape(v) for v in value]
    return value
