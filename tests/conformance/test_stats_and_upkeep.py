"""stats, gc and project_delete(purge) against the in-process and the remote brain alike."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from moviegen.core.errors import ProjectNotFoundError
from tests.conformance.test_brain_interface import TWO_LINES, api, fresh_slug, server  # noqa: F401 - fixtures


def roots(brain) -> tuple[Path, Path]:
    """(MOVIEGEN_HOME, projects folder) of the brain that holds the projects."""
    import os

    env = brain.server_env if brain.kind == "remote" else os.environ
    return Path(env["MOVIEGEN_HOME"]), Path(env["MOVIEGEN_PROJECTS_DIR"])


@pytest.fixture
def brain(api, request):  # noqa: F811 - the fixture imported above
    if api.kind == "remote":
        api.server_env = request.getfixturevalue("server").env
    return api


def test_stats_count_what_was_done_to_a_project(brain):
    slug = fresh_slug(brain, "stats")
    brain.project_import(TWO_LINES, slug=slug)
    brain.shots_plan(slug)
    brain.storyboard_paint(slug)
    for _ in range(3):
        brain.project_status(slug)
    with pytest.raises(ProjectNotFoundError):
        brain.stats(slug + "-nope")
    report = brain.stats(slug)
    assert [p["project"] for p in report["projects"]] == [slug] and report["total"]["projects"] == 1
    p = report["projects"][0]
    tools = {t["tool"]: t["calls"] for t in p["tools"]}
    assert tools["project_status"] == 3 and tools["shots_plan"] == 1 and tools["storyboard_paint"] == 1
    assert p["tools"][0]["tool"] == "project_status"  # most used first
    assert p["renders"] == {"count": 0, "films": [], "jobs": 0, "jobs_by_status": {}, "job_seconds": 0}
    assert p["cache"]["steps"]["hit_rate"] is None and p["spend"]["total_usd"] == 0
    assert p["spend"]["calls"] == sum(v["calls"] for v in p["spend"]["by_provider"].values())  # the ledger's
    assert slug in [q["project"] for q in brain.stats()["projects"]]  # every project the caller may read


def test_gc_keeps_the_storyboard_and_its_takes_and_removes_what_nothing_names(brain):
    import os
    import time

    slug = fresh_slug(brain, "gc")
    brain.project_import(TWO_LINES, slug=slug)
    brain.shots_plan(slug)
    brain.storyboard_paint(slug)
    brain.take_new(slug, "1.1")
    brain.take_approve(slug, "1.1", 2)
    brain.take_new(slug, "1.1")
    brain.take_reject(slug, "1.1", 3)
    home, projects = roots(brain)
    assets = projects / slug / "assets"
    old, young = assets / f"{'a' * 64}.png", assets / f"{'b' * 64}.png"  # a killed step's leftovers
    old.write_bytes(b"x" * 1000)
    young.write_bytes(b"y" * 10)
    painted = sorted(p.name for p in assets.iterdir())
    hours_ago = time.time() - 7200
    for path in assets.iterdir():
        if path != young:
            os.utime(path, (hours_ago, hours_ago))
    dry = brain.gc(slug)
    assert (dry["applied"], dry["assets"], dry["bytes"], dry["renders"]) == (False, [f"assets/{old.name}"], 1000, [])
    assert dry["retention"] == {"keep_renders": None, "preview_days": None} and old.exists()
    done = brain.gc(slug, apply=True)
    assert done["applied"] and done["assets"] == dry["assets"] and not old.exists() and young.exists()
    assert sorted(p.name for p in assets.iterdir()) == [n for n in painted if n != old.name]
    board = brain.storyboard(slug)
    assert all(Path(s["frame"]).exists() for s in board["shots"]) and len(board["shots"][0]["takes"]) == 2
    assert brain.gc(slug)["files"] == 0


def test_purge_leaves_nothing_of_the_project_but_a_tombstone(brain):
    slug = fresh_slug(brain, "purge")
    brain.project_import(TWO_LINES, slug=slug)
    brain.shots_plan(slug)
    brain.storyboard_paint(slug)
    home, projects = roots(brain)
    identity = _identity(projects / slug)
    config = (projects / slug / "moviegen.toml").read_bytes()
    shutil.copytree(projects / slug, home / "trash" / f"{slug}-20260101-000000")  # an earlier copy in the trash
    gone = brain.project_delete(slug, purge=True)
    assert gone["purged"] and gone["slug"] == slug and gone["project_id"] == identity and gone["files"] > 5
    assert gone["who"] == ("local user (admin)" if brain.kind == "remote" else gone["who"])
    assert gone["who"].endswith("(admin)" if brain.kind == "remote" else "(in-process)")
    with pytest.raises(ProjectNotFoundError):
        brain.project_status(slug)
    left = [p for root in (home, projects) for p in root.rglob("*") if slug in str(p) or identity in p.name]
    assert left == []
    tombstones = (home / "audit" / "tombstones.jsonl").read_text(encoding="utf-8").splitlines()
    stone = [json.loads(line) for line in tombstones if json.loads(line)["slug"] == slug]
    import hashlib

    assert len(stone) == 1 and stone[0]["moviegen_toml_sha256"] == hashlib.sha256(config).hexdigest()
    assert stone[0]["project_id"] == identity and stone[0]["bytes"] == gone["bytes"]


def _identity(folder: Path) -> str:
    import tomlkit

    return str(tomlkit.parse((folder / "moviegen.toml").read_text(encoding="utf-8"))["id"])


def test_stats_without_a_project_shows_only_those_the_caller_may_read(server, tmp_path):  # noqa: F811
    from moviegen.brain.remote import RemoteBrain
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core.errors import AccessDeniedError

    admin = RemoteBrain(server.ws)
    try:
        for slug in ("seen-by-viewer", "hidden-from-viewer"):
            admin.project_import(TWO_LINES, slug=slug)
        store = TokenStore(Path(server.env["MOVIEGEN_HOME"]) / "tokens.json")
        seen = _identity(Path(server.env["MOVIEGEN_PROJECTS_DIR"]) / "seen-by-viewer")
        token = store.create("stats-viewer", "viewer", [("seen-by-viewer", seen)])
        viewer = RemoteBrain(server.ws, token)
        try:
            assert [p["project"] for p in viewer.stats()["projects"]] == ["seen-by-viewer"]
            with pytest.raises(AccessDeniedError):
                viewer.stats("hidden-from-viewer")
        finally:
            viewer.close()
    finally:
        admin.close()
