"""The studio goes through one door: the brain's operations (moviegen.core.api.StudioAPI). No module of
moviegen/tui imports the services or the workers, and only studio.py names a kind of brain (to open one)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import moviegen.tui

pytestmark = [pytest.mark.tui]

TUI = Path(moviegen.tui.__file__).parent


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(TUI.rglob("*.py")), ids=lambda p: str(p.relative_to(TUI)))
def test_the_studio_calls_the_brain_only(path):
    named = imports(path)
    assert not {n for n in named if n.startswith(("moviegen.services", "moviegen.workers"))}
    brains = {n for n in named if n.startswith("moviegen.brain")}
    if path.name == "studio.py":
        assert brains <= {"moviegen.brain.daemon", "moviegen.brain.local", "moviegen.brain.remote"}
    else:
        assert not brains, f"{path.name} names a kind of brain: {brains}"
    source = path.read_text(encoding="utf-8")
    assert "remote" not in source.lower() or path.name == "studio.py"  # nothing asks which kind of brain it holds
