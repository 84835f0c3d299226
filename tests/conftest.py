"""Shared fixtures. Every test runs in its own temp world: MOVIEGEN_HOME, projects
dir and working directory are fresh, and no provider keys leak in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
SAMPLE = SAMPLES / "lantern_road.fountain"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated_world(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith(("MOVIEGEN_", "NEO4J_")) or key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MOVIEGEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MOVIEGEN_PROJECTS_DIR", str(tmp_path / "projects"))
    monkeypatch.chdir(tmp_path)
    from moviegen.cli import context
    from moviegen.core.settings import reset_settings

    reset_settings()
    context.brain.cache_clear()
    yield
    reset_settings()
    context.brain.cache_clear()


@pytest.fixture
def sample_text() -> str:
    if not SAMPLE.exists():  # pragma: no cover - the repo ships a copy for clones without shared/
        return (FIXTURES / "lantern_road.fountain").read_text(encoding="utf-8")
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def sample_path(tmp_path, sample_text) -> Path:
    path = tmp_path / "lantern_road.fountain"
    path.write_text(sample_text, encoding="utf-8")
    return path


def moviegen(
    *args: str, check: bool = False, timeout: float = 600, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the real console entry point, as a user would."""
    proc = subprocess.run(
        [sys.executable, "-m", "moviegen", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"moviegen {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc
