"""The CLI is the same program with or without a brain: the same panel, the same exit code, the same data."""

from __future__ import annotations

import json

import pytest

CASES = [
    ("status", "nope"),  # a project that does not exist
    ("render", "lantern-road", "--resolution", "../../x"),  # refused before a job starts
    ("render", "lantern-road", "--resolution", "9x9"),
    ("plan", "nope"),
    ("develop", "lantern-road"),  # it has a screenplay already
    ("search", "lantern-road", "x", "--mode", "psychic"),
    ("graph", "lantern-road", "prop:unicorn"),
    ("job", "status", "job-nope"),
    ("new", "x"),  # too short to be a premise
]


@pytest.mark.integration
@pytest.mark.parametrize("args", CASES, ids=[" ".join(c) for c in CASES])
def test_the_same_error_in_both_modes(brain, args):
    local = brain.cli(*args, check=False)
    remote = brain.cli(*args, check=False, remote=True)
    assert local.returncode in (1, 2) and "Traceback" not in local.stderr
    assert (remote.returncode, remote.stderr, remote.stdout) == (local.returncode, local.stderr, local.stdout)


@pytest.mark.integration
def test_the_same_data_in_both_modes(brain):
    for args in (("status", "lantern-road", "--json"), ("list", "--json"), ("check", "lantern-road", "--json"),
                 ("graph", "lantern-road", "character:mira", "--json")):  # fmt: skip
        local = json.loads(brain.cli(*args).stdout)
        remote = json.loads(brain.cli(*args, remote=True).stdout)
        if args[0] == "status":
            assert local.pop("brain")["mode"] == "in-process"
            assert remote.pop("brain")["mode"].startswith("brain server at ws://")
        assert local == remote, args
