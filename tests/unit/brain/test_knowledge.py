"""The knowledge store: documents, search, graph, workflows, bad input. Every test that takes
``store`` runs twice: on the embedded SQLite store and on the Bolt backend against a real server."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path

import pytest

from moviegen.brain.embedding.static import static_embedder
from moviegen.brain.knowledge.sqlite_store import SqliteKnowledge
from moviegen.core.errors import KnowledgeError, NotFoundError, UsageError
from moviegen.core.knowledge import DocumentIn, Edge, GraphQuery, Node, NodeMatch, SearchFilter

DATA = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "story_retrieval.json"


@pytest.fixture(params=["sqlite", "bolt"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = SqliteKnowledge(tmp_path / "k.sqlite", "p", static_embedder())
    else:
        from moviegen.brain.knowledge.neo4j_store import Neo4jKnowledge

        _, driver = request.getfixturevalue("bolt_server")
        s = Neo4jKnowledge(driver, f"p-{uuid.uuid4().hex[:8]}", static_embedder())
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path):
    s = SqliteKnowledge(tmp_path / "k.sqlite", "p", static_embedder())
    yield s
    s.close()


@pytest.fixture
def corpus(store):
    docs = json.loads(DATA.read_text())["documents"]
    store.bulk_store_documents(
        DocumentIn(id=k, text=v, kind="scene" if "INT." in v or "EXT." in v else "note", metadata={"n": int(k[1:])})
        for k, v in docs.items()
    )
    return docs


def test_store_get_update_delete(store):
    doc = store.store_document(DocumentIn(text="Mara trims the wick.", title="Lamp room", metadata={"scene": "3"}))
    assert store.get_document(doc.id).text == "Mara trims the wick."
    store.store_document(DocumentIn(id=doc.id, text="Mara lets the wick burn."))
    assert store.get_document(doc.id).text == "Mara lets the wick burn."
    assert store.info().documents == 1
    store.delete_document(doc.id)
    with pytest.raises(NotFoundError):
        store.get_document(doc.id)
    assert store.search("wick", 5) == []


def test_hybrid_search_finds_paraphrases_and_says_which_lists_found_them(store, corpus):
    hits = store.search("the sisters submit the family cake recipe to a competition", 5)
    assert "d44" in [h.id for h in hits]
    assert all(h.ranks for h in hits)
    vector_only = store.search("child inventor who makes machines from junk", 3, mode="vector")
    assert vector_only[0].id == "d21" and set(vector_only[0].ranks) == {"vector"}


def test_filters_by_kind_and_metadata(store, corpus):
    hits = store.search("night", 50, SearchFilter(kinds=["scene"]))
    assert hits and all(h.kind == "scene" for h in hits)
    only = store.search("lighthouse lantern", 10, SearchFilter(metadata={"n": 7}))
    assert [h.id for h in only] == ["d07"]


def test_search_by_embedding_and_batches(store, corpus):
    q = static_embedder().embed([corpus["d20"]])
    [hits] = store.batch_similarity_search([q[0]], 3)
    assert hits[0].id == "d20"
    assert store.search_by_embedding(q[0].tolist(), 3)[0].id == "d20"


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([0.1] * 10, "has 10 dimensions; this project's vectors have 256"),
        ([math.nan] * 256, "NaN"),
        ([0.0] * 256, "all zeros"),
        ([[0.1] * 256], "expected one vector"),
    ],
)
def test_bad_vectors_are_refused(store, corpus, vector, message):
    with pytest.raises(KnowledgeError, match=message):
        store.search_by_embedding(vector, 3)


def test_bad_documents_are_refused_before_anything_is_stored(store):
    with pytest.raises(ValueError, match="text is empty"):
        DocumentIn(text="   ")
    with pytest.raises(ValueError, match="10,000,000 characters"):
        DocumentIn(text="x" * 10_000_000)
    with pytest.raises(UsageError):
        DocumentIn(text="fine", kind="Bad Kind!")
    with pytest.raises(KnowledgeError, match="twice in one batch"):
        store.bulk_store_documents([DocumentIn(id="a", text="one"), DocumentIn(id="a", text="two")])
    assert store.info().documents == 0
    with pytest.raises(KnowledgeError, match="search text is empty"):
        store.search("  ")


def test_a_second_connection_sees_writes_and_deletes(tmp_path, sqlite_store):
    store = sqlite_store
    corpus = json.loads(DATA.read_text())["documents"]
    store.bulk_store_documents(DocumentIn(id=k, text=v) for k, v in corpus.items())
    other = SqliteKnowledge(tmp_path / "k.sqlite", "p", static_embedder())
    try:
        other.store_document(DocumentIn(id="new", text="A violinist plays on the sinking ferry."))
        other.delete_document("d21")
        ids = [h.id for h in store.search("violinist on a ferry", 3)]
        assert "new" in ids
        assert "d21" not in [h.id for h in store.search("a girl who builds robots from scrap", 10)]
        assert store.info().documents == len(corpus)
    finally:
        other.close()


def test_graph_neighbours_paths_and_structured_queries(store):
    store.upsert_nodes(
        [
            Node(key="character:mara", kind="character", name="Mara", props={"role": "keeper"}),
            Node(key="character:tobias", kind="character", name="Tobias"),
            Node(key="prop:lantern", kind="prop", name="lantern"),
            Node(key="scene:1", kind="scene", name="Lamp room", props={"time_of_day": "NIGHT"}),
            Node(key="scene:2", kind="scene", name="Harbour", props={"time_of_day": "DAWN"}),
        ]
    )
    for src, dst, rel in [
        ("character:mara", "prop:lantern", "CARRIES"),
        ("character:mara", "scene:1", "APPEARS_IN"),
        ("character:tobias", "scene:2", "APPEARS_IN"),
        ("scene:2", "scene:1", "FOLLOWS"),
    ]:
        store.create_relationship(Edge(src=src, dst=dst, type=rel))
    near = store.get_node_neighbors("prop:lantern", 2)
    assert [(n.node.key, n.depth) for n in near] == [("character:mara", 1), ("scene:1", 2)]
    assert [
        n.node.key for n in store.get_node_neighbors("character:mara", 1, direction="out", rel_types=["CARRIES"])
    ] == ["prop:lantern"]
    [path] = store.find_paths("prop:lantern", "character:tobias")
    assert [n.key for n in path.nodes] == ["prop:lantern", "character:mara", "scene:1", "scene:2", "character:tobias"]
    assert [e.type for e in path.edges] == ["CARRIES", "APPEARS_IN", "FOLLOWS", "APPEARS_IN"]
    rows = store.query_graph(
        GraphQuery(
            start=NodeMatch(kind="character", props={"role": "keeper"}),
            rel_types=["APPEARS_IN", "FOLLOWS"],
            max_depth=2,
            target=NodeMatch(kind="scene"),
        )
    )
    assert [(r.start.key, r.node.key, r.depth) for r in rows] == [
        ("character:mara", "scene:1", 1),
        ("character:mara", "scene:2", 2),
    ]
    assert store.query_graph(GraphQuery(start=NodeMatch(kind="scene"), min_depth=0, max_depth=0))[0].depth == 0


def test_graph_bad_input(store):
    with pytest.raises(NotFoundError, match="no node 'character:nobody'"):
        store.get_node_neighbors("character:nobody")
    with pytest.raises(NotFoundError):
        store.create_relationship(Edge(src="a:b", dst="c:d", type="KNOWS"))
    with pytest.raises(UsageError, match="relationship type"):
        Edge(src="a", dst="b", type="KNOWS]->(x) DETACH DELETE x //")
    with pytest.raises(KnowledgeError, match="depth 9"):
        store.get_node_neighbors("x", 9)


def test_hybrid_search_uses_the_graph_neighbourhood(store):
    store.upsert_nodes([Node(key="character:ines", kind="character", name="Ines"), Node(key="scene:9", kind="scene")])
    store.create_relationship(Edge(src="character:ines", dst="scene:9", type="APPEARS_IN"))
    store.bulk_store_documents(
        [
            DocumentIn(id="scene9", text="The garage smells of solder and old oil.", node="scene:9"),
            DocumentIn(id="other", text="A quiet afternoon at the seaside promenade."),
        ]
    )
    hits = store.search("Ines", 5)
    assert hits[0].id == "scene9" and "graph" in hits[0].ranks


def test_workflow_memory_finds_similar_runs(store):
    store.store_workflow_data("r1", {"description": "render of the lighthouse storm film at 1080p", "outcome": "ok"})
    store.store_workflow_data(
        "r2", {"description": "make a comedy about two bakers from a premise", "outcome": "failed"}
    )
    [best, *_] = store.search_similar_workflows("rendering the storm at the lighthouse")
    assert best["workflow_id"] == "r1" and best["data"]["outcome"] == "ok"
    assert store.search_similar_workflows("bakery comedy")[0]["workflow_id"] == "r2"
    with pytest.raises(KnowledgeError):
        store.store_workflow_data(" ", {})
