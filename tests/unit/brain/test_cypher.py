"""query_cypher: read-only Cypher over a project's story graph, on the sample screenplay's real graph.
Answers are checked against the graph read straight from the store; the Bolt tests run against a real
FalkorDB with two projects in one graph."""

from __future__ import annotations

import json
import uuid

import pytest

from moviegen.brain.embedding.static import static_embedder
from moviegen.brain.knowledge.cypher_guard import prepare
from moviegen.brain.knowledge.open import open_store
from moviegen.brain.knowledge.sqlite_store import SqliteKnowledge
from moviegen.core.errors import CypherError, KnowledgeError
from moviegen.core.knowledge import DocumentIn, Edge, Node
from moviegen.core.project import ProjectStore
from moviegen.core.settings import Settings, get_settings
from moviegen.services.planner import plan
from moviegen.services.screenplay import import_screenplay


@pytest.fixture
def project(sample_path):
    project = import_screenplay(ProjectStore(get_settings().projects_dir), sample_path, slug="lantern-road")
    plan(project)
    return project


@pytest.fixture
def lantern(project):
    store = open_store(project, Settings())
    yield store
    store.close()


@pytest.fixture
def small(tmp_path):
    store = SqliteKnowledge(tmp_path / "k.sqlite", "small", static_embedder())
    store.upsert_nodes([Node(key="character:ana", kind="character", name="Ana"), Node(key="scene:1", kind="scene")])
    store.create_relationship(Edge(src="character:ana", dst="scene:1", type="APPEARS_IN"))
    yield store
    store.close()


def truth(store):
    """The graph read straight from SQLite: {key: (kind, name, props)}, [(src, dst, type, props)]."""
    _, nodes, edges = store.graph.snapshot()
    return {k: (kind, name, props) for k, kind, name, props in nodes}, edges


def column(rows, name):
    return [r[name] for r in rows]


# ------------------------------------------------------------------ reading the story graph
def test_one_hop_with_kind_labels_and_relationship_types(lantern):
    nodes, edges = truth(lantern)
    rows = lantern.query_cypher(
        "MATCH (c:character)-[:SPEAKS_IN]->(s:scene) WHERE s.key = 'scene:4' RETURN c.name AS name ORDER BY c.name"
    )
    expected = sorted(nodes[s][1] for s, d, t, _ in edges if t == "SPEAKS_IN" and d == "scene:4")
    assert column(rows, "name") == expected == ["Mira", "Tomas"]
    everyone = lantern.query_cypher("MATCH (c:character)-[:APPEARS_IN]->(x) RETURN DISTINCT c.key")
    assert sorted(column(everyone, "c.key")) == sorted(
        {s for s, _, t, _ in edges if t == "APPEARS_IN" and nodes[s][0] == "character"}
    )


def test_two_hop_patterns(lantern):
    nodes, edges = truth(lantern)
    rows = lantern.query_cypher(
        "MATCH (a:character)-[:APPEARS_IN]->(s:scene)<-[:APPEARS_IN]-(b:character) "
        "WHERE a.key = 'character:mira' RETURN DISTINCT b.key"
    )
    mira_scenes = {d for s, d, t, _ in edges if s == "character:mira" and t == "APPEARS_IN" and nodes[d][0] == "scene"}
    expected = {
        s
        for s, d, t, _ in edges
        if t == "APPEARS_IN" and d in mira_scenes and nodes[s][0] == "character" and s != "character:mira"
    }
    assert set(column(rows, "b.key")) == expected == {"character:tomas"}
    shots = lantern.query_cypher(
        "MATCH (s:scene)-[:HAS_SHOT]->(sh:shot)<-[:APPEARS_IN]-(c:character) WHERE s.key = 'scene:4' "
        "RETURN c.name AS who, COUNT(sh) AS shots ORDER BY c.name"
    )
    in_scene4 = {d for s, d, t, _ in edges if s == "scene:4" and t == "HAS_SHOT"}
    counted = {}
    for s, d, t, _ in edges:
        if t == "APPEARS_IN" and d in in_scene4 and nodes[s][0] == "character":
            counted[nodes[s][1]] = counted.get(nodes[s][1], 0) + 1
    assert shots == [{"who": who, "shots": n} for who, n in sorted(counted.items())]


def test_where_filters_on_properties(lantern):
    nodes, _ = truth(lantern)
    continuous = lantern.query_cypher("MATCH (s:scene) WHERE s.continuous = true RETURN s.key")
    assert column(continuous, "s.key") == [
        k for k, (kind, _, p) in nodes.items() if kind == "scene" and p["continuous"]
    ]
    wide = lantern.query_cypher(
        "MATCH (sh:shot) WHERE sh.duration > 6 AND sh.framing = 'wide' RETURN sh.key, sh.duration ORDER BY sh.key"
    )
    expected = sorted(
        k for k, (kind, _, p) in nodes.items() if kind == "shot" and p["duration"] > 6 and p["framing"] == "wide"
    )
    assert column(wide, "sh.key") == expected and all(r["sh.duration"] > 6 for r in wide)
    named = lantern.query_cypher("MATCH (c {name: 'Tomas'}) RETURN c.look AS look, id(c) AS id")
    assert named == [{"look": nodes["character:tomas"][2]["look"], "id": "character:tomas"}]


