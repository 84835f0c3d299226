"""Saves are a real compare-and-swap: of writers that read the same version, exactly one wins, across threads
and processes, and no acknowledged save is ever lost.

The chain check: every save appends a unique marker line to the text it read and writes with that text's
digest. If the check and the rename are one step, each successful save's parent is the file as it was at that
moment, so the final file holds exactly the acknowledged markers, each writer's in its own order, and none of
the refused ones. A lost save leaves its marker out; a save that landed although refused leaves an extra one.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import tomlkit

import moviegen
from moviegen.core import atomic, locations, shotlist
from moviegen.core.errors import ConflictError, ShotListError, UsageError
from moviegen.core.models import Character, Location, ProjectInfo, Stage, Story
from moviegen.core.project import Project, ProjectStore

BASE = "Title: Chain\n\nINT. ROOM - DAY\n\nA room.\n"
SHOTS = '[[shot]]\nid = "1.1"\nscene = "1"\nframing = "wide"\nduration = 3\n'
MARKER = re.compile(r"^Beat ([a-z0-9]+)-(\d+)\.$", re.M)
PROCESS_SAVES = 500  # per process: the figure the benchmark reports is measured at this size too
THREAD_SAVES = 150  # per thread

# One writer in its own process: waits for "go" on stdin so that both start together, then makes n attempts,
# each reading (text, digest), appending its marker and saving with that digest; prints what it saw.
WRITER = """
import json, sys
from pathlib import Path
from moviegen.core.errors import ConflictError
from moviegen.core.project import ProjectStore

root, slug, tag, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
project = ProjectStore(Path(root)).open(slug)
print("ready", flush=True)
sys.stdin.readline()
acked, refused = [], []
for i in range(n):
    text, digest = project.screenplay_with_digest()
    try:
        project.write_screenplay(text + f"\\nBeat {tag}-{i}.\\n", expect_digest=digest)
        acked.append(i)
    except ConflictError:
        refused.append(i)
print(json.dumps({"tag": tag, "acked": acked, "refused": refused}), flush=True)
"""


def child_env() -> dict[str, str]:
    """The environment for a child process: it imports the same moviegen as this test does."""
    return {**os.environ, "PYTHONPATH": str(Path(moviegen.__file__).resolve().parents[1])}


def chain_problems(final: str, results: list[dict]) -> list[str]:
    """What is wrong with the final text given each writer's acknowledged and refused saves ([] when nothing)."""
    seen = [(tag, int(i)) for tag, i in MARKER.findall(final)]
    problems = []
    if len(seen) != len(set(seen)):
        problems.append("a marker appears twice")
    for r in results:
        mine = [i for tag, i in seen if tag == r["tag"]]
        missing = sorted(set(r["acked"]) - set(mine))
        landed = sorted(set(r["refused"]) & set(mine))
        if missing:
            problems.append(f"{r['tag']}: {len(missing)} acknowledged saves lost, e.g. {missing[:5]}")
        if landed:
            problems.append(f"{r['tag']}: {len(landed)} refused saves landed, e.g. {landed[:5]}")
        if mine != sorted(mine):
            problems.append(f"{r['tag']}: saves out of order")
    return problems


def assert_linear_chain(project: Project, results: list[dict]) -> None:
    final = project.screenplay_text()
    assert chain_problems(final, results) == []
    acked = sum(len(r["acked"]) for r in results)
    assert len(MARKER.findall(final)) == acked
    assert all(r["acked"] for r in results), "every writer got some saves through"
    assert sum(len(r["refused"]) for r in results) > 0, "the writers never collided: the test proved nothing"


@pytest.fixture
def project(tmp_path) -> Project:
    p = ProjectStore(tmp_path / "projects").create(ProjectInfo(slug="chain", title="Chain", premise="a premise"))
    p.write_screenplay(BASE)
    return p


def test_the_chain_check_catches_a_lost_save(project):
    """The check itself: two writers read the same version and both write it unconditionally (the old bug)."""
    text, _ = project.screenplay_with_digest()
    project.write_screenplay(text + "\nBeat a-0.\n")
    project.write_screenplay(text + "\nBeat b-0.\n")
    results = [{"tag": "a", "acked": [0], "refused": []}, {"tag": "b", "acked": [0], "refused": []}]
    assert chain_problems(project.screenplay_text(), results) == ["a: 1 acknowledged saves lost, e.g. [0]"]


