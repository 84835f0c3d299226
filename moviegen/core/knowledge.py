"""The knowledge vocabulary (documents, nodes, edges, graph queries), shared by the brain's stores, the
services that extract the story graph, and the MCP tools."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from moviegen.core.errors import UsageError

Scalar = str | int | float | bool
MAX_DOCUMENT_CHARS = 1_000_000
_IDENT = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def check_keys(mapping: dict) -> dict:
    """Metadata and property names become property names in the graph backends: identifiers only."""
    for key in mapping:
        if not _KEY.match(key):
            raise UsageError(f"property name {key!r} is not allowed", "use letters, digits and underscores")
    return mapping


def check_rel_type(name: str) -> str:
    """Relationship types become part of Cypher text, so only plain identifiers pass."""
    if not _IDENT.match(name):
        raise UsageError(
            f"relationship type {name!r} is not allowed",
            "use UPPER_SNAKE_CASE letters, digits and underscores, e.g. APPEARS_IN",
        )
    return name


def check_kind(kind: str) -> str:
    if not _KIND.match(kind):
        raise UsageError(f"kind {kind!r} is not allowed", "use lower_snake_case, e.g. character, scene, note")
    return kind


class DocumentIn(BaseModel):
    text: str
    kind: str = "note"
    id: str | None = None  # stable ids make re-storing an update; None = a new id
    title: str = ""
    metadata: dict[str, Scalar] = Field(default_factory=dict)
    node: str | None = None  # key of the graph node this document is about

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("text is empty")
        if len(v) > MAX_DOCUMENT_CHARS:
            raise ValueError(
                f"text is {len(v):,} characters; the limit is {MAX_DOCUMENT_CHARS:,} (split it into scenes or chapters)"
            )
        return v

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return check_kind(v)

    @field_validator("metadata")
    @classmethod
    def _metadata(cls, v: dict) -> dict:
        return check_keys(v)


class Document(BaseModel):
    id: str
    kind: str
    title: str
    text: str
    metadata: dict[str, Scalar]
    node: str | None = None


class SearchHit(Document):
    score: float
    ranks: dict[str, int] = Field(default_factory=dict)  # which lists found it: {'bm25': 1, 'vector': 3, 'graph': 2}


class Node(BaseModel):
    key: str  # 'character:mara-voss'
    kind: str  # character, place, prop, scene, shot, ...
    name: str = ""
    props: dict[str, Scalar] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        return check_kind(v)

    @field_validator("props")
    @classmethod
    def _props(cls, v: dict) -> dict:
        return check_keys(v)


class Edge(BaseModel):
    src: str
    dst: str
    type: str
    props: dict[str, Scalar] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        return check_rel_type(v)


class Neighbor(BaseModel):
    node: Node
    depth: int


class NodeMatch(BaseModel):
    kind: str | None = None
    key: str | None = None
    name: str | None = None
    props: dict[str, Scalar] = Field(default_factory=dict)


class GraphQuery(BaseModel):
    """Nodes matching ``start``, and the nodes reachable from them over ``rel_types``
    (all types when empty) in ``direction`` whose shortest distance lies in
    [min_depth, max_depth] and which match ``target``. min_depth 0 includes the
    start nodes themselves. Same answers on SQLite and Neo4j."""

    start: NodeMatch
    rel_types: list[str] = Field(default_factory=list)
    direction: Literal["out", "in", "both"] = "both"
    min_depth: int = Field(default=1, ge=0, le=4)
    max_depth: int = Field(default=1, ge=0, le=4)
    target: NodeMatch = Field(default_factory=NodeMatch)
    limit: int = Field(default=100, ge=1, le=10_000)

    @field_validator("rel_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        return [check_rel_type(t) for t in v]


class GraphRow(BaseModel):
    start: Node
    node: Node
    depth: int


class Path(BaseModel):
    nodes: list[Node]
    edges: list[Edge]


class SearchFilter(BaseModel):
    kinds: list[str] = Field(default_factory=list)
    metadata: dict[str, Scalar] = Field(default_factory=dict)


class StoreInfo(BaseModel):
    backend: str
    project: str
    embedder: str | None
    dim: int | None
    documents: int
    nodes: int
    edges: int
    ann: dict[str, Any] = Field(default_factory=dict)