def test_nodes_relationships_and_paths_come_back_as_json(lantern):
    nodes, edges = truth(lantern)
    [row] = lantern.query_cypher("MATCH (c:character)-[r:CARRIES]->(p:prop) RETURN c, r, type(r) AS t, p")
    kind, name, props = nodes["character:tomas"]
    assert row["c"] == {"key": "character:tomas", "kind": kind, "name": name, **props}
    [(_, _, _, rprops)] = [e for e in edges if e[2] == "CARRIES"]
    assert row["r"] == {"type": "CARRIES", "src": "character:tomas", "dst": "prop:toolbox", **rprops}
    assert row["t"] == "CARRIES" and row["p"]["key"] == "prop:toolbox"
    [path] = lantern.query_cypher("MATCH p = (c:character)-[:RELEASES]->(x:prop) RETURN p")
    assert [n["key"] for n in path["p"]["nodes"]] == ["character:tomas", "prop:switch"]
    assert [r["type"] for r in path["p"]["relationships"]] == ["RELEASES"]
    assert list(row) == ["c", "r", "t", "p"]  # columns in RETURN order
    json.dumps(lantern.query_cypher("MATCH (a)-[r]->(b) RETURN a, r, b"))


def test_aggregates_and_the_row_limit(lantern):
    nodes, edges = truth(lantern)
    assert lantern.query_cypher("MATCH (n) RETURN count(n) AS n", limit=1) == [{"n": len(nodes)}]
    assert lantern.query_cypher("MATCH (n:nothing) RETURN count(n) AS n, collect(n.key) AS keys") == [
        {"n": 0, "keys": []}
    ]
    kinds = lantern.query_cypher("MATCH (n) RETURN n.kind AS kind, count(n) AS n ORDER BY n.kind")
    assert {r["kind"]: r["n"] for r in kinds} == {
        k: sum(v[0] == k for v in nodes.values()) for k in {v[0] for v in nodes.values()}
    }
    assert len(lantern.query_cypher("MATCH (a)-[r]->(b) RETURN a.key", limit=5)) == 5
    assert len(lantern.query_cypher("MATCH (a)-[r]->(b) RETURN a.key LIMIT 3", limit=5)) == 3
    assert len(lantern.query_cypher("MATCH (a)-[r]->(b) RETURN a.key")) == len(edges)
    kinds_seen = lantern.query_cypher("MATCH (n) RETURN DISTINCT n.kind", limit=3)
    assert len(kinds_seen) == 3  # DISTINCT over every node, then cut: not three nodes' kinds
    assert len({r["n.kind"] for r in kinds_seen}) == 3
    with pytest.raises(CypherError, match="limit"):
        lantern.query_cypher("MATCH (n) RETURN n.key", limit=0)


# ------------------------------------------------------------------ the cached graph
def test_the_graph_is_loaded_once_and_again_after_a_write(lantern, tmp_path):
    lantern.query_cypher("MATCH (n) RETURN count(n) AS n")
    lantern.query_cypher("MATCH (c:character) RETURN c.key")
    assert lantern._cypher.loads == 1
    lantern.store_document(DocumentIn(text="a note about the lamp"))  # documents are not in the graph
    lantern.query_cypher("MATCH (c:character) RETURN c.key")
    assert lantern._cypher.loads == 1
    lantern.create_relationship(Edge(src="character:radio", dst="scene:4", type="HAUNTS"))
    rows = lantern.query_cypher("MATCH (a)-[:HAUNTS]->(s) RETURN a.name, s.key")
    assert rows == [{"a.name": "Radio", "s.key": "scene:4"}] and lantern._cypher.loads == 2
    # another connection (as another process would) writes: this store notices on its next query
    other = SqliteKnowledge(lantern.path, lantern.project, static_embedder())
    try:
        other.upsert_nodes([Node(key="prop:kettle", kind="prop", name="kettle", props={"hot": True})])
    finally:
        other.close()
    assert lantern.query_cypher("MATCH (p:prop) WHERE p.hot = true RETURN p.name") == [{"p.name": "kettle"}]
    assert lantern._cypher.loads == 3


