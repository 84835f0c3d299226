"""Jobs: renders (and premise-to-film makes) that run in the background, with progress as events, cancel,
retry and resume — stored in the project's index, so a restarted brain still lists them.

A job is a record (id, project, kind, inputs, status, stages, result, error, attempts, log). It runs in a
thread of the process that owns the brain; its heavy steps go to a runner (workers/runners.py). Steps are
content-addressed, so running an interrupted or failed job again reuses everything it finished. A job
whose process died (kill -9, a power cut) is found ``running`` in the index by the next process and shown
as ``interrupted``; a job stopped by a shutdown (SIGTERM, ``moviegen down``) is recorded as interrupted
at once. A brain server that starts resumes such jobs itself (workers/resume.py: ``resume`` below, the
same job id continuing, claimed with a conditional UPDATE so that one process of several takes it).
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from moviegen.core.errors import JobCancelledError, MoviegenError, NotFoundError, ProjectStateError
from moviegen.workers.events import EventBus

LOG_LINES = 200
ACTIVE = ("queued", "running")
SAVE_EVERY = 1.0  # seconds between progress writes to the index (status changes are written at once)
# seconds a resumed render waits for the project's render lock: the brain that was stopped records its job as
# interrupted after a few seconds, while the step it was in may still be ending (and holding the lock)
RESUME_LOCK_WAIT = 30.0
BUSY = {"transcode": "transcoding"}  # what a project is doing while a job of that kind runs (else rendering)


@dataclass
class Job:
    id: str
    project: str
    kind: str  # render, make, transcode
    inputs: dict[str, Any] = field(default_factory=dict)
    status: str = "queued"  # queued, running, done, failed, cancelled, interrupted
    stages: dict[str, dict[str, int]] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None  # {code, message, hint}
    attempts: int = 1
    resumes: int = 0  # times a starting brain took it up again (workers/resume.py)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    owner: dict[str, Any] = field(default_factory=lambda: {"host": socket.gethostname(), "pid": os.getpid()})
    log: list[str] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    stopping: bool = field(default=False, repr=False)  # cancelled by a shutdown, not by a person
    thread: threading.Thread | None = field(default=None, repr=False)
    saved: float = field(default=0.0, repr=False)

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id, "project": self.project, "kind": self.kind, "inputs": self.inputs, "status": self.status,
            "stages": self.stages, "result": self.result, "error": self.error, "attempts": self.attempts,
            "resumes": self.resumes, "started": self.started, "finished": self.finished, "owner": self.owner, "log": self.log[-LOG_LINES:],
        }  # fmt: skip

    def view(self, log: bool = True) -> dict[str, Any]:
        out = self.record()
        if not log:
            out.pop("log")
        return out

    def progressed(self, stage: str, done: int, total: int) -> None:
        """A stage's progress. The stages are replaced, never changed in place: views handed to other threads (an
        in-process follower draws its bars from one) hold a dict no one changes under them."""
        self.stages = {**self.stages, stage: {"done": done, "total": total}}

    def note(self, line: str) -> None:
        self.log.append(f"{time.strftime('%H:%M:%S')} {line}")


def _orphaned(record: dict[str, Any]) -> bool:
    """True when an active record's process is gone (so nobody will ever finish it)."""
    owner = record.get("owner") or {}
    if owner.get("host") != socket.gethostname():
        return False  # another machine's job: not ours to judge
    pid = int(owner.get("pid") or 0)
    if pid == os.getpid():
        return True  # this process does not run it (it is not live here), so its runner died with a restart
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class JobManager:
    """Runs and remembers a brain's jobs. ``brain`` is the LocalBrain that owns it (projects, providers,
    memory, settings); ``runners()`` lends a StepRunner for one job (workers/runners.py)."""

    def __init__(self, brain: Any, events: EventBus, runners: Callable[[], AbstractContextManager] | None) -> None:
        self.brain = brain
        self.events = events
        self.runners = runners
        self.live: dict[str, Job] = {}
        self._lock = threading.Lock()
        # asks the process that runs a job to cancel it (several brain processes: workers/events_redis.py)
        self.cancel_elsewhere: Callable[[str], None] | None = None

    # ------------------------------------------------------------------ starting
    def start(self, project_id: str, kind: str, options: Any, *, attempts: int = 1) -> Job:
        if self.runners is None:
            raise MoviegenError("this brain was started without render workers", "start it with 'moviegen up'")
        job = Job(id=f"job-{uuid.uuid4().hex[:12]}", project=project_id, kind=kind, inputs=options_record(options),
                  attempts=attempts)  # fmt: skip
        job.note(f"queued: {kind} of {project_id}")
        with self._lock:  # of two starts at once in this process, one
            running = [j.record() for j in self.live.values() if j.project == project_id and j.status in ACTIVE]
            if not running and self.cancel_elsewhere is not None:  # several brain processes: another may run one
                running = self._active_in_index(project_id)
            if running:
                raise _busy(project_id, running[0])
            self.live[job.id] = job
        try:
            if self.cancel_elsewhere is None:
                self._save(job, force=True)
            else:  # of two starts at once in two processes, one: the row goes in only if none is active there
                busy = self._index_call(project_id, lambda index: insert_if_idle(index, job.record()))
                if busy is not None:
                    raise _busy(project_id, busy)
                job.saved = time.monotonic()
            job.thread = threading.Thread(target=self._run, args=(job, options), name=job.id, daemon=True)
            job.thread.start()
        except BaseException:
            with self._lock:  # never a job in live that nothing runs (it would keep the project busy)
                self.live.pop(job.id, None)
            raise
        self.events.publish("job.queued", project=project_id, job=job.id, job_kind=kind)
        return job

    def retry(self, job_id: str) -> Job:
        """Run a job again with the same inputs (a finished, failed, cancelled or interrupted one); finished
        steps are reused, so an interrupted render resumes where it stopped."""
        record = self.get(job_id)
        if record["status"] in ACTIVE:
            raise ProjectStateError(f"job {job_id} is still {record['status']}", "cancel it first, or wait for it")
        options = options_from_record(record["inputs"], record["kind"])
        return self.start(record["project"], record["kind"], options, attempts=int(record.get("attempts", 1)) + 1)

    def resume(self, record: dict[str, Any]) -> Job | None:
        """Run a stopped job again under its own id, finished steps reused (a brain started after one stopped:
        workers/resume.py). It is claimed in the project's index by one conditional UPDATE on the record as
        read (status, attempts, owner), so of several processes starting at once exactly one runs it; None
        when another process got it first (or this one runs a job of that project already)."""
        if self.runners is None:
            return None
        options = options_from_record(record["inputs"], record["kind"])
        job = Job(id=record["id"], project=record["project"], kind=record["kind"], inputs=record["inputs"],
                  attempts=int(record.get("attempts") or 1) + 1, resumes=int(record.get("resumes") or 0) + 1,
                  started=record["started"], log=list(record.get("log") or []))  # fmt: skip
        job.note(f"resumed by the brain on {job.owner['host']} (pid {job.owner['pid']}), attempt {job.attempts}")
        with self._lock:  # live before it is claimed: this process's _settle must not take it for an orphan
            if any(j.project == job.project and j.status in ACTIVE for j in self.live.values()):
                return None
            self.live[job.id] = job
        try:  # (and only while no other job of the project is active: a start elsewhere may have come first)
            claimed = self._index_call(job.project, lambda index: swap_record(index, job.record(), record, alone=True))
        except MoviegenError:
            claimed = False
        if not claimed:
            with self._lock:
                self.live.pop(job.id, None)
            return None
        job.saved = time.monotonic()
        job.thread = threading.Thread(target=self._run, args=(job, options), name=job.id, daemon=True)
        job.thread.start()
        self.events.publish("job.resumed", project=job.project, job=job.id, job_kind=job.kind,
                            attempts=job.attempts)  # fmt: skip
        return job

    def cancel(self, job_id: str) -> dict[str, Any]:
        job = self.live.get(job_id)
        if job is not None and job.status in ACTIVE:
            job.note("cancel requested")
            job.cancel.set()
            return job.view()
        record = self.get(job_id)
        if record["status"] in ACTIVE and self.cancel_elsewhere is not None:  # another brain process runs it
            self.cancel_elsewhere(job_id)
        return record

    # ------------------------------------------------------------------ reading
    def project_of(self, job_id: str) -> str:
        return self.get(job_id)["project"]

    def get(self, job_id: str) -> dict[str, Any]:
        job = self.live.get(job_id)
        if job is not None:
            return job.view()
        for slug in self.brain.project_slugs():
            record = self._index_call(slug, lambda index: index.job(job_id))
            if record is not None:
                return self._settle(slug, record)
        raise NotFoundError(f"no job '{job_id}'", "list a project's jobs with 'moviegen jobs SLUG'")

    def for_project(self, project_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """The project's jobs, newest first: those running here and those the index remembers."""
        records = {r["id"]: r for r in self._index_call(project_id, lambda index: index.jobs(limit))}
        for job in list(self.live.values()):
            if job.project == project_id:
                records[job.id] = job.view()
        views = [self._settle(project_id, r) if r["id"] not in self.live else r for r in records.values()]
        return sorted(views, key=lambda r: -r["started"])[:limit]

    def running(self) -> list[Job]:
        return [j for j in self.live.values() if j.status in ACTIVE]

    def wait(self, job_id: str, timeout: float | None = None) -> dict[str, Any]:
        job = self.live.get(job_id)
        if job is not None and job.thread is not None:
            job.thread.join(timeout)
        return self.get(job_id)

    def _active_in_index(self, project_id: str) -> list[dict[str, Any]]:
        """The project's jobs the index says are queued or running, those whose process is gone settled first."""
        rows = self._index_call(project_id, lambda index: [json.loads(r[0]) for r in index.db.execute(
            "SELECT record FROM jobs WHERE status IN (?, ?)", ACTIVE)])  # fmt: skip
        settled = [self._settle(project_id, r) for r in rows if r["id"] not in self.live]
        return [r for r in settled if r["status"] in ACTIVE]

    def _settle(self, project_id: str, record: dict[str, Any]) -> dict[str, Any]:
        """A stored record; an active one whose process is gone becomes interrupted (and is saved so, unless a
        starting brain took it up meanwhile: then what that one wrote)."""
        if record["status"] in ACTIVE and record["id"] not in self.live and _orphaned(record):
            settled = {**record, "status": "interrupted", "finished": record.get("finished") or time.time()}
            settled["error"] = record.get("error") or {
                "code": "interrupted", "message": "the process running this job stopped before it finished",
                "hint": f"resume it with 'moviegen job retry {record['id']}' (finished steps are reused)",
            }  # fmt: skip
            return self._index_call(project_id, lambda index: settled if swap_record(index, settled, record)
                                    else index.job(record["id"]) or settled)  # fmt: skip
        return record

    # ------------------------------------------------------------------ stopping
    def stop(self) -> None:
        """Ask every running job to stop at its next step (a shutdown: they will be recorded as interrupted)."""
        for job in self.running():
            job.stopping = True
            job.cancel.set()

    def shutdown(self, timeout: float = 4.0) -> None:
        """Stop running jobs at their next step, recorded as interrupted; finished steps resume later. (Stop
        the runners between ``stop()`` and this, and a job waiting on a worker's step ends at once.)"""
        self.stop()
        deadline = time.monotonic() + timeout
        for job in list(self.live.values()):
            if job.thread is not None:
                job.thread.join(max(0.0, deadline - time.monotonic()))
            if job.status in ACTIVE:  # its step is still going: record it now, the thread ends with the process
                job.status, job.finished = "interrupted", time.time()
                job.note("interrupted: the brain stopped")
                self._save(job, force=True)

    # ------------------------------------------------------------------ running
    def _run(self, job: Job, options: Any) -> None:
        from moviegen.services.render.pipeline import render

        job.status = "running"
        job.note("started")
        self._save(job, force=True)
        self.events.publish("job.started", project=job.project, job=job.id, job_kind=job.kind)

        def on_event(event) -> None:
            if job.cancel.is_set():
                raise JobCancelledError(
                    f"job {job.id} was {'interrupted' if job.stopping else 'cancelled'}",
                    f"resume it with 'moviegen job retry {job.id}': finished steps are kept",
                )
            if event.stage:
                job.progressed(event.stage, event.done, event.total)
            if event.kind in ("stage.done", "warning", "resume") or event.kind.startswith("render"):
                job.note(f"{event.stage or event.kind}: {event.message or f'{event.done}/{event.total}'}")
            self._save(job)
            self.events.publish(
                "job.progress", project=job.project, job=job.id, stage=event.stage, done=event.done,
                total=event.total, event=event.kind, message=event.message,
            )  # fmt: skip

        try:
            project = self.brain.project(job.project)
            story_brain = self.brain if job.kind == "make" else None
            if job.kind == "transcode" and self.brain.settings.executor != "celery":  # ffmpeg: a process of its own
                job.result = _transcode(project, options, job, on_event)
            elif job.kind == "transcode":  # each preset a step on the Celery workers' transcode queue
                with self.runners() as runner:
                    job.result = _transcode(project, options, job, on_event, runner)
            else:
                with self.runners() as runner:
                    job.result = render(project, runner, self.brain.chain_heads(job.project), options, emit=on_event,
                                        story_brain=story_brain, memory=self.brain, media=self.brain,
                                        cancel=job.cancel, job=job.id,
                                        lock_wait=RESUME_LOCK_WAIT if job.resumes else 0.0)  # fmt: skip
            job.status = "done"
        except MoviegenError as exc:
            if job.stopping:  # whatever a shutdown made the render raise (its workers stopped under it)
                job.status, job.error = "interrupted", JobCancelledError(
                    f"job {job.id} was interrupted: the brain stopped",
                    f"resume it with 'moviegen job retry {job.id}': finished steps are kept").to_wire()  # fmt: skip
            elif isinstance(exc, JobCancelledError):
                job.status, job.error = "cancelled", exc.to_wire()
            else:
                job.status, job.error = "failed", exc.to_wire()
        except Exception as exc:  # noqa: BLE001 - a job's failure is its status, never the brain's crash
            job.status = "interrupted" if job.stopping else "failed"
            job.error = {"code": "internal", "message": f"{type(exc).__name__}: {exc}",
                         "hint": "run it again; if it fails the same way, report it with the job's log"}  # fmt: skip
        job.finished = time.time()
        message = (job.error or {}).get("message")
        job.note(job.status + (f": {message}" if message else f" in {job.finished - job.started:.1f} s"))
        self._save(job, force=True)
        self.events.publish(f"job.{job.status}", project=job.project, job=job.id, error=job.error)

    def _save(self, job: Job, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - job.saved < SAVE_EVERY:
            return
        job.saved = now
        record = job.record()
        try:
            self._index_call(job.project, lambda index: index.save_job(record))
        except MoviegenError:
            pass  # the project went away under its job; the job's own status says what happened

    def _index_call(self, project_id: str, fn):
        from moviegen.core.index import ProjectIndex

        index = ProjectIndex(self.brain.project(project_id).path)
        try:
            return fn(index)
        finally:
            index.close()


def _busy(project_id: str, record: dict[str, Any]) -> ProjectStateError:
    return ProjectStateError(
        f"{project_id} is already {BUSY.get(record['kind'], 'rendering')} (job {record['id']})",
        f"follow it with 'moviegen job status {record['id']}', or cancel it first",
    )


def insert_if_idle(index: Any, record: dict[str, Any]) -> dict[str, Any] | None:
    """Store a new job's ``record`` in the project's index unless a job there is queued or running, in one
    conditional INSERT (atomic across processes); None when stored, else the active job's record."""
    for _ in range(3):  # (the active one may end between the two statements: then try again)
        cursor = index.db.execute(
            "INSERT INTO jobs SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE status IN (?, ?))",
            (record["id"], record["kind"], record["status"], json.dumps(record, default=str), record["started"],
             record.get("finished"), *ACTIVE),
        )  # fmt: skip
        if cursor.rowcount == 1:
            return None
        row = index.db.execute("SELECT record FROM jobs WHERE status IN (?, ?) LIMIT 1", ACTIVE).fetchone()
        if row is not None:
            return json.loads(row[0])
    return {"kind": record["kind"], "id": "that has just ended"}


def swap_record(index: Any, record: dict[str, Any], expect: dict[str, Any], *, alone: bool = False) -> bool:
    """Store ``record`` over its job in the project's index (a ProjectIndex) only if the stored one is still
    ``expect`` as it was read — the same status, attempts and owner — and, with ``alone``, no other job of the
    project is queued or running, in one conditional UPDATE (SQLite runs it atomically, across processes too);
    True when it was written."""
    owner = expect.get("owner") or {}
    others = " AND NOT EXISTS (SELECT 1 FROM jobs WHERE status IN (?, ?) AND id != ?)" if alone else ""
    cursor = index.db.execute(
        "UPDATE jobs SET status=?, record=?, finished=? WHERE id=? AND status=?"
        " AND json_extract(record, '$.attempts') IS ? AND json_extract(record, '$.owner.pid') IS ?"
        " AND json_extract(record, '$.owner.host') IS ?" + others,
        (record["status"], json.dumps(record, default=str), record.get("finished"), record["id"], expect["status"],
         expect.get("attempts"), owner.get("pid"), owner.get("host"), *((*ACTIVE, record["id"]) if alone else ())),
    )  # fmt: skip
    return cursor.rowcount == 1


def options_record(options: Any) -> dict[str, Any]:
    """RenderOptions (or TranscodeOptions) as JSON (what a job was started with, for a retry after a restart)."""
    data = dataclasses.asdict(options)
    if hasattr(options, "fmt"):
        data["fmt"] = options.fmt.model_dump()
    return data


def options_from_record(data: dict[str, Any], kind: str = "render") -> Any:
    if kind == "transcode":
        from moviegen.services.transcode import TranscodeOptions

        return TranscodeOptions(**data)
    from moviegen.core.models import FilmFormat
    from moviegen.services.render.pipeline import RenderOptions

    return RenderOptions(**{**data, "fmt": FilmFormat(**data["fmt"])})


def _transcode(project: Any, options: Any, job: Job, on_event: Callable, runner: Any = None) -> dict[str, Any]:
    """A transcode job: a stage per preset with its percent done as progress (the same job.progress events a
    render's stages send). A cancel kills ffmpeg at once; nothing half-written is kept."""
    from moviegen.core.events import Event
    from moviegen.services.transcode import transcode

    def progress(preset: str, done: int, total: int) -> None:
        kind = "stage.done" if done == total else "stage.progress"
        on_event(Event(kind=kind, project=job.project, stage=preset, done=done, total=total))

    return transcode(project, options.presets, on_progress=progress, cancel=job.cancel, runner=runner)
