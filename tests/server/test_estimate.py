"""Estimates through a real brain server: the same answers as in-process, nothing sent to the provider, no
ledger row, no project created."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.cli.test_estimate import PREMISE, chat_env, rows
from tests.conftest import FIXTURES, SAMPLE
from tests.fakes.openai_server import FakeChat
from tests.server.conftest import start_brain, stop_brain


@pytest.mark.integration
def test_estimates_through_the_brain_equal_the_in_process_ones_and_spend_nothing(tmp_path):
    with FakeChat() as fake:
        env = {
            "MOVIEGEN_HOME": str(tmp_path / "home"),
            "MOVIEGEN_PROJECTS_DIR": str(tmp_path / "projects"),
            **chat_env(fake),
        }
        source = SAMPLE if SAMPLE.exists() else FIXTURES / "lantern_road.fountain"
        for args in (["import", str(source), "--slug", "lantern-road"], ["plan", "lantern-road"]):
            subprocess.run(
                [sys.executable, "-m", "moviegen", *args], env={**os.environ, **env}, check=True, capture_output=True
            )
        brain = start_brain(tmp_path, env_extra=chat_env(fake))
        try:
            calls = json.loads(brain.cli("cost", "lantern-road", "--json", remote=True).stdout)["calls"]
            for args in (
                ("render", "lantern-road", "--resolution", "320x180"),
                ("make", PREMISE, "--slug", "fresh"),
                ("demo",),
            ):
                local = json.loads(brain.cli(*args, "--estimate", "--json").stdout)
                remote = json.loads(brain.cli(*args, "--estimate", "--json", remote=True).stdout)
                assert local == remote, args
            assert rows(remote)["story.logline"]["provider"] == "openai-compat"  # the demo: a model would write it
            assert rows(remote)["story.logline"]["usd"] > 0 and remote["total_usd"] > 0
            table = brain.cli("make", PREMISE, "--slug", "fresh", "--estimate", remote=True).stdout
            assert "story.screenplay" in table and "render.frames" in table
            assert fake.requests == []
            assert json.loads(brain.cli("cost", "lantern-road", "--json", remote=True).stdout)["calls"] == calls
            assert sorted(p.name for p in (tmp_path / "projects").iterdir()) == ["lantern-road"]
        finally:
            stop_brain(brain)