def test_a_query_over_its_time_budget_is_stopped_and_the_store_carries_on(lantern):
    with pytest.raises(CypherError, match="longer than 0.05 s"):
        lantern.query_cypher("MATCH (a) MATCH (b) MATCH (c) RETURN a.key ORDER BY a.key", budget_s=0.05)
    assert lantern.query_cypher("MATCH (c:character) RETURN count(c) AS n") == [{"n": 3}]


# ------------------------------------------------------------------ read-only, whoever asks
WRITES = [
    ("CREATE (n:character {name: 'Eve'})", "CREATE"),
    ("MATCH (a), (b) CREATE (a)-[:KNOWS]->(b)", "CREATE"),
    ("MERGE (n:character {key: 'character:eve'})", "MERGE"),
    ("MATCH (n) DELETE n", "DELETE"),
    ("MATCH (n) DETACH DELETE n", "DETACH DELETE"),
    ("MATCH (n) /* x */ DELETE n", "DELETE"),
    ("MATCH (n) WHERE n.name = 'Mira' SET n.name = 'Eve'", "SET"),
    ("match (n) set n:villain", "SET"),
    ("MATCH (n) REMOVE n.look", "REMOVE"),
    ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "LOAD CSV"),
    ("MATCH (n) WITH collect(n) AS ns FOREACH (x IN ns | SET x.seen = true)", "FOREACH"),
    ("INSERT (n:character)", "INSERT"),
    ("DROP INDEX mg_node_key", "DROP"),
    ("CALL db.createLabel('X')", "CALL db.createLabel"),
    ("CALL apoc.create.node(['X'], {})", "CALL apoc.create.node"),
    ("CALL apoc.merge.node(['X'], {})", "CALL apoc.merge.node"),
    ("CALL apoc.refactor.rename.label('a', 'b')", "CALL apoc.refactor.rename.label"),
    ("CALL apoc.periodic.iterate('MATCH (n) RETURN n', 'DELETE n', {})", "CALL apoc.periodic.iterate"),
    ("CALL dbms.killQuery('q')", "CALL dbms.killQuery"),
    ("CALL `apoc`.`create`.node(['X'], {})", "CALL apoc.create.node"),
    ("MATCH (n) CALL { WITH n DETACH DELETE n } RETURN 1", "DETACH DELETE"),
    ("MATCH (n) CALL { WITH n RETURN n.key AS k } IN TRANSACTIONS RETURN k", "IN TRANSACTIONS"),
    ("MATCH (n) CALL { WITH n RETURN n.key AS k } IN 2 CONCURRENT TRANSACTIONS RETURN k", "IN TRANSACTIONS"),
    ("MATCH (n)\n// harmless?\nDETACH\nDELETE n", "DETACH DELETE"),
]


@pytest.mark.parametrize(("query", "clause"), WRITES)
def test_every_write_is_refused_before_anything_runs(small, query, clause):
    before = small.info()
    with pytest.raises(CypherError, match="read-only") as caught:
        small.query_cypher(query)
    assert clause in caught.value.message and "create_relationship" in caught.value.hint
    assert isinstance(caught.value, KnowledgeError) and caught.value.code == "cypher"
    assert small._cypher is None  # refused before the graph was even loaded
    assert (small.info().nodes, small.info().edges) == (before.nodes, before.edges)


def test_procedures_that_do_not_write_are_refused_too(small):
    with pytest.raises(CypherError, match=r"runs no procedures \(CALL db.labels\)"):
        small.query_cypher("CALL db.labels() YIELD label RETURN label")


READS = [
    ("MATCH (n) WHERE n.name = 'CREATE' RETURN n.key", []),
    ('MATCH (n) WHERE n.name = "DETACH DELETE n" RETURN n.key', []),
    ("MATCH (n) WHERE n.name = 'it\\'s a SET' RETURN n.key", []),
    ("MATCH (n:character) // DELETE everything\nRETURN n.key", [{"n.key": "character:ana"}]),
    ("MATCH (n:character) /* MERGE (x) */ RETURN n.key", [{"n.key": "character:ana"}]),
    (
        "MATCH (set:character)-[:APPEARS_IN]->(start) RETURN set.name, start.key",
        [{"set.name": "Ana", "start.key": "scene:1"}],
    ),
    ("MATCH (`delete`:character) RETURN `delete`.name AS name", [{"name": "Ana"}]),
    ("MATCH (n {name: 'Ana'}) RETURN n.key AS create", [{"create": "character:ana"}]),
    (
        "MATCH (a)-[r]->(b) WHERE type(r) = 'APPEARS_IN' RETURN a.key, b.key",
        [{"a.key": "character:ana", "b.key": "scene:1"}],
    ),
]


@pytest.mark.parametrize(("query", "rows"), READS)
def test_keywords_in_literals_comments_and_names_are_not_clauses(small, query, rows):
    assert small.query_cypher(query) == rows