def test_two_processes_saving_with_digests_lose_nothing(project):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(project.path.parent), project.slug, tag, str(PROCESS_SAVES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        for tag in ("a", "b")
    ]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [json.loads(p.stdout.readline()) for p in procs]
        for p in procs:
            assert p.wait(60) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert sum(len(r["acked"]) + len(r["refused"]) for r in results) == 2 * PROCESS_SAVES
    assert_linear_chain(project, results)


def test_threads_saving_with_digests_lose_nothing(project):
    tags = ["t0", "t1", "t2", "t3"]
    results = [{"tag": tag, "acked": [], "refused": []} for tag in tags]
    start = threading.Barrier(len(tags))

    def writer(r: dict) -> None:
        mine = ProjectStore(project.path.parent).open(project.slug)  # its own handle, as another client has
        start.wait()
        for i in range(THREAD_SAVES):
            text, digest = mine.screenplay_with_digest()
            try:
                mine.write_screenplay(text + f"\nBeat {r['tag']}-{i}.\n", expect_digest=digest)
                r["acked"].append(i)
            except ConflictError:
                r["refused"].append(i)

    threads = [threading.Thread(target=writer, args=(r,)) for r in results]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert_linear_chain(project, results)


def test_a_plain_write_waits_for_a_check_and_rename_in_progress(project, monkeypatch):
    """A write without a digest cannot land between another writer's digest check and its rename."""
    path = locations.screenplay_file(project.path)
    text, digest = project.screenplay_with_digest()
    checked, release = threading.Event(), threading.Event()
    real_replace = os.replace

    def slow_replace(src, dst):  # the digest writer stops between its check and its rename
        if threading.current_thread().name == "cas":
            checked.set()
            assert release.wait(10)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", slow_replace)
    cas = threading.Thread(
        target=lambda: project.write_screenplay(text + "\nBeat c-0.\n", expect_digest=digest), name="cas"
    )
    plain = threading.Thread(target=lambda: atomic.write_text(path, BASE + "\nPlain.\n"), name="plain")
    cas.start()
    assert checked.wait(10)
    plain.start()
    plain.join(0.5)
    assert plain.is_alive(), "the plain write went ahead while the other writer was between check and rename"
    release.set()
    cas.join(10)
    plain.join(10)
    assert path.read_text() == BASE + "\nPlain.\n"  # it came after, and now a stale digest is refused
    with pytest.raises(ConflictError):
        project.write_screenplay(text + "\nBeat c-1.\n", expect_digest=digest)


def test_a_holder_killed_mid_write_does_not_block_the_next_writer(project, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from moviegen.core import atomic\n"
            "def hold(old):\n"
            "    print('holding', flush=True)\n"
            "    time.sleep(120)\n"
            "    return old + 'never written'\n"
            "atomic.update_text(Path(sys.argv[1]), hold)\n",
            str(locations.screenplay_file(project.path)),
        ],
        stdout=subprocess.PIPE, text=True, env=child_env(),
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        text, digest = project.screenplay_with_digest()
        done = []
        writer = threading.Thread(
            target=lambda: done.append(project.write_screenplay(text + "\nBeat k-0.\n", expect_digest=digest))
        )
        writer.start()
        writer.join(0.5)
        assert writer.is_alive(), "the lock was not held: this test would prove nothing"
        holder.send_signal(signal.SIGKILL)
        writer.join(10)
        assert done, "the next writer is still blocked by a dead holder"
    finally:
        holder.kill()
        holder.wait()
    assert project.screenplay_text() == text + "\nBeat k-0.\n"


def test_no_lock_file_appears_in_the_project(project):
    before = {p.relative_to(project.path) for p in project.path.rglob("*")}
    project.write_story(
        Story(
            title="Chain", logline="A room.", outline=["It begins."], screenplay=BASE,
            characters=[Character(name="MIRA", role="courier")], locations=[Location(name="ROOM", description="bare")],
        )
    )  # fmt: skip
    project.set_character("MIRA", voice="quick")
    project.update(stage=Stage.DEVELOPED)
    text, digest = project.screenplay_with_digest()
    project.write_screenplay(text + "\nMore.\n", expect_digest=digest)
    project.write_shots(SHOTS)
    shotlist.set_fields(locations.shots_file(project.path), "1.1", take=2)
    after = {p.relative_to(project.path) for p in project.path.rglob("*")}
    written = {Path("shots.toml")} | {Path("story") / f"{n}.md" for n in ("logline", "bible", "outline")}
    assert after - before == written  # nothing else, hidden or not, not even under .moviegen/
    assert not [p for p in after if "lock" in p.name or p.suffix == ".tmp"]


