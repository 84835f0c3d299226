"""The storyboard contact sheet, read back with pypdf: every shot's number, framing and words, one picture per
shot that has a still (the storyboard's painted takes, before any render), an empty box for the others."""

from __future__ import annotations

import os

import pypdf
import pytest

from moviegen.core.errors import ProjectStateError
from moviegen.services.export.storyboard_pdf import COLUMNS, ROWS
from tests.conftest import FIXTURES

OFFLINE = {"MOVIEGEN_PROVIDERS__IMAGE": '["storyboard-painter"]', "MOVIEGEN_PROVIDERS__SPEECH": '["espeak-ng"]'}


@pytest.fixture
def brain(monkeypatch):
    from moviegen.brain.local import LocalBrain

    for key, value in OFFLINE.items():
        monkeypatch.setenv(key, value)
    brain = LocalBrain(workers=1)
    yield brain
    brain.close()


def sheet(brain, slug: str) -> pypdf.PdfReader:
    [written] = brain.export(slug, "storyboard")["files"]
    assert written["path"] == f"exports/{slug}-storyboard.pdf"
    return pypdf.PdfReader(brain.project(slug).path / written["path"])


def text_of(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_before_any_picture_every_shot_is_an_empty_box_with_its_words(brain):
    brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    brain.shots_plan("two")
    reader = sheet(brain, "two")
    text = text_of(reader)
    shots = brain.storyboard("two")["shots"]
    assert len(reader.pages) == 1 and sum(len(p.images) for p in reader.pages) == 0
    assert text.count("no picture yet") == len(shots) == 3
    for shot in shots:
        assert f"Shot {shot['id']}" in text and f"{shot['framing']} · {shot['camera']}" in text
    assert "ADA: They're late." in text and "KOFI: They're always late." in text
    assert "EXT. HARBOUR WALL - DUSK" in text and "watches the boats come" in text
    assert reader.metadata.title == "Two Lines — storyboard"


def test_painted_stills_are_the_pictures_and_a_missing_one_is_an_empty_box(brain):
    brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    brain.shots_plan("two")
    assert brain.storyboard_paint("two")["painted"] == 3
    reader = sheet(brain, "two")
    assert sum(len(p.images) for p in reader.pages) == 3 and "no picture yet" not in text_of(reader)
    frames = [s["frame"] for s in brain.storyboard("two")["shots"]]
    os.remove(frames[0])  # the first shot's still is gone: its cell is an empty box again
    reader = sheet(brain, "two")
    assert sum(len(p.images) for p in reader.pages) == 2 and text_of(reader).count("no picture yet") == 1
    assert len(reader.pages[0].images[0].data) < 120_000  # a thumbnail, not the painted PNG


def test_many_shots_fill_pages_of_six_and_long_words_are_cut_to_the_cell(brain, sample_text):
    brain.project_import(sample_text, slug="lantern")
    brain.shots_plan("lantern")
    shots = brain.storyboard("lantern")["shots"]
    assert len(shots) > COLUMNS * ROWS  # more than one page
    reader = sheet(brain, "lantern")
    assert len(reader.pages) == -(-len(shots) // (COLUMNS * ROWS))
    for n, page in enumerate(reader.pages):
        text = page.extract_text()
        on_page = shots[n * COLUMNS * ROWS : (n + 1) * COLUMNS * ROWS]
        assert [s["id"] for s in on_page] == [ln.removeprefix("Shot ") for ln in text.splitlines()
                                                if ln.startswith("Shot ")]  # fmt: skip
        assert f"page {n + 1} of {len(reader.pages)}" in text


def test_a_long_speech_ends_in_an_ellipsis_inside_its_cell(brain):
    speech = " ".join(f"Word{i} after word, the keeper counts the ships that never came home." for i in range(12))
    brain.project_import(f"Title: Long\n\nINT. LAMP ROOM - NIGHT\n\nMIRA\n{speech}\n", slug="long")
    brain.shots_plan("long")
    text = text_of(sheet(brain, "long"))
    assert "MIRA: Word0 after word" in text and text.rstrip().endswith("…") and "Word11" not in text


def test_no_shot_list_is_one_line_that_says_plan(brain):
    brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    with pytest.raises(ProjectStateError) as info:
        brain.export("two", "storyboard")
    assert info.value.message == "two has no shot list yet, so there is no storyboard to export"
    assert "moviegen plan two" in info.value.hint


def test_the_same_project_gives_the_same_bytes(brain):
    """No creation time, no random document id (ReportLab's invariant mode): the digest means something."""
    brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    brain.shots_plan("two")
    brain.storyboard_paint("two")
    first = brain.export("two", "storyboard")["files"][0]["sha256"]
    assert brain.export("two", "storyboard")["files"][0]["sha256"] == first
