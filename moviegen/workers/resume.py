"""A brain server that starts finishes the jobs the last one left: the newest job of each project, when it was
interrupted (a shutdown recorded it so, or it is still ``queued``/``running`` in the index while its process
is gone), runs again under its own id with its own inputs, reusing every step it had finished
(JobManager.resume). So ``moviegen jobs SLUG`` shows the job the user started as done, its ``attempts`` one
higher and its ``resumes`` counting these restarts.

Not resumed: failed jobs (a real error would fail again), cancelled ones (a person stopped them), a job that is
not its project's newest (it was retried, or another render came after it), one started more than
MOVIEGEN_JOBS__RESUME_MAX_AGE seconds ago (default a day), one resumed MAX_RESUMES times already (a job that
brings its brain down would do it again), and all of them when MOVIEGEN_JOBS__RESUME is false. Those stay
interrupted for ``moviegen job retry``.

Several brain processes may start at once on the same projects (``--processes N``, two containers on one
volume): each claims a job with one conditional UPDATE of its row in the project's index (jobs.swap_record),
so exactly one of them runs it. Resumed jobs start like any other (one thread each, their steps on the
brain's runners), from a thread of their own so the server answers meanwhile; each gets a line on stderr and
a ``job.resumed`` event.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from moviegen.core.errors import MoviegenError
from moviegen.workers.jobs import ACTIVE, _orphaned

MAX_RESUMES = 3  # restarts that may take one job up again
KINDS = ("render", "make", "transcode")  # what JobManager.retry (and so resume) can run again
CLAIM_TRIES = 3  # a claim lost to a process that only settled the job (running -> interrupted) is tried again


def resumable(record: dict[str, Any], now: float, max_age: float) -> bool:
    """True when a project's newest job record is one a starting brain should take up."""
    if record["kind"] not in KINDS or int(record.get("resumes") or 0) >= MAX_RESUMES:
        return False
    if now - float(record["started"]) > max_age:
        return False
    if record["status"] in ACTIVE:
        return _orphaned(record)  # its process is gone (else it runs somewhere: not ours)
    return record["status"] == "interrupted"


def resume_project(brain: Any, slug: str, max_age: float) -> str | None:
    """Take up the project's newest job if it is resumable and no other process claims it first; its id."""
    jobs = brain.jobs
    for _ in range(CLAIM_TRIES):
        newest = jobs._index_call(slug, lambda index: index.jobs(1))
        if not newest or newest[0]["id"] in jobs.live or not resumable(newest[0], time.time(), max_age):
            return None
        job = jobs.resume(newest[0])
        if job is not None:
            print(f"resumed job {job.id} ({job.kind} of {slug}, attempt {job.attempts}): the last brain stopped "
                  "before it finished", file=sys.stderr, flush=True)  # fmt: skip
            return job.id
    return None


def resume_all(brain: Any, stop: threading.Event | None = None) -> list[str]:
    """Resume what can be resumed in every project (see the module's docstring); the ids taken up here."""
    settings = brain.settings.jobs
    resumed: list[str] = []
    if not settings.resume or brain.jobs.runners is None:
        return resumed
    for slug in brain.project_slugs():
        if stop is not None and stop.is_set():
            break
        try:
            job_id = resume_project(brain, slug, settings.resume_max_age)
        except MoviegenError as exc:  # a project that cannot be opened now: its jobs wait for a retry
            print(f"jobs of {slug} not resumed: {exc.message}", file=sys.stderr, flush=True)
            continue
        if job_id:
            resumed.append(job_id)
    return resumed


class Resumer:
    """resume_all in a thread of its own, started with the brain server; stop() before the brain closes."""

    def __init__(self, brain: Any) -> None:
        self.brain = brain
        self.done = threading.Event()
        self._stop = threading.Event()
        self.resumed: list[str] = []
        self._thread = threading.Thread(target=self._run, name="resume-jobs", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.resumed = resume_all(self.brain, self._stop)
        except Exception as exc:  # noqa: BLE001 - resuming is a courtesy; the brain serves regardless
            print(f"resuming jobs failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        finally:
            self.done.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def start_for(brain: Any) -> Resumer | None:
    """The resumer of a brain server (None when MOVIEGEN_JOBS__RESUME is false)."""
    return Resumer(brain) if brain.settings.jobs.resume else None
