"""moviegen assets 3d: GLB models of the cast and props, checked by loading them back with trimesh."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from tests.conftest import moviegen

SCRIPT = """Title: Tall Tales

EXT. PIER - DAWN

MIRA (30s, tall, broad-shouldered, red coat, grey hair) walks the pier. She carries a brass lantern.

BEN (40s, short and slight, black jacket) waits by the crates.

MIRA
You're early.

BEN
I'm always early.
"""


@pytest.fixture
def brain():
    from moviegen.brain.local import LocalBrain

    brain = LocalBrain(workers=1)
    yield brain
    brain.close()


@pytest.fixture
def project(tmp_path, brain) -> Path:
    brain.project_import(SCRIPT, slug="tall")
    return tmp_path / "projects" / "tall"


def load(project: Path, asset: str):
    import trimesh

    return trimesh.load(io.BytesIO((project / asset).read_bytes()), file_type="glb")


def colours(scene) -> set[str]:
    return {"#{:02x}{:02x}{:02x}".format(*g.visual.material.baseColorFactor[:3]) for g in scene.geometry.values()}


def test_every_character_as_a_figure_with_their_build_and_colours(project):
    from moviegen.core.project import ProjectStore
    from moviegen.services.casting import cast_roles

    made = json.loads(moviegen("assets", "3d", "tall", "--json", check=True).stdout)["models"]
    assert [(m["node"], m["provider"]) for m in made] == [("character:mira", "procedural"),
                                                          ("character:ben", "procedural")]  # fmt: skip
    mira, ben = (load(project, m["asset"]) for m in made)
    tall, short = mira.bounds[1][1] - mira.bounds[0][1], ben.bounds[1][1] - ben.bounds[0][1]
    assert tall > short * 1.15 and abs(tall - made[0]["height_m"]) < 0.01 and mira.bounds[0][1] == pytest.approx(0)
    width = lambda s: s.geometry["torso"].extents[0]  # noqa: E731
    assert width(mira) > width(ben) * 1.2  # broad-shouldered against slight
    roles = cast_roles(ProjectStore(project.parent).open("tall").cast())
    assert roles["MIRA"].color in colours(mira) and roles["BEN"].color in colours(ben)  # the scarf: their colour
    assert "#be2828" in colours(mira) and "#1c1c1e" in colours(ben)  # the coat and jacket the bible names
    assert {"head", "torso", "hair", "leg_left", "arm_right", "scarf"} <= set(mira.geometry)
    for m in made:  # content-addressed
        assert m["asset"] == f"assets/{hashlib.sha256((project / m['asset']).read_bytes()).hexdigest()}.glb"
    cast = {c["name"]: c for c in json.loads(moviegen("cast", "list", "tall", "--json", check=True).stdout)}
    assert cast["MIRA"]["model3d"] == {"asset": made[0]["asset"], "provider": "procedural"}  # the Cast tab shows it


def test_same_input_same_bytes_and_one_file(project, brain):
    first = json.loads(moviegen("assets", "3d", "tall", "mira", "prop:lantern", "--json", check=True).stdout)
    again = brain.assets_3d("tall", ["character:MIRA", "prop:lantern"])  # another process, the same bytes
    assert [m["asset"] for m in first["models"]] == [m["asset"] for m in again["models"]]
    assert len(list((project / "assets").glob("*.glb"))) == 2


def test_props_are_primitives_named_by_the_story_and_linked_in_the_graph(project, brain):
    out = moviegen("assets", "3d", "tall", "prop:lantern", "prop:crates", "prop:teapot", check=True).stdout
    assert "prop:lantern: a lantern" in out and "prop:crates: a box" in out and "prop:teapot: a thing" in out
    listed = {m["node"]: m for m in brain.assets_3d_list("tall")}
    assert listed["prop:lantern"]["name"] == "brass lantern"  # the story's own phrase for it
    lantern = load(project, listed["prop:lantern"]["asset"])
    assert {"base", "glass", "cap", "handle"} <= set(lantern.geometry) and "#b59642" in colours(lantern)
    node = brain.graph_node("tall", "prop:lantern")
    assert node["props"]["model3d"] == listed["prop:lantern"]["asset"]
    assert brain.graph_node("tall", "prop:teapot")["props"]["model3d"]  # not in the story: a node of its own
    status = brain.project_status("tall")
    assert [m["node"] for m in status["models_3d"]] == ["prop:lantern", "prop:crates", "prop:teapot"]
    text = (project / "models.toml").read_text()
    assert "[prop.lantern]" in text and 'name = "brass lantern"' in text and 'provider = "procedural"' in text
    assert "3d models: prop:lantern, prop:crates, prop:teapot" in moviegen("status", "tall", check=True).stdout


def test_an_unknown_character_is_one_line(project):
    proc = moviegen("assets", "3d", "tall", "character:bob", "prop:lantern")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stdout == ""
    assert "no character 'bob' in tall's bible" in proc.stderr and "characters: mira, ben" in proc.stderr
    assert not (project / "models.toml").exists()  # the lantern was not made either: all targets first
    bad = moviegen("assets", "3d", "tall", "scene:1")
    assert bad.returncode == 2 and "'scene:1' is not a 3D target" in bad.stderr
