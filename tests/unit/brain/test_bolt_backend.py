"""The Neo4j backend's plumbing against a real Bolt server (FalkorDB): project scoping, the same
answers as SQLite on a real story graph, raw Cypher only for administrators and only in read sessions."""

from __future__ import annotations

import uuid

import pytest

from moviegen.brain.embedding.static import static_embedder
from moviegen.brain.knowledge.neo4j_store import Neo4jKnowledge
from moviegen.brain.knowledge.open import open_store
from moviegen.brain.knowledge.sqlite_store import SqliteKnowledge
from moviegen.core.errors import KnowledgeError, NotFoundError
from moviegen.core.knowledge import DocumentIn, Edge, GraphQuery, Node, NodeMatch
from moviegen.core.project import ProjectStore
from moviegen.core.settings import Settings, get_settings
from moviegen.services.planner import plan
from moviegen.services.screenplay import import_screenplay


def _store(driver, name=None) -> Neo4jKnowledge:
    return Neo4jKnowledge(driver, name or f"p-{uuid.uuid4().hex[:8]}", static_embedder())


def test_the_dialect_is_detected(bolt_server):
    assert _store(bolt_server[1]).dialect.name == "falkordb"


def test_nothing_of_project_a_is_ever_returned_for_project_b(bolt_server):
    a, b = _store(bolt_server[1]), _store(bolt_server[1])
    for s, who in ((a, "Mara"), (b, "Rosa")):
        s.upsert_nodes([Node(key="character:x", kind="character", name=who), Node(key="scene:1", kind="scene")])
        s.create_relationship(Edge(src="character:x", dst="scene:1", type="APPEARS_IN"))
        s.bulk_store_documents([DocumentIn(id="d1", text=f"{who} lights the lantern in the storm", node="scene:1")])
        s.store_workflow_data("w1", {"description": f"render of {who}'s film"})
    assert b.get_document("d1").text.startswith("Rosa")
    for query in ("Mara lights the lantern", "lantern storm", "render of Mara's film"):
        for mode in ("hybrid", "text", "vector"):
            assert all("Mara" not in h.text for h in b.search(query, 20, mode=mode))
    assert [n.node.name for n in b.get_node_neighbors("scene:1")] == ["Rosa"]
    rows = b.query_graph(GraphQuery(start=NodeMatch(kind="character"), max_depth=2))
    assert {r.start.name for r in rows} == {"Rosa"}
    assert all("Mara" not in str(w) for w in b.search_similar_workflows("Mara's film"))
    assert b.info().documents == 2 and b.info().nodes == 2 and b.info().edges == 1
    with pytest.raises(NotFoundError, match="scene:404"):
        b.create_relationship(Edge(src="character:x", dst="scene:404", type="APPEARS_IN"))


def test_quotes_and_injection_attempts_arrive_as_text(bolt_server):
    s = _store(bolt_server[1])
    nasty = "June's cake' }) MATCH (n) DETACH DELETE n //\\ \"quoted\""
    s.store_document(DocumentIn(id="q", text=nasty, title="it's"))
    assert s.get_document("q").text == nasty and s.get_document("q").title == "it's"


def test_raw_cypher_is_for_administrators_and_runs_read_only(bolt_server):
    s = _store(bolt_server[1])
    s.upsert_nodes([Node(key="prop:lantern", kind="prop", name="lantern")])
    with pytest.raises(KnowledgeError, match="administrators"):
        s.run_cypher("MATCH (n:MgNode) RETURN count(n) AS n")
    rows = s.run_cypher("MATCH (n:MgNode {project: $project}) RETURN n.key AS key", admin=True)
    assert rows == [{"key": "prop:lantern"}]


def test_the_story_graph_answers_the_same_on_both_backends(bolt_server, sample_path, tmp_path):
    project = import_screenplay(ProjectStore(get_settings().projects_dir), sample_path, slug="lantern-road")
    plan(project)
    uri, _ = bolt_server
    bolt = open_store(project, Settings(neo4j_uri=uri))
    lite = open_store(project, Settings())
    assert isinstance(bolt, Neo4jKnowledge) and isinstance(lite, SqliteKnowledge)
    try:
        queries = [
            GraphQuery(start=NodeMatch(kind="character"), rel_types=["SPEAKS_IN"], target=NodeMatch(kind="scene")),
            GraphQuery(start=NodeMatch(key="scene:2"), max_depth=2, direction="out"),
            GraphQuery(start=NodeMatch(kind="scene", props={"continuous": True}), min_depth=0, max_depth=1),
            GraphQuery(start=NodeMatch(kind="prop"), max_depth=3, target=NodeMatch(kind="shot"), limit=20),
            GraphQuery(
                start=NodeMatch(name="mira"), rel_types=["APPEARS_IN", "HAS_SHOT"], direction="out", max_depth=2
            ),
        ]
        for q in queries:
            assert bolt.query_graph(q) == lite.query_graph(q), q
        assert bolt.get_node_neighbors("character:tomas", 2) == lite.get_node_neighbors("character:tomas", 2)
        assert bolt.find_paths("prop:toolbox", "place:flooded-valley-road") == lite.find_paths(
            "prop:toolbox", "place:flooded-valley-road"
        )
        assert (bolt.info().nodes, bolt.info().edges) == (lite.info().nodes, lite.info().edges)
        assert "scene:2" in [h.id for h in bolt.search("toolbox", 3, mode="text")]
        assert bolt.search("Tomas", 5)[0].id in {"character:tomas", "scene:2"}
    finally:
        lite.close()
