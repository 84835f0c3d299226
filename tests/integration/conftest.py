"""Integration fixtures: films rendered once per module with the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SAMPLE

RES = "320x180"  # what these tests check holds at any size; a quarter of 640x360's pixels renders ~40% faster


def env_for(root: Path) -> dict[str, str]:
    return {**os.environ, "MOVIEGEN_PROJECTS_DIR": str(root / "projects"), "MOVIEGEN_HOME": str(root / "home")}


def start_render(root: Path, slug: str, resolution: str = RES, **popen) -> subprocess.Popen:
    """A render running in the background, as a user's terminal would run it."""
    cmd = [sys.executable, "-m", "moviegen", "render", slug, "--resolution", resolution, "--json"]
    return subprocess.Popen(cmd, env=env_for(root), **popen)


def cli(root: Path, *args: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    env = env_for(root)
    proc = subprocess.run(
        [sys.executable, "-m", "moviegen", *args], capture_output=True, text=True, env=env, timeout=600, **kw
    )
    if check and proc.returncode:
        raise AssertionError(f"moviegen {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def render_json(root: Path, slug: str, *extra: str) -> dict:
    return json.loads(cli(root, "render", slug, "--resolution", RES, "--json", *extra).stdout)


def import_and_plan(root: Path, source: Path, slug: str) -> None:
    cli(root, "import", str(source), "--slug", slug)
    cli(root, "plan", slug)


@pytest.fixture(scope="session")
def sample_source() -> Path:
    return SAMPLE if SAMPLE.exists() else FIXTURES / "lantern_road.fountain"


@pytest.fixture(scope="session")
def rendered(tmp_path_factory, sample_source) -> tuple[Path, dict]:
    """The sample screenplay, rendered once at RES."""
    root = tmp_path_factory.mktemp("film")
    import_and_plan(root, sample_source, "lantern-road")
    return root, render_json(root, "lantern-road")


@pytest.fixture
def copy_of_rendered(rendered, tmp_path) -> tuple[Path, dict]:
    """A private copy of the rendered project (cache included) for tests that edit it."""
    root, report = rendered
    shutil.copytree(root / "projects", tmp_path / "projects")
    return tmp_path, report
