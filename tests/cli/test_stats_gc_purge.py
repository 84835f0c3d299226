"""`moviegen stats`, `moviegen gc` and `moviegen project delete`, run as a user would, on real renders."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, moviegen


def run_json(*args: str):
    return json.loads(moviegen(*args, "--json", check=True).stdout)


def age(folder: Path, seconds: float = 7200) -> None:
    """As if everything in ``folder`` was made ``seconds`` ago (gc leaves files younger than an hour alone)."""
    then = time.time() - seconds
    for path in folder.iterdir():
        os.utime(path, (then, then))


def step_kinds(project: Path) -> dict[str, str]:
    with sqlite3.connect(project / ".moviegen" / "index.sqlite") as db:
        return dict(db.execute("SELECT asset, kind FROM steps"))


@pytest.mark.slow
def test_stats_then_gc_after_a_recast_and_under_a_retention_policy(tmp_path):
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", check=True)
    moviegen("plan", "two", check=True)
    moviegen("render", "two", "--resolution", "320x180", "--workers", "1", check=True)
    stats = run_json("stats", "two")["projects"][0]
    assert stats["renders"]["count"] == 1 and stats["renders"]["jobs_by_status"] == {"done": 1}
    assert set(stats["stages"]) == {"voices", "pictures", "segments", "publish"}
    assert stats["cache"]["steps"]["cached"] == 0 and stats["cache"]["steps"]["computed"] > 5
    assert {"shots_plan", "render_start"} <= {t["tool"] for t in stats["tools"]}
    project = tmp_path / "projects" / "two"
    screenplay = project / "screenplay.fountain"
    screenplay.write_text(screenplay.read_text().replace("They're late.", "They're very late."))  # a line re-said
    moviegen("render", "two", "--resolution", "320x180", "--workers", "1", check=True)
    stats = run_json("stats", "two")["projects"][0]
    steps = stats["cache"]["steps"]
    assert stats["renders"]["count"] == 2 and stats["stages"]["voices"]["renders"] == 2
    assert steps["cached"] > 0 and 0 < steps["hit_rate"] < 1 and steps["by_kind"]["frame"]["cached"] == 3
    text = moviegen("stats", "two", check=True).stdout
    assert "2 finished" in text and "most used:" in text and "render_start 2" in text

    assets = project / "assets"
    age(assets)
    dry = run_json("gc", "two")
    kinds = step_kinds(project)
    gone = [a for a in dry["assets"]]
    # the first cut's voice and mix (with the mix's AAC track, which no record but the mix's names) went stale
    assert sorted(kinds.get(a, "track") for a in gone) == ["mix", "track", "voice"]
    assert dry["bytes"] == sum((project / a).stat().st_size for a in gone) and dry["records"] == 2
    proc = moviegen("gc", "two", check=True)
    assert "would remove 0 render(s) and 3 asset(s)" in proc.stderr and gone[0] in proc.stdout
    assert "--apply" in proc.stderr and all((project / a).exists() for a in gone)
    done = run_json("gc", "two", "--apply")
    assert done["applied"] and not any((project / a).exists() for a in gone)
    moviegen("render", "two", "--resolution", "320x180", "--workers", "1", check=True)
    assert run_json("jobs", "two")[0]["result"]["computed"] == {}  # nothing the film needs was removed

    # a policy: previews (renders in another format than the project's) go after 0 days
    with (project / "moviegen.toml").open("a", encoding="utf-8") as f:
        f.write("\n[retention]\npreview_days = 0\n")
    age(project / "renders")
    dry = run_json("gc", "two")
    assert [r["stem"] for r in dry["renders"]] == ["two-16x9-180p24"] and "preview_days" in dry["renders"][0]["reason"]
    assert len(dry["renders"][0]["files"]) == 4 and dry["retention"] == {"keep_renders": None, "preview_days": 0.0}
    run_json("gc", "two", "--apply")
    assert list((project / "renders").iterdir()) == []
    kinds = step_kinds(project)
    assert list(assets.iterdir()) == []  # the only render went, and with it every asset it named (its score too)
    assert kinds == {}  # and the records of what went, went with it

    proc = moviegen("stats", "nope")
    assert proc.returncode == 1 and "no project 'nope'" in proc.stderr


def test_a_bad_retention_policy_is_one_line(tmp_path):
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", check=True)
    with (tmp_path / "projects" / "two" / "moviegen.toml").open("a", encoding="utf-8") as f:
        f.write("\n[retention]\nkeep_renders = 0\n")
    proc = moviegen("gc", "two")
    assert proc.returncode == 2 and "keep_renders" in proc.stderr and "Traceback" not in proc.stderr


def test_delete_moves_to_the_trash_and_purge_leaves_only_a_tombstone(tmp_path):
    for slug in ("kept", "gone"):
        moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", slug, check=True)
        moviegen("plan", slug, check=True)
    trashed = run_json("project", "delete", "kept")
    assert Path(trashed["trash"]).parent == tmp_path / "home" / "trash" and Path(trashed["trash"]).is_dir()

    config = (tmp_path / "projects" / "gone" / "moviegen.toml").read_text(encoding="utf-8")
    proc = moviegen("project", "delete", "gone", "--purge")  # no terminal to ask in
    assert proc.returncode == 2 and "--purge --yes" in proc.stderr and (tmp_path / "projects" / "gone").exists()
    purged = run_json("project", "delete", "gone", "--purge", "--yes")
    assert purged["purged"] and purged["files"] > 5 and purged["who"].endswith("(in-process)")
    left = [p for root in (tmp_path / "projects", tmp_path / "home") for p in root.rglob("*") if "gone" in str(p)]
    assert left == []
    (stone,) = [
        json.loads(line) for line in (tmp_path / "home" / "audit" / "tombstones.jsonl").read_text().splitlines()
    ]
    assert stone["slug"] == "gone" and stone["project_id"] in config and stone["project_id"] == purged["project_id"]
    import hashlib

    assert stone["moviegen_toml_sha256"] == hashlib.sha256(config.encode()).hexdigest()
    proc = moviegen("project", "delete", "gone", "--purge", "--yes")
    assert proc.returncode == 1 and "no project 'gone'" in proc.stderr
