"""The scene-level three-way merge of two people's edits (moviegen.services.merge3)."""

from __future__ import annotations

from moviegen.services.merge3 import merge_fountain, merge_markdown, scenes

BASE = """Title: Lantern Road

INT. TOWER - NIGHT

Tomas winds the lamp.

EXT. ROAD - NIGHT

Mira runs.

INT. KITCHEN - DAY

Tea.
"""


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


def test_the_units_are_the_title_page_and_each_scene():
    units = scenes(BASE)
    assert [u.splitlines()[0] for u in units] == ["Title: Lantern Road", "INT. TOWER - NIGHT", "EXT. ROAD - NIGHT",
                                                  "INT. KITCHEN - DAY"]  # fmt: skip
    assert "".join(units) == BASE


def test_edits_of_different_scenes_both_survive():
    ours = edit(BASE, "Tomas winds the lamp.", "Tomas winds the great lamp.")
    theirs = edit(BASE, "Tea.", "Cold tea.")
    merged = merge_fountain(BASE, ours, theirs)
    assert merged.clean
    assert "Tomas winds the great lamp." in merged.text and "Cold tea." in merged.text
    assert merged.text == edit(ours, "Tea.", "Cold tea.")


def test_an_added_scene_and_an_edited_scene_merge():
    ours = BASE + "\nEXT. HILL - DAWN\n\nThe beacon burns.\n"
    theirs = edit(BASE, "Mira runs.", "Mira sprints.")
    merged = merge_fountain(BASE, ours, theirs)
    assert merged.clean and "The beacon burns." in merged.text and "Mira sprints." in merged.text


def test_a_deleted_scene_and_an_edit_elsewhere_merge():
    ours = edit(BASE, "EXT. ROAD - NIGHT\n\nMira runs.\n\n", "")
    theirs = edit(BASE, "Tea.", "Cold tea.")
    merged = merge_fountain(BASE, ours, theirs)
    assert merged.clean and "Mira runs." not in merged.text and "Cold tea." in merged.text


def test_two_different_edits_of_one_scene_conflict():
    ours = edit(BASE, "Mira runs.", "Mira walks.")
    theirs = edit(BASE, "Mira runs.", "Mira flies.")
    merged = merge_fountain(BASE, ours, theirs)
    assert not merged.clean
    assert merged.conflicts == ["EXT. ROAD - NIGHT"]


def test_the_same_edit_on_both_sides_is_taken_once():
    ours = theirs = edit(BASE, "Mira runs.", "Mira walks.")
    assert merge_fountain(BASE, ours, theirs).text == ours


def test_markdown_sections_merge_by_heading():
    base = "# Bible\n\n### MIRA\n- look: wet\n\n### TOMAS\n- look: old\n"
    ours = base.replace("wet", "soaked")
    theirs = base.replace("old", "seventy")
    merged = merge_markdown(base, ours, theirs)
    assert merged.clean and merged.text == "# Bible\n\n### MIRA\n- look: soaked\n\n### TOMAS\n- look: seventy\n"
    assert not merge_markdown(base, ours, base.replace("wet", "dry")).clean
