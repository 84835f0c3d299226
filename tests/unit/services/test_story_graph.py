"""The story graph extracted from a real screenplay and shot list, and kept in sync with the files."""

from __future__ import annotations

import pytest

from moviegen.brain.local import LocalBrain
from moviegen.core import locations
from moviegen.core.knowledge import GraphQuery, NodeMatch, SearchFilter
from moviegen.core.project import ProjectStore
from moviegen.core.settings import get_settings
from moviegen.services.planner import plan
from moviegen.services.screenplay import import_screenplay
from moviegen.services.story_graph import extract, prop_actions


@pytest.fixture
def project(sample_path):
    p = import_screenplay(ProjectStore(get_settings().projects_dir), sample_path, slug="lantern-road")
    plan(p)
    return p


def _edges(graph, type_):
    return {(e.src, e.dst) for e in graph.edges if e.type == type_}


def test_every_kind_of_node_and_link(project):
    g = extract(project)
    kinds = {n.kind for n in g.nodes}
    assert {"character", "place", "scene", "shot", "prop"} <= kinds
    assert ("scene:1", "place:flooded-valley-road") in _edges(g, "SET_IN")
    assert ("scene:2", "scene:1") in _edges(g, "FOLLOWS")
    assert ("character:mira", "scene:1") in _edges(g, "SPEAKS_IN")
    assert ("character:tomas", "scene:2") in _edges(g, "APPEARS_IN")
    assert ("scene:1", "shot:1.1") in _edges(g, "HAS_SHOT")
    assert ("character:tomas", "prop:toolbox") in _edges(g, "CARRIES")  # "He lifts a dusty toolbox"
    scene2 = next(n for n in g.nodes if n.key == "scene:2")
    assert scene2.props["continuous"] is True and scene2.props["time_of_day"] == "CONTINUOUS"
    docs = {d.id: d for d in g.documents}
    assert docs["scene:1"].kind == "scene" and "fifty-nine minutes" in docs["scene:1"].text
    assert docs["character:mira"].node == "character:mira"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MARA lifts the brass lantern and steps out.", [("MARA", "CARRIES", "brass lantern")]),
        ("Tobias enters. He wears a red wool coat.", [("TOBIAS", "WEARS", "red wool coat")]),
        ("She drops the lens.", [("MARA", "RELEASES", "lens")]),
        ("The wind carries the smell of salt.", []),
        ("Mara carries the lantern along the dyke.", [("MARA", "CARRIES", "lantern")]),  # not "lantern along the"
        ("She throws the key across the room.", [("MARA", "RELEASES", "key")]),
    ],
)
def test_props_only_where_the_text_says_so(text, expected):
    assert prop_actions(text, ["MARA", "TOBIAS"], "MARA") == expected


def test_the_graph_follows_edits_to_the_screenplay(project):
    brain = LocalBrain()
    store = brain.knowledge(project.slug)
    assert store.get_node("character:tomas")
    path = locations.screenplay_file(project.path)
    path.write_text(path.read_text().replace("He lifts a dusty toolbox", "He lifts a battered kettle"))
    store = brain.knowledge(project.slug)
    props = {r.start.key for r in store.query_graph(GraphQuery(start=NodeMatch(kind="prop"), min_depth=0, max_depth=0))}
    assert "prop:kettle" in props and "prop:toolbox" not in props
    hits = store.search("kettle", 3, SearchFilter(kinds=["scene"]))
    assert hits[0].id == "scene:2"
    brain.close()


def test_nothing_of_one_project_is_ever_returned_for_another(project, sample_path, tmp_path):
    other_src = tmp_path / "other.fountain"
    other_src.write_text("Title: Bakery\n\nINT. BAKERY - DAY\n\nROSA kneads dough. The lantern of the shop swings.\n")
    other = import_screenplay(ProjectStore(get_settings().projects_dir), other_src, slug="bakery")
    brain = LocalBrain()
    try:
        a, b = brain.knowledge(project.slug), brain.knowledge(other.slug)
        a.store_workflow_data("run-a", {"description": "render of lantern road"})
        for query in ("lantern", "Mira and Tomas", "render of lantern road", "dough"):
            ids_b = {h.id for h in b.search(query, 50)}
            assert not ids_b & {"scene:2", "scene:3", "scene:4", "character:mira", "workflow:run-a"}
        assert b.search_similar_workflows("lantern road render") == []
        assert {n.node.key for n in b.get_node_neighbors("scene:1", 3)} <= {
            "place:bakery", "character:rosa", "prop:lantern"
        }  # fmt: skip
    finally:
        brain.close()
