"""A brain stopped with renders queued and running: the next brain finishes every one of them, under the same
job ids, each exactly once, even when two brains start at once on the same projects (workers/resume.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import pytest

from moviegen.core.index import ProjectIndex
from tests.integration.conftest import RES
from tests.server.conftest import start_brain, stop_brain

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCREENPLAY = "Title: Pier {i}\n\nEXT. PIER - DAY\n\nADA\nBoat number {i} is late.\n"
FPS = 12  # half the frames to encode: 50 films fit the time at any load
QUIET = {"MOVIEGEN_SCHEDULE__ENABLED": "false"}


def make_projects(root: Path, count: int, monkeypatch) -> list[str]:
    """``count`` planned one-line projects (in-process: 50 take a few seconds, not 50 CLI start-ups)."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import reset_settings

    monkeypatch.setenv("MOVIEGEN_HOME", str(root / "home"))
    monkeypatch.setenv("MOVIEGEN_PROJECTS_DIR", str(root / "projects"))
    reset_settings()
    brain = LocalBrain(workers=1)
    try:
        slugs = [f"pier-{i:02d}" for i in range(count)]
        for i, slug in enumerate(slugs):
            brain.project_import(SCREENPLAY.format(i=i), slug=slug)
            brain.shots_plan(slug)
        return slugs
    finally:
        brain.close()
        monkeypatch.undo()
        reset_settings()


def stored_jobs(root: Path, slugs: list[str]) -> dict[str, list[dict]]:
    """Each project's job records as its index holds them (newest first), read without any brain."""
    out = {}
    for slug in slugs:
        index = ProjectIndex(root / "projects" / slug)
        try:
            out[slug] = index.jobs()
        finally:
            index.close()
    return out


def queue_and_stop(root: Path, slugs: list[str]) -> dict[str, str]:
    """A brain with a render of every project started, stopped with SIGTERM at once: project -> job id."""
    from moviegen.brain.remote import RemoteBrain

    brain = start_brain(root, env_extra=QUIET)
    try:
        remote = RemoteBrain(brain.ws)
        try:
            started = {slug: remote.render_start(slug, resolution=RES, fps=FPS)["id"] for slug in slugs}
        finally:
            remote.close()
        brain.proc.send_signal(signal.SIGTERM)
        brain.proc.wait(30)
        assert brain.proc.returncode == 0, brain.log.read_text()[-2000:]
    finally:
        stop_brain(brain)
    return started


def wait_all_done(root: Path, slugs: list[str], timeout: float) -> dict[str, list[dict]]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = stored_jobs(root, slugs)
        if all(records and records[0]["status"] == "done" for records in jobs.values()):
            return jobs
        if time.monotonic() > deadline:
            left = {slug: records[0]["status"] for slug, records in jobs.items() if records[0]["status"] != "done"}
            raise AssertionError(f"not done after {timeout} s: {left}")
        time.sleep(0.5)


def assert_films_whole(root: Path, jobs: dict[str, list[dict]]) -> None:
    """Every film decodes to the frames its report says; every asset hashes to its name; no temp file is left."""
    for slug, (job,) in jobs.items():
        with av.open(job["result"]["film"]) as container:
            frames = sum(1 for _ in container.decode(container.streams.video[0]))
        assert frames == job["result"]["frames"] > 0, (slug, frames)
        assets = list((root / "projects" / slug / "assets").iterdir())
        assert assets and not [p.name for p in assets if p.name.startswith(".")], (slug, "temp files left")
        for path in assets:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name.split(".")[0], path


def resumed_lines(log: Path) -> list[str]:
    return re.findall(r"^resumed job (job-[0-9a-f]+) ", log.read_text(), flags=re.MULTILINE)


@pytest.mark.parametrize(("count", "brains"), [(50, 1), (16, 2)], ids=["50-jobs-one-brain", "16-jobs-two-brains"])
def test_a_restarted_brain_finishes_every_job_the_last_one_left(tmp_path, monkeypatch, count, brains):
    slugs = make_projects(tmp_path, count, monkeypatch)
    started = queue_and_stop(tmp_path, slugs)

    stopped = stored_jobs(tmp_path, slugs)
    statuses = {slug: records[0]["status"] for slug, records in stopped.items()}
    assert set(statuses.values()) <= {"done", "interrupted"}, statuses  # none failed, none left 'running'
    interrupted = {started[slug] for slug, status in statuses.items() if status == "interrupted"}
    assert len(interrupted) >= count // 2, statuses  # most were still queued or running when the brain stopped

    # the next brain (or two started at once on the same folders) takes them up by itself
    with ThreadPoolExecutor(brains) as pool:
        restarted = list(pool.map(lambda _: start_brain(tmp_path, env_extra=QUIET), range(brains)))
    try:
        jobs = wait_all_done(tmp_path, slugs, timeout=90)
    finally:
        for brain in restarted:
            stop_brain(brain)

    # the same jobs continued (no new ones): done, each resumed once if it had been interrupted, never otherwise
    assert {slug: [r["id"] for r in records] for slug, records in jobs.items()} == {
        slug: [job_id] for slug, job_id in started.items()
    }
    for records in jobs.values():
        job = records[0]
        resumed = job["id"] in interrupted
        assert (job["resumes"], job["attempts"]) == ((1, 2) if resumed else (0, 1)), job
    claims = [job_id for brain in restarted for job_id in resumed_lines(brain.log)]
    assert sorted(claims) == sorted(interrupted)  # one line per resumed job, across every brain: each exactly once
    assert_films_whole(tmp_path, jobs)
    if brains > 1:  # what the user sees
        listed = json.loads(restarted[0].cli("jobs", slugs[0], "--json").stdout)
        assert [(j["id"], j["status"]) for j in listed] == [(started[slugs[0]], "done")]


