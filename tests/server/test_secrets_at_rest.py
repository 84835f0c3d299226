"""Secrets at rest: the files holding them are the owner's alone (0600), and a brain refuses to start while one
can be read by others — one line that says which file and how to fix it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from tests.server.conftest import free_port, start_brain, stop_brain


@pytest.mark.integration
def test_the_brain_refuses_to_start_while_a_secret_is_readable_by_others(tmp_path):
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core.settings import Settings

    home = tmp_path / "home"
    local = LocalBrain(Settings(projects_dir=tmp_path / "projects", home=home), workers=1)
    local.people().add("wendy", "writer", "correct horse battery")
    local.close()
    TokenStore(home / "tokens.json").create("farm", "service")
    made = [p for p in home.iterdir() if p.name in ("users.json", "tokens.json", "jwt.key", "sessions.json")]
    assert {p.name for p in made} >= {"users.json", "tokens.json"}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in made), [(p.name, oct(p.stat().st_mode)) for p in made]

    (home / "users.json").chmod(0o644)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")}
    env |= {"MOVIEGEN_HOME": str(home), "MOVIEGEN_PROJECTS_DIR": str(tmp_path / "projects")}
    refused = subprocess.run([sys.executable, "-m", "moviegen", "brain", "serve", "--port", str(free_port())],
                             env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert refused.returncode == 2, refused.stderr
    said = "".join("".join(ln.strip("│ ").split()) for ln in refused.stderr.splitlines())  # the box, unwrapped
    assert "users.jsonholdssecretsandothersmayreadit(mode0644)" in said
    assert f"chmod600{home / 'users.json'}" in said
    assert "Traceback" not in refused.stderr and "brain serving" not in refused.stderr  # refused before serving

    (home / "users.json").chmod(0o600)
    brain = start_brain(tmp_path)  # fixed: it starts
    stop_brain(brain)
