"""Continuity findings on a screenplay written to contain one of each problem (and a clean one)."""

from __future__ import annotations

import tomlkit

from moviegen.core import locations
from moviegen.core.project import ProjectStore
from moviegen.core.settings import get_settings
from moviegen.services.continuity import continuity_check
from moviegen.services.planner import plan
from moviegen.services.screenplay import import_screenplay

FLAWED = """Title: Flawed

INT. KITCHEN - NIGHT

MARA VOSS (40s, grey braid, red coat) lifts the brass lantern.

MARA
Where is Tobias?

TOBIAS (20s, nervous) enters with a parcel.

TOBIAS
Here.

Tobias leaves through the back door.

TOBIAS
And stay out!

INT. HALLWAY - CONTINUOUS

Mara walks down the hall. Sunlight pours through the window.

MARA VOSS (20s, blonde, blue coat) stops at the door.

MARA
Locked.
"""


def _project(tmp_path, text: str, slug: str):
    src = tmp_path / f"{slug}.fountain"
    src.write_text(text)
    return import_screenplay(ProjectStore(get_settings().projects_dir), src, slug=slug)


def test_each_kind_of_problem_is_found_with_its_scene(tmp_path):
    project = _project(tmp_path, FLAWED, "flawed")
    found = {(f.kind, f.scene) for f in continuity_check(project)}
    assert ("description", "2") in found  # Mara: grey braid, red coat -> blonde, blue coat
    assert ("prop", "2") in found  # the lantern, in hand at the end of 1, gone in CONTINUOUS 2
    assert ("time_of_day", "2") in found  # NIGHT continued, "sunlight"
    assert ("absent_speaker", "1") in found  # Tobias speaks after leaving
    messages = " ".join(f.message for f in continuity_check(project))
    assert "lantern" in messages and "sunlight" in messages.lower()


def test_a_hand_edited_shot_list_that_drops_a_speaker(tmp_path, sample_path):
    project = import_screenplay(ProjectStore(get_settings().projects_dir), sample_path, slug="sample")
    plan(project)
    assert continuity_check(project) == []
    shots_path = locations.shots_file(project.path)
    doc = tomlkit.parse(shots_path.read_text())
    for shot in doc["shot"]:
        if shot["scene"] == "2" and shot["subject"] == "TOMAS":
            shot["characters"] = [c for c in shot["characters"] if c != "TOMAS"]
            break
    shots_path.write_text(tomlkit.dumps(doc))
    [finding] = continuity_check(project)
    assert finding.kind == "shot_cast" and finding.character == "TOMAS" and finding.shot.startswith("2.")