def interrupted_render(tmp_path: Path, monkeypatch) -> tuple[str, str, dict]:
    """A project whose render a brain started and then stopped (a shutdown: the job is recorded as
    interrupted), in this test's world: its slug, the job's id and its stored record."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import reset_settings

    (slug,) = make_projects(tmp_path, 1, monkeypatch)
    monkeypatch.setenv("MOVIEGEN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MOVIEGEN_PROJECTS_DIR", str(tmp_path / "projects"))
    reset_settings()
    first = LocalBrain(workers=1)
    job_id = first.render_start(slug, resolution=RES)["id"]
    first.close()
    ((record,),) = stored_jobs(tmp_path, [slug]).values()
    assert (record["id"], record["status"]) == (job_id, "interrupted")
    return slug, job_id, record


def test_of_two_brains_claiming_the_same_stopped_job_exactly_one_gets_it(tmp_path, monkeypatch):
    """The claim itself, made deterministic: two brains hold the same record as they read it; the first claim
    wins, the second finds the record changed under it and leaves the job alone."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import reset_settings

    slug, job_id, record = interrupted_render(tmp_path, monkeypatch)
    second, third = LocalBrain(workers=1), LocalBrain(workers=1)
    try:
        won = second.jobs.resume(record)
        lost = third.jobs.resume(record)  # the same record, as read before the first claim
        assert won is not None and won.id == job_id and lost is None
        assert job_id not in third.jobs.live
        assert second.jobs.wait(job_id, timeout=60)["status"] == "done"
        ((done,),) = stored_jobs(tmp_path, [slug]).values()
        assert (done["id"], done["status"], done["attempts"], done["resumes"]) == (job_id, "done", 2, 1)
    finally:
        second.close()
        third.close()
        reset_settings()


@pytest.mark.parametrize(
    ("change", "expected"),
    [({}, True), ({"status": "failed"}, False), ({"status": "cancelled"}, False), ({"status": "done"}, False),
     ({"started": 0.0}, False), ({"resumes": 3}, False), ({"kind": "export"}, False),
     ({"status": "running", "owner": "dead"}, True), ({"status": "running", "owner": "alive"}, False),
     ({"status": "queued", "owner": "elsewhere"}, False)],
    ids=["interrupted", "failed", "cancelled", "done", "too-old", "resumed-enough", "unknown-kind",
         "running-process-gone", "running-process-alive", "other-machine"],
)  # fmt: skip
def test_which_jobs_a_starting_brain_takes_up(change, expected):
    from moviegen.workers.resume import resumable

    dead = 2**22 + 12345  # above the default pid_max range of live processes here
    owners = {"dead": {"host": socket.gethostname(), "pid": dead}, "alive": {"host": socket.gethostname(),
              "pid": os.getppid()}, "elsewhere": {"host": "another-machine", "pid": dead}}  # fmt: skip
    record = {"id": "job-1", "kind": "render", "status": "interrupted", "started": time.time() - 60, "resumes": 0,
              "owner": owners["alive"]}  # fmt: skip
    record.update({k: owners[v] if k == "owner" else v for k, v in change.items()})
    assert resumable(record, time.time(), max_age=86400) is expected


def test_a_resumed_render_waits_for_the_run_it_resumes_to_let_go(tmp_path, monkeypatch):
    """A stopped brain records its job as interrupted after a few seconds, while the step it was in may still be
    ending, holding the project's render lock (seen as 'a render of … is already running' in a CI run: the
    resumed job failed at once). The resumed render waits for the lock; a new render is still refused at once."""
    import threading

    from moviegen.brain.local import LocalBrain
    from moviegen.core import locations
    from moviegen.core.errors import ConflictError
    from moviegen.core.lock import exclusive
    from moviegen.core.settings import reset_settings

    slug, job_id, record = interrupted_render(tmp_path, monkeypatch)
    held, release = threading.Event(), threading.Event()

    def finishing_step() -> None:  # the stopped run's last step, still holding the lock
        with exclusive(locations.render_lock(tmp_path / "projects" / slug), "a render"):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=finishing_step, daemon=True)
    holder.start()
    assert held.wait(10)
    second = LocalBrain(workers=1)
    try:
        from moviegen.services.render.pipeline import render

        with pytest.raises(ConflictError, match="already running"):  # not a resume: refused at once
            render(second.project(slug), None, {})
        assert second.jobs.resume(record) is not None
        time.sleep(1.0)
        assert second.jobs.get(job_id)["status"] == "running"  # waiting for the lock, not failed
        release.set()
        assert second.jobs.wait(job_id, timeout=60)["status"] == "done"
    finally:
        release.set()
        holder.join(10)
        second.close()
        reset_settings()