def test_update_text_is_one_step_across_processes(tmp_path):
    counter = tmp_path / "counter.txt"
    atomic.write_text(counter, "0")
    script = (
        "import sys\nfrom pathlib import Path\nfrom moviegen.core import atomic\n"
        "for _ in range(200):\n"
        "    atomic.update_text(Path(sys.argv[1]), lambda old: str(int(old) + 1))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(counter)], env=child_env()) for _ in range(2)]
    assert [p.wait(60) for p in procs] == [0, 0]
    assert counter.read_text() == "400"


def test_update_text_reads_none_for_a_missing_file_and_writes_nothing_if_fn_raises(tmp_path):
    path = tmp_path / "folder" / "notes.md"
    assert atomic.update_text(path, lambda old: f"was {old}") == atomic.file_digest(path)
    assert path.read_text() == "was None"

    def refuse(old):
        raise UsageError("no")

    with pytest.raises(UsageError):
        atomic.update_text(path, refuse)
    assert path.read_text() == "was None"
    with pytest.raises(ConflictError):
        atomic.update_text(path, str.upper, expect_digest="0" * 64)
    assert [p.name for p in path.parent.iterdir()] == ["notes.md"]  # no temp or lock file left behind


def test_settings_and_bible_edits_from_threads_all_survive(project):
    def settle(key: str) -> None:
        mine = ProjectStore(project.path.parent).open(project.slug)
        for i in range(40):
            mine.update(**{key: i})
            mine.set_character(key.upper(), role=f"role {i}")

    threads = [threading.Thread(target=settle, args=(k,)) for k in ("alpha", "beta", "gamma")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    cfg = tomlkit.parse(locations.project_config(project.path).read_text()).unwrap()
    assert (cfg["alpha"], cfg["beta"], cfg["gamma"]) == (39, 39, 39)
    assert cfg["title"] == "Chain"
    assert {c.name: c.role for c in project.cast()} == {
        "ALPHA": "role 39", "BETA": "role 39", "GAMMA": "role 39",
    }  # fmt: skip


def test_story_files_with_digests(project):
    assert project.story_file("bible") == ("", atomic.ABSENT)
    first = project.write_story_file("bible", "# mine\n", expect_digest=atomic.ABSENT)
    with pytest.raises(ConflictError) as err:  # someone else created it after we read it as missing
        project.write_story_file("bible", "# theirs\n", expect_digest=atomic.ABSENT)
    assert "story/bible.md" in err.value.message and err.value.hint
    text, digest = project.story_file("bible.md")
    assert (text, digest) == ("# mine\n", first)
    project.write_story_file("bible", text + "more\n", expect_digest=digest)
    with pytest.raises(ConflictError):
        project.write_story_file("bible", text + "stale\n", expect_digest=digest)
    with pytest.raises(ConflictError):
        project.set_character("MIRA", expect_digest=digest, role="courier")
    assert project.story_file("bible")[0] == "# mine\nmore\n"
    for bad in ("../moviegen", "screenplay", "notes", "bible.txt"):
        with pytest.raises(UsageError):
            project.story_file(bad)
        with pytest.raises(UsageError):
            project.write_story_file(bad, "x")


def test_write_shots_checks_the_shot_list_and_the_digest(project):
    path = locations.shots_file(project.path)
    good = SHOTS
    digest = project.write_shots(good, expect_digest=atomic.ABSENT)
    for bad in ("[[shot]\nbroken", SHOTS.replace('"wide"', '"extreme"'), "shot = 3\n"):
        with pytest.raises(ShotListError):
            project.write_shots(bad, expect_digest=digest)
        assert path.read_text() == good
    shotlist.set_fields(path, "1.1", take=2)
    with pytest.raises(ConflictError) as err:
        project.write_shots(good + "# stale\n", expect_digest=digest)
    assert "shots.toml" in err.value.message
    assert shotlist.load(path)[0].take == 2


def test_screenplay_conflict_names_the_file(project):
    text, digest = project.screenplay_with_digest()
    project.write_screenplay(text + "\nTheirs.\n")
    with pytest.raises(ConflictError) as err:
        project.write_screenplay(text + "\nMine.\n", expect_digest=digest)
    assert "screenplay.fountain changed on disk" in err.value.message
    assert "reload" in err.value.hint
