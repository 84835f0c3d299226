"""Searching several projects at once (search_projects, `moviegen search --all/--also`): every project named is
checked by the brain, and with none named only the projects the caller may read are searched."""

from __future__ import annotations

import json

import pytest

from moviegen.core.errors import AccessDeniedError
from tests.conftest import FIXTURES
from tests.server.conftest import start_brain, stop_brain

HARBOUR = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
TOWER = "Title: Tower\n\nINT. SIGNAL TOWER - NIGHT\n\nTOMAS polishes the great lamp of the harbour.\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core.settings import Settings

    root = tmp_path_factory.mktemp("search-all")
    local = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home"), workers=1)
    for slug, text in (("harbour", HARBOUR), ("tower", TOWER), ("secret", HARBOUR.replace("Two Lines", "Secret"))):
        local.project_import(text, slug=slug)
    token = TokenStore(root / "home" / "tokens.json").create(
        "reader", "viewer", [(s, local.identity(s)) for s in ("harbour", "tower")]
    )
    local.close()
    brain = start_brain(root)
    yield brain, token
    stop_brain(brain)


@pytest.mark.integration
def test_a_reader_searches_what_they_may_read_and_is_refused_the_rest(world):
    from moviegen.brain.remote import RemoteBrain

    brain, token = world
    reader, admin = RemoteBrain(brain.ws, token), RemoteBrain(brain.ws)
    try:
        everything = admin.search_projects("harbour boats", limit=30)
        assert {h["project"] for h in everything} == {"harbour", "tower", "secret"}
        assert [h["score"] for h in everything] == sorted((h["score"] for h in everything), reverse=True)
        mine = reader.search_projects("harbour boats", limit=30)
        assert {h["project"] for h in mine} == {"harbour", "tower"}  # never the one not shared with them
        assert mine[0]["project"] == "harbour" and mine[0]["kind"] == "scene"
        named = reader.search_projects("lamp", ["tower"], limit=5)
        assert named and {h["project"] for h in named} == {"tower"}
        with pytest.raises(AccessDeniedError):
            reader.search_projects("lamp", ["tower", "secret"])  # one project they may not read: all refused
        with pytest.raises(AccessDeniedError):
            reader.search_projects("lamp", ["nowhere"])  # the same answer whether or not it exists
    finally:
        reader.close()
        admin.close()


@pytest.mark.integration
def test_the_cli_searches_every_project_or_the_ones_named(world):
    brain, _ = world
    every = json.loads(brain.cli("search", "--all", "harbour boats", "--json", remote=True).stdout)
    assert {h["project"] for h in every} == {"harbour", "tower", "secret"}
    two = json.loads(brain.cli("search", "tower", "lamp", "--also", "harbour", "--json", remote=True).stdout)
    assert {h["project"] for h in two} <= {"tower", "harbour"} and two[0]["project"] == "tower"
    shown = brain.cli("search", "--all", "lamp", remote=True).stdout
    assert "tower: " in shown
    wrong = brain.cli("search", "--all", "lamp", "extra", check=False, remote=True)
    assert wrong.returncode == 2 and "with --all give only the query" in wrong.stderr
