"""`moviegen develop --step / --resume / --redo`, run as a user would: each command a new process."""

from __future__ import annotations

import json

from tests.conftest import moviegen


def test_develop_stage_by_stage_across_processes():
    moviegen("new", "A keeper teaches a runaway to read the storm signals", "--slug", "steps", check=True)
    paused = moviegen("develop", "steps", "--step", check=True)
    assert "paused after logline" in paused.stderr and "--resume" in paused.stderr
    looked = json.loads(moviegen("develop", "steps", "--review", "--json", check=True).stdout)
    assert (looked["state"], looked["stage"]) == ("paused", "logline")  # and still waits: nothing was decided
    where = json.loads(moviegen("develop", "steps", "--resume", "--json", check=True).stdout)
    assert (where["state"], where["stage"]) == ("paused", "characters")
    redone = json.loads(moviegen("develop", "steps", "--redo", "--note", "older", "--json", check=True).stdout)
    assert redone["stage"] == "characters" and redone["result"] != where["result"]
    done = moviegen("develop", "steps", "--resume", "--all", check=True)
    assert "wrote story/ and screenplay.fountain (by story-writer)" in done.stderr
    names = {c["name"] for c in redone["result"]["characters"]}
    bible = moviegen("status", "steps", "--json", check=True)
    assert json.loads(bible.stdout)["stage"] == "developed"
    again = moviegen("develop", "steps", "--resume")
    assert again.returncode == 1 and "no story development waiting" in again.stderr and "Traceback" not in again.stderr
    assert names  # the redone cast is the one the screenplay speaks with: tests/unit/services/test_story_flow.py


def test_develop_options_that_do_not_go_together_are_refused_in_one_line():
    moviegen("new", "A keeper teaches a runaway to read the storm signals", "--slug", "opts", check=True)
    proc = moviegen("develop", "opts", "--note", "darker")
    assert proc.returncode != 0 and "--note goes with --redo" in proc.stderr
    proc = moviegen("develop", "opts", "--resume", "--redo")
    assert proc.returncode != 0 and "exclude each other" in proc.stderr
    proc = moviegen("develop", "opts", "--redo")
    assert proc.returncode == 1 and "no story development waiting" in proc.stderr
    proc = moviegen("develop", "opts", "--review")  # looking decides nothing, and says so
    assert proc.returncode == 0 and "nothing waits for a decision" in proc.stdout + proc.stderr
    proc = moviegen("develop", "opts", "--review", "--resume")
    assert proc.returncode != 0 and "exclude each other" in proc.stderr
