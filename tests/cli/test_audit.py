"""`moviegen audit`, run as a user would: the entries, --json, and --verify's answer and exit code."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from moviegen.cli.main import app
from tests.conftest import FIXTURES, moviegen, tampered


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_audit_lists_changes_and_verifies_then_fails_on_an_edit(tmp_path):
    invoke("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two")
    invoke("plan", "two")
    invoke("status", "two")  # a read: not in the trail
    text = invoke("audit", "two").stdout
    rows = text.splitlines()
    assert len(rows) == 2 and "project_import" in rows[0] and "shots_plan" in rows[1]
    assert all("(owner, in-process)" in row and row.rstrip().endswith("ok") for row in rows)

    view = json.loads(invoke("audit", "two", "--json", "--verify", "--limit", "1").stdout)
    assert view["count"] == 2 and [e["op"] for e in view["entries"]] == ["shots_plan"]
    assert view["verify"] == {"ok": True, "entries": 2}
    assert "verified 2 entries" in invoke("audit", "two", "--verify").stderr

    log = tmp_path / "projects" / "two" / ".moviegen" / "audit.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    tampered(log).write_text(lines[1] + "\n", encoding="utf-8")  # the first entry removed
    proc = moviegen("audit", "two", "--verify")
    assert proc.returncode == 1
    message = " ".join(proc.stderr.split())
    assert "broken at entry 2" in message and "seq gap" in message
