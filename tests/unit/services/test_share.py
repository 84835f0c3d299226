"""A series: a character or a place shared from one project into another, through the brain."""

from __future__ import annotations

import tomllib

import pytest

from moviegen.brain.local import LocalBrain
from moviegen.core import locations
from moviegen.core.errors import UsageError
from moviegen.core.settings import Settings
from tests.conftest import FIXTURES

EPISODE_2 = "Title: Episode Two\n\nINT. KITCHEN - DAY\n\nKOFI waits by the kettle.\n\nKOFI\nShe'll come.\n"


@pytest.fixture
def brain(tmp_path):
    b = LocalBrain(Settings(projects_dir=tmp_path / "projects", home=tmp_path / "home"), workers=1)
    b.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="pilot")
    b.project_import(EPISODE_2, slug="episode-2")
    pilot = b.project("pilot")
    pilot.set_character("ADA", look="yellow oilskin, grey braid", voice="low and calm", role="harbour master")
    bible, digest = pilot.story_file("bible")
    pilot.write_story_file("bible", bible + "\n## Places\n\n### Harbour Wall\nA long stone wall, tar and gulls.\n",
                           expect_digest=digest)  # fmt: skip
    yield b
    b.close()


def test_a_character_goes_across_with_its_look_voice_and_approved_sheet(brain):
    from moviegen.services import sheets

    pilot = brain.project("pilot")
    asset = "assets/" + "ab" * 32 + ".png"
    (pilot.path / asset).parent.mkdir(exist_ok=True)
    (pilot.path / asset).write_bytes(b"\x89PNG not really, but bytes to copy")
    sheets.add_take(pilot, "ADA", {"asset": asset, "provider": "fal", "model": "flux"}, seed=7)
    sheets.approve(pilot, "ADA", 1)

    result = brain.story_share("pilot", "character:ada", "episode-2")
    episode = brain.project("episode-2")
    [ada] = [c for c in episode.cast() if c.name == "ADA"]
    assert (ada.look, ada.voice, ada.role) == ("yellow oilskin, grey braid", "low and calm", "harbour master")
    assert result["sheet"] == asset and (episode.path / asset).read_bytes() == (pilot.path / asset).read_bytes()
    assert sheets.reference(sheets.load(episode), "ADA", episode.path) == asset  # approved there too
    assert [c.name for c in episode.cast() if c.name == "KOFI"]  # their own cast is untouched

    given = tomllib.loads(locations.shared_file(pilot.path).read_text())["given"]
    taken = tomllib.loads(locations.shared_file(episode.path).read_text())["taken"]
    assert given[0]["node"] == taken[0]["node"] == "character:ada"
    assert given[0]["project_id"] == episode.info.id and taken[0]["project_id"] == pilot.info.id
    # both graphs say so
    assert {(e["dst"], e["type"]) for e in _edges(brain, "pilot", "character:ada")} >= {("project:episode-2",
                                                                                       "SHARED_WITH")}  # fmt: skip
    assert ("project:pilot", "SHARED_FROM") in {(e["dst"], e["type"]) for e in _edges(brain, "episode-2",
                                                                                       "character:ada")}  # fmt: skip

    brain.story_share("pilot", "character:ada", "episode-2")  # again: an update, not a second record
    assert len(tomllib.loads(locations.shared_file(pilot.path).read_text())["given"]) == 1
    assert len(sheets.load(episode)["ADA"]["takes"]) == 1


def test_a_place_goes_across_with_its_description(brain):
    brain.story_share("pilot", "place:harbour-wall", "episode-2")
    bible, _ = brain.project("episode-2").story_file("bible")
    assert "### Harbour Wall\nA long stone wall, tar and gulls.\n" in bible
    assert bible.count("## Places") == 1
    brain.story_share("pilot", "place:harbour-wall", "episode-2")  # again: replaced, not repeated
    assert brain.project("episode-2").story_file("bible")[0].count("### Harbour Wall") == 1


def test_what_cannot_be_shared_is_one_clear_line(brain):
    with pytest.raises(UsageError, match="has no character 'nobody'"):
        brain.story_share("pilot", "character:nobody", "episode-2")
    with pytest.raises(UsageError, match="describes no place 'moon'"):
        brain.story_share("pilot", "place:moon", "episode-2")
    with pytest.raises(UsageError, match="cannot share with itself"):
        brain.story_share("pilot", "character:ada", "pilot")
    assert not locations.shared_file(brain.project("pilot").path).exists()  # nothing recorded for a refusal


def _edges(brain, project, key):
    return brain.query_graph(
        f"MATCH (a {{key: '{key}'}})-[r]->(b) RETURN b.key AS dst, type(r) AS type", project_id=project
    )
