"""Every documented command, run as a user would (the real entry point, a subprocess)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import moviegen

PREMISE = "A courier races a flood to relight the valley's last beacon"


def _one_error(proc, code: int, *needles: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.stdout.strip() == ""
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_help_version_and_every_command_help():
    top = moviegen("--help", check=True).stdout
    commands = [
        "new",
        "import",
        "list",
        "status",
        "develop",
        "plan",
        "render",
        "make",
        "demo",
        "search",
        "graph",
        "reindex",
    ]
    for name in commands:
        assert name in top
        assert "Usage" in moviegen(name, "--help", check=True).stdout
    assert moviegen("--version", check=True).stdout.startswith("moviegen 0.")


def test_premise_to_plan_flow_with_json(tmp_path):
    created = json.loads(moviegen("new", PREMISE, "--title", "Lantern Road", "--json", check=True).stdout)
    assert created["slug"] == "lantern-road" and Path(created["path"]).is_dir()
    story = json.loads(moviegen("develop", "lantern-road", "--json", check=True).stdout)
    assert story["logline"] and 2 <= len(story["characters"]) <= 6
    plan = json.loads(moviegen("plan", "lantern-road", "--json", check=True).stdout)
    assert plan["shots"] >= plan["scenes"] >= 3
    status = json.loads(moviegen("status", "lantern-road", "--json", check=True).stdout)
    assert status["stage"] == "planned" and status["shots"] == plan["shots"]
    assert status["brain"]["mode"] == "in-process" and status["brain"]["providers"]["text"] == "story-writer"
    listed = json.loads(moviegen("list", "--json", check=True).stdout)
    assert [p["slug"] for p in listed] == ["lantern-road"]
    folder = Path(created["path"])
    for name in (
        "moviegen.toml",
        "screenplay.fountain",
        "shots.toml",
        "story/logline.md",
        "story/bible.md",
        "story/outline.md",
    ):
        assert (folder / name).is_file(), name
    human = moviegen("status", "lantern-road", check=True).stdout
    assert "Lantern Road" in human and "planned" in human


def test_import_sample(sample_path):
    out = json.loads(moviegen("import", str(sample_path), "--json", check=True).stdout)
    assert (out["slug"], out["scenes"], out["dialogue_lines"]) == ("lantern-road", 4, 9)
    assert set(out["cast"]) == {"MIRA", "TOMAS", "RADIO"}


def test_develop_refuses_to_replace_a_screenplay_without_force():
    moviegen("new", PREMISE, "--title", "X Film", check=True)
    moviegen("develop", "x-film", check=True)
    screenplay = Path("projects/x-film/screenplay.fountain")
    screenplay.write_text(screenplay.read_text() + "\nMy own edit.\n")
    before = screenplay.read_bytes()
    _one_error(moviegen("develop", "x-film"), 1, "already has a screenplay", "--force")
    assert screenplay.read_bytes() == before
    moviegen("develop", "x-film", "--force", check=True)
    assert b"My own edit." not in screenplay.read_bytes()


@pytest.mark.parametrize(
    "premise, needle", [("", "too short"), ("   ", "too short"), ("a flood rises " * 7200, "limit")]
)
def test_bad_premises_give_one_line_and_create_nothing(premise, needle):
    _one_error(moviegen("new", premise), 2, needle)
    assert not Path("projects").exists() or not any(Path("projects").iterdir())


def test_broken_screenplay_names_the_line_and_creates_nothing(tmp_path):
    bad = tmp_path / "broken.fountain"
    bad.write_text("Title: Broken\n\nINT. ROOM - DAY\n\nShe waits.\n\n/* a boneyard never closed\n\nMore.\n")
    _one_error(moviegen("import", str(bad)), 1, "line 7", "boneyard")
    assert not Path("projects/broken").exists()
    empty = tmp_path / "empty.fountain"
    empty.write_text("Just some words.\n")
    _one_error(moviegen("import", str(empty)), 1, "no scene headings")
    _one_error(moviegen("import", str(tmp_path / "missing.fountain")), 2, "no such file")


def test_editing_the_screenplay_into_a_broken_state_keeps_the_shot_list(sample_path):
    moviegen("import", str(sample_path), check=True)
    moviegen("plan", "lantern-road", check=True)
    shots = Path("projects/lantern-road/shots.toml")
    before = shots.read_bytes()
    screenplay = Path("projects/lantern-road/screenplay.fountain")
    screenplay.write_text(screenplay.read_text() + "\n[[ an unterminated note\n")
    _one_error(moviegen("plan", "lantern-road"), 1, "never closed")
    assert shots.read_bytes() == before


def test_existing_slug_is_refused_and_untouched():
    moviegen("new", PREMISE, "--title", "Lantern Road", check=True)
    cfg = Path("projects/lantern-road/moviegen.toml")
    before = cfg.read_bytes()
    _one_error(
        moviegen("new", "Another story about a flood and a beacon", "--title", "Lantern Road"), 1, "already exists"
    )
    assert cfg.read_bytes() == before


def test_unwritable_projects_dir_gives_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = moviegen("new", PREMISE, env={"MOVIEGEN_PROJECTS_DIR": str(blocker / "projects")})
    _one_error(proc, 1, "cannot create", "MOVIEGEN_PROJECTS_DIR")


def test_typos_unknown_projects_and_bad_options():
    _one_error(moviegen("rendr", "x"), 2, "Did you mean 'render'")
    _one_error(moviegen("status", "nope"), 1, "no project 'nope'")
    _one_error(moviegen("status", "../etc"), 2, "not a project name")
    moviegen("new", PREMISE, "--title", "Lantern Road", check=True)
    moviegen("develop", "lantern-road", check=True)
    _one_error(moviegen("render", "lantern-road"), 1, "no shot list")
    moviegen("plan", "lantern-road", check=True)
    _one_error(moviegen("render", "lantern-road", "--resolution", "huge"), 2, "not a resolution")
    bad = moviegen("render", "lantern-road", "--fps", "0")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_broken_shot_list_names_the_shot():
    moviegen("new", PREMISE, "--title", "Lantern Road", check=True)
    moviegen("develop", "lantern-road", check=True)
    moviegen("plan", "lantern-road", check=True)
    shots = Path("projects/lantern-road/shots.toml")
    shots.write_text(shots.read_text().replace('framing = "wide"', 'framing = "ultra"', 1))
    _one_error(moviegen("render", "lantern-road"), 1, "shots.toml", "framing")
    status = json.loads(moviegen("status", "lantern-road", "--json", check=True).stdout)
    assert "framing" in status["shots_problem"]


def test_debug_shows_the_traceback():
    proc = moviegen("--debug", "status", "nope")
    assert proc.returncode == 1 and "Traceback" in proc.stderr


def test_replan_keeps_hand_edits_of_unchanged_scenes(sample_path):
    moviegen("import", str(sample_path), check=True)
    moviegen("plan", "lantern-road", check=True)
    shots = Path("projects/lantern-road/shots.toml")
    edited = shots.read_text().replace('camera = "pan-right"', 'camera = "hold"  # director: keep it still', 1)
    shots.write_text(edited)
    screenplay = Path("projects/lantern-road/screenplay.fountain")
    screenplay.write_text(screenplay.read_text().replace("It is Thursday.", "It is Thursday already."))
    summary = json.loads(moviegen("plan", "lantern-road", "--json", check=True).stdout)
    assert (summary["scenes_kept"], summary["scenes_planned"]) == (3, 1)
    assert "# director: keep it still" in shots.read_text()
    fresh = json.loads(moviegen("plan", "lantern-road", "--fresh", "--json", check=True).stdout)
    assert fresh["scenes_planned"] == 4 and "director" not in shots.read_text()


def test_secrets_never_reach_output():
    env = {"OPENROUTER_API_KEY": "sk-or-secret-123", "MOVIEGEN_DEBUG": "1"}
    proc = moviegen("new", PREMISE, "--json", env=env)
    proc2 = moviegen("status", "nope", env=env)
    assert "sk-or-secret-123" not in proc.stdout + proc.stderr + proc2.stdout + proc2.stderr
    assert os.environ.get("OPENROUTER_API_KEY") is None


def test_new_projects_take_their_format_from_settings():
    env = {"MOVIEGEN_RENDER__ASPECT": "9:16", "MOVIEGEN_RENDER__FPS": "30"}
    created = json.loads(moviegen("new", PREMISE, "--json", env=env, check=True).stdout)
    assert created["format"] == {"resolution": "1280x720", "fps": 30, "aspect": "9:16"}


def test_debug_from_the_environment():
    proc = moviegen("status", "nope", env={"MOVIEGEN_DEBUG": "1"})
    assert proc.returncode == 1 and "Traceback" in proc.stderr
