"""moviegen cast: the cast with both voices, recasting to an ElevenLabs voice, painting and approving sheets —
run as a user runs it (a subprocess of the real entry point)."""

from __future__ import annotations

import json

from PIL import Image

from tests.conftest import FIXTURES, moviegen


def test_sheets_are_painted_approved_and_listed(tmp_path):
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", check=True)
    first = json.loads(moviegen("cast", "sheet", "two", "ada", "--json", check=True).stdout)
    second = json.loads(moviegen("cast", "sheet", "two", "ADA", "--json", check=True).stdout)
    assert (first["name"], first["take"], second["take"]) == ("ADA", 1, 2)
    assert first["provider"] == "storyboard-painter"  # no FAL_KEY: the offline painter draws the sheet
    folder = tmp_path / "projects" / "two"
    picture = Image.open(folder / first["asset"])
    assert picture.size == (768, 1024) and first["asset"] != second["asset"]  # a new take is a new picture
    assert json.loads(moviegen("cast", "approve", "two", "ADA", "1", "--json", check=True).stdout)["approved"] == 1
    ada = next(
        c for c in json.loads(moviegen("cast", "list", "two", "--json", check=True).stdout) if c["name"] == "ADA"
    )
    assert ada["sheet"] == {"takes": 2, "approved": 1, "asset": first["asset"]}
    assert "approved = 1" in (folder / "sheets.toml").read_text()

    wrong = moviegen("cast", "approve", "two", "ADA", "9")
    assert wrong.returncode != 0 and "ADA has no sheet take 9 (2 painted)" in wrong.stderr
    assert "Traceback" not in wrong.stderr and "approved = 1" in (folder / "sheets.toml").read_text()
    nobody = moviegen("cast", "sheet", "two", "NOBODY")
    assert nobody.returncode != 0 and "no character 'NOBODY'" in nobody.stderr


def test_recasting_to_an_elevenlabs_voice_writes_the_bible_and_names_the_shots(tmp_path):
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", check=True)
    moviegen("plan", "two", check=True)
    done = json.loads(moviegen("cast", "voice", "two", "kofi", "elevenlabs: Adam (pNInz6obpgDQGcFmaJgB)", "--json",
                               check=True).stdout)  # fmt: skip
    assert done["name"] == "KOFI" and done["shots"]
    bible = (tmp_path / "projects" / "two" / "story" / "bible.md").read_text()
    assert "- elevenlabs voice: Adam (pNInz6obpgDQGcFmaJgB)" in bible
    kofi = next(c for c in json.loads(moviegen("cast", "list", "two", "--json", check=True).stdout)
                if c["name"] == "KOFI")  # fmt: skip
    assert kofi["elevenlabs_voice"] == "Adam (pNInz6obpgDQGcFmaJgB)" and kofi["espeak"].startswith("en-us+")
    bad = moviegen("cast", "voice", "two", "KOFI", "elevenlabs: Adam")
    assert bad.returncode != 0 and "names no ElevenLabs voice id" in bad.stderr
    assert "pNInz6obpgDQGcFmaJgB" in (tmp_path / "projects" / "two" / "story" / "bible.md").read_text()  # kept