def test_relationship_types_that_start_like_a_clause_are_types(lantern):
    rows = lantern.query_cypher("MATCH (s:scene)-[:SET_IN]->(p:place) WHERE s.key = 'scene:2' RETURN p.key")
    assert rows == [{"p.key": "place:signal-tower-lamp-room"}]


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("MATCH (n RETURN n", "does not parse at character 10"),
        ("MATCH (n) RETURN count(", "does not parse"),
        ("MATCH (n) RETURN m", "Unknown entity name: m"),
        ("MATCH (n) WHERE n.name = 'open RETURN n", "unterminated string"),
        ("MATCH (n) /* open", "unterminated comment"),
        ("MATCH (n) WHERE n.key = $key RETURN n", "no parameters ($key)"),
        ("MATCH (a)-[*1..3]-(b) RETURN b", "Bidirectional edge does not support edge hopping"),
        ("   ", "empty"),
    ],
)
def test_bad_queries_are_one_clean_error(small, query, says):
    with pytest.raises(CypherError) as caught:
        small.query_cypher(query)
    assert says in caught.value.message
    assert "\n" not in caught.value.message and "Traceback" not in caught.value.summary()


def test_the_guard_leaves_queries_it_passes_intact():
    prepared = prepare("MATCH (a)-[:APPEARS_IN]->(s) // x\nWHERE a.name = 'O\\'Hara' RETURN count(a)")
    assert prepared.text == 'MATCH (a)-[:APPEARS_IN]->(s)  \nWHERE a.name = "0" RETURN COUNT(a)'
    assert prepared.literals == ("O'Hara",)


# ------------------------------------------------------------------ the Bolt backend (FalkorDB)
def test_bolt_answers_like_sqlite_and_only_with_its_own_project(bolt_server, project, lantern):
    from moviegen.brain.knowledge.neo4j_store import Neo4jKnowledge

    uri, driver = bolt_server
    bolt = open_store(project, Settings(neo4j_uri=uri))
    other = Neo4jKnowledge(driver, f"other-{uuid.uuid4().hex[:8]}", static_embedder())
    other.upsert_nodes(
        [Node(key="character:mira", kind="character", name="Other Mira"), Node(key="scene:1", kind="scene")]
    )
    other.create_relationship(Edge(src="character:mira", dst="scene:1", type="APPEARS_IN"))
    queries = [
        "MATCH (c:character) RETURN c ORDER BY c.key",
        "MATCH (a:character)-[:APPEARS_IN]->(s:scene)<-[:APPEARS_IN]-(b) WHERE a.key = 'character:mira' "
        "RETURN DISTINCT b.key ORDER BY b.key",
        "MATCH (c:character)-[r:CARRIES]->(p) RETURN c.name, r, p",
        "MATCH (n) RETURN n.kind AS kind, count(n) AS n ORDER BY n.kind",
        "MATCH (a)-[r]->(b) RETURN a.key, type(r) AS t, b.key ORDER BY a.key",
    ]
    for q in queries:
        assert bolt.query_cypher(q) == lantern.query_cypher(q), q
    names = column(bolt.query_cypher("MATCH (c:character) RETURN c.name"), "c.name")
    assert "Other Mira" not in names and set(names) == {"Mira", "Radio", "Tomas"}
    assert other.query_cypher("MATCH (n) RETURN n.key, n.name ORDER BY n.key") == [
        {"n.key": "character:mira", "n.name": "Other Mira"},
        {"n.key": "scene:1", "n.name": ""},
    ]
    assert other.query_cypher("MATCH (a)-[r]->(b) RETURN count(r) AS n") == [{"n": 1}]


def test_bolt_refuses_writes_and_reloads_only_after_one(bolt_server):
    from moviegen.brain.knowledge.neo4j_store import Neo4jKnowledge

    store = Neo4jKnowledge(bolt_server[1], f"p-{uuid.uuid4().hex[:8]}", static_embedder())
    store.upsert_nodes([Node(key="character:ana", kind="character", name="Ana"), Node(key="scene:1", kind="scene")])
    for query, clause in WRITES[:6]:
        with pytest.raises(CypherError, match="read-only") as caught:
            store.query_cypher(query)
        assert clause in caught.value.message
    assert store.graph.cypher is None and store.info().nodes == 2
    assert store.query_cypher("MATCH (a)-[r]->(b) RETURN a.key") == []
    assert store.query_cypher("MATCH (n) RETURN count(n) AS n") == [{"n": 2}]
    assert store.graph.cypher.loads == 1
    store.create_relationship(Edge(src="character:ana", dst="scene:1", type="APPEARS_IN"))
    assert store.query_cypher("MATCH (a)-[:APPEARS_IN]->(b) RETURN a.name, b.key") == [
        {"a.name": "Ana", "b.key": "scene:1"}
    ]
    assert store.graph.cypher.loads == 2
