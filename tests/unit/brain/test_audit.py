"""The audit trail (moviegen.brain.audit): what an in-process LocalBrain records, what it leaves out, and a hash
chain that names the first entry edited or removed, also when two processes append at once."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from moviegen.brain import audit
from tests.conftest import FIXTURES, tampered

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")


@pytest.fixture
def brain():
    from moviegen.brain.local import LocalBrain

    b = LocalBrain(workers=1)
    yield b
    b.close()


def entries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def trail(brain, slug: str) -> Path:
    return brain.project(slug).path / ".moviegen" / "audit.jsonl"


def test_a_change_is_one_entry_with_who_what_and_a_digest_never_the_text(brain):
    brain.project_import(TWO_LINES, slug="two")
    sp = brain.screenplay_get("two")
    secret = "\nADA\nThe harbour code is 7731-SWORDFISH.\n"
    brain.screenplay_update("two", sp["text"] + secret, sp["digest"])
    log = trail(brain, "two")
    first, second = entries(log)
    assert [first["op"], second["op"]] == ["project_import", "screenplay_update"]
    assert list(second) == list(audit.FIELDS)
    assert second["seq"] == 2 and second["prev"] == first["hash"] and first["prev"] == audit.GENESIS
    assert second["project"] == "two" and second["result"] == "ok" and second["via"] == "in-process"
    assert second["role"] == "owner" and second["who"] == audit.local_caller().who
    assert second["time"].endswith("+00:00")
    args = {"project_id": "two", "text": sp["text"] + secret, "expect_digest": sp["digest"]}
    assert second["args_sha256"] == audit.digest(args)
    raw = log.read_text(encoding="utf-8")
    assert "SWORDFISH" not in raw and "harbour" not in raw  # neither the new line nor the screenplay itself


def test_reads_are_not_recorded_failures_are_with_their_code(brain):
    from moviegen.core.errors import ConflictError

    brain.project_import(TWO_LINES, slug="two")
    for _ in range(2):
        brain.project_status("two")
        brain.screenplay_get("two")
        brain.story_file_get("two", "logline")
        brain.audit_log("two", verify=True)  # reading the trail does not grow it
    with pytest.raises(ConflictError):
        brain.screenplay_update("two", "INT. NOWHERE - DAY\n", "0" * 64)
    assert [(e["op"], e["result"]) for e in entries(trail(brain, "two"))] == [
        ("project_import", "ok"), ("screenplay_update", "conflict")]  # fmt: skip


def test_a_call_without_a_project_that_exists_goes_to_the_brains_log(brain, tmp_path):
    from moviegen.core.errors import ProjectNotFoundError

    with pytest.raises(ProjectNotFoundError):
        brain.screenplay_update("ghost", "x", None)
    brain.project_import(TWO_LINES, slug="two")
    brain.project_delete("two")  # to the trash: its own trail goes with it, the deletion is the brain's
    ghost, deleted = entries(tmp_path / "home" / "audit" / "brain.jsonl")
    assert (ghost["op"], ghost["project"], ghost["result"]) == ("screenplay_update", "ghost", "project_not_found")
    assert (deleted["op"], deleted["project"], deleted["result"], deleted["seq"]) == ("project_delete", "two", "ok", 2)
    (moved,) = (tmp_path / "home" / "trash").rglob("audit.jsonl")
    assert [e["op"] for e in entries(moved)] == ["project_import"]


def test_audit_log_shows_the_newest_and_verify_names_an_edited_entry(brain):
    brain.project_import(TWO_LINES, slug="two")
    for _ in range(4):
        sp = brain.screenplay_get("two")
        brain.screenplay_update("two", sp["text"] + "\n", sp["digest"])
    view = brain.audit_log("two", limit=2, verify=True)
    assert view["count"] == 5 and [e["seq"] for e in view["entries"]] == [4, 5]
    assert view["verify"] == {"ok": True, "entries": 5}
    log = trail(brain, "two")
    lines = log.read_text(encoding="utf-8").splitlines()
    edited = json.loads(lines[2])
    edited["who"] = "someone else"
    tampered(log).write_text("\n".join([*lines[:2], json.dumps(edited), *lines[3:]]) + "\n", encoding="utf-8")
    broken = brain.audit_log("two", verify=True)["verify"]
    assert not broken["ok"] and broken["entries"] == 2
    assert broken["broken"]["seq"] == 3 and broken["broken"]["problem"].startswith("hash mismatch")


def chain(path: Path, n: int) -> list[str]:
    caller = audit.Caller("tester", "owner", "in-process")
    for i in range(n):
        audit.append(path, caller=caller, op="screenplay_update", project="p", args_sha256=str(i), result="ok")
    return path.read_text(encoding="utf-8").splitlines()


def rewrite(path: Path, lines: list[str]) -> None:
    tampered(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_verify_finds_a_removed_line_a_rehashed_edit_and_a_torn_end(tmp_path):
    log = tmp_path / "audit.jsonl"
    lines = chain(log, 6)
    assert audit.verify(log)["ok"]

    rewrite(log, lines[:3] + lines[4:])  # entry 4 removed
    broken = audit.verify(log)["broken"]
    assert broken["seq"] == 5 and broken["problem"].startswith("seq gap: expected 4")

    forged = json.loads(lines[1])  # entry 2 changed, and its hash made to fit: the next entry's prev tells
    forged["result"] = "access_denied"
    forged["hash"] = audit.entry_hash(forged)
    rewrite(log, [lines[0], json.dumps(forged), *lines[2:]])
    broken = audit.verify(log)["broken"]
    assert (broken["seq"], broken["line"]) == (3, 3) and broken["problem"].startswith("prev mismatch")

    rewrite(log, lines)
    with log.open("ab") as f:
        f.write(lines[0][:40].encode())  # a write cut short by a crash
    caller = audit.Caller("tester", "owner", "in-process")
    entry = audit.append(log, caller=caller, op="take_new", project="p", args_sha256="x", result="ok")
    assert entry["seq"] == 7 and entry["prev"] == json.loads(lines[-1])["hash"]  # chained to the last whole entry
    broken = audit.verify(log)["broken"]
    assert broken["line"] == 7 and broken["seq"] is None and broken["problem"].startswith("unreadable line")


APPENDER = """
import sys
from pathlib import Path
from moviegen.brain import audit
caller = audit.Caller(sys.argv[2], "owner", "in-process")
for i in range(50):
    audit.append(Path(sys.argv[1]), caller=caller, op="take_new", project="p", args_sha256=str(i), result="ok")
"""


@pytest.mark.integration
def test_two_processes_appending_at_once_keep_one_chain(tmp_path):
    log = tmp_path / "audit.jsonl"
    procs = [subprocess.Popen([sys.executable, "-c", APPENDER, str(log), name]) for name in ("a", "b")]
    assert [p.wait(120) for p in procs] == [0, 0]
    assert audit.verify(log) == {"ok": True, "entries": 100, "path": str(log)}
    written = entries(log)
    assert [e["seq"] for e in written] == list(range(1, 101))
    assert sorted(e["who"] for e in written) == ["a"] * 50 + ["b"] * 50


def test_a_bundle_leaves_the_trail_out(brain):
    brain.project_import(TWO_LINES, slug="two")
    made = brain.export("two", "bundle")
    path = brain.project("two").path / made["files"][0]["path"]
    with tarfile.open(path) as tar:
        names = tar.getnames()
    assert ".moviegen/.gitignore" in names and not any(n.endswith("audit.jsonl") for n in names)
    assert entries(trail(brain, "two"))[-1]["op"] == "export"
