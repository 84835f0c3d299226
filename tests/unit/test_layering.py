"""ARCHITECTURE.md's import table, checked two ways: statically over the source
(every import statement) and at run time (what `moviegen --help` loads)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "moviegen"
THIRD_PARTY_BANNED_BELOW_INTERFACES = {"typer", "textual", "starlette", "uvicorn", "celery", "rich", "click"}
# package -> moviegen packages it may import
ALLOWED = {
    "core": {"core"},
    "services": {"core", "services"},
    "brain": {"core", "services", "workers", "brain"},
    "workers": {"core", "services", "workers"},
    "cli": {"core", "services", "brain", "workers", "cli"},
    "tui": {"core", "services", "brain", "workers", "tui"},
}

# the only exception: the CLI opens the studio through its one launcher (`moviegen tui`, bare `moviegen`)
EXCEPTIONS = {"cli": {"moviegen.tui.launch"}}  # cli/tui.py, cli/main.py, cli/entry.py
# ARCHITECTURE.md's workers hold the executors, Celery among them: its app is the one module of workers that imports it
THIRD_PARTY_EXCEPTIONS = {"workers/celery_app.py": {"celery"}}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_the_packages_of_the_architecture_exist():
    assert {"core", "services", "brain", "workers", "cli"} <= {p.name for p in PKG.iterdir() if p.is_dir()}


@pytest.mark.parametrize("package", sorted(p for p in ALLOWED if (PKG / p).is_dir()))  # tui joins when it exists
def test_packages_import_only_what_the_architecture_allows(package):
    bad = []
    for path in (PKG / package).rglob("*.py"):
        for name in _imports(path):
            top, _, rest = name.partition(".")
            if top == "moviegen" and rest:
                layer = rest.split(".")[0]
                if layer in ALLOWED and layer not in ALLOWED[package] and name not in EXCEPTIONS.get(package, ()):
                    bad.append(f"{path.relative_to(PKG)} imports {name}")
            allowed = THIRD_PARTY_EXCEPTIONS.get(str(path.relative_to(PKG)), set())
            if package in ("core", "services", "workers") and top in THIRD_PARTY_BANNED_BELOW_INTERFACES - allowed:
                bad.append(f"{path.relative_to(PKG)} imports {name}")
    assert not bad, "\n".join(bad)


def test_help_does_not_load_heavy_libraries():
    code = (
        "import sys; sys.argv=['moviegen','--help']\n"
        "from moviegen.cli.main import app\n"
        "try:\n    app(prog_name='moviegen')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('av','langgraph','numpy','PIL','scipy','textual','torch','pyloudnorm','pydantic_settings')"
        " if m in sys.modules]\nprint('HEAVY:' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert [ln for ln in out.splitlines() if ln.startswith("HEAVY:")] == ["HEAVY:"]
