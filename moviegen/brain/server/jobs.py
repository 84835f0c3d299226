"""Render jobs run by the brain: a thread each, progress as events, cancel, resume by re-running."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from moviegen.brain.server.events import EventBus
from moviegen.core.errors import MoviegenError, NotFoundError

LOG_LINES = 200


class JobCancelled(MoviegenError):
    code = "cancelled"


@dataclass
class Job:
    id: str
    project: str
    kind: str
    status: str = "queued"  # queued, running, done, failed, cancelled
    stages: dict[str, dict[str, int]] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None
    options: Any = field(default=None, repr=False)  # what it was started with, for a retry
    log: list[str] = field(default_factory=list, repr=False)  # what happened, one line each
    cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id, "project": self.project, "kind": self.kind, "status": self.status,
            "stages": self.stages, "result": self.result, "error": self.error,
            "started": self.started, "finished": self.finished, "log": self.log[-LOG_LINES:],
        }  # fmt: skip

    def note(self, line: str) -> None:
        self.log.append(f"{time.strftime('%H:%M:%S')} {line}")


class JobManager:
    def __init__(self, brain, events: EventBus, runner_factory=None) -> None:
        """``runner_factory()`` gives a StepRunner (services.render.steps) for one render; the interface
        that starts the brain supplies it (the CLI passes the workers' local pool), keeping the brain
        free of the workers package."""
        self.brain = brain
        self.events = events
        self.runner_factory = runner_factory
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start_render(self, project_id: str, options) -> Job:
        if self.runner_factory is None:
            raise MoviegenError("this brain was started without render workers", "start it with 'moviegen up'")
        job = Job(id=f"job-{uuid.uuid4().hex[:10]}", project=project_id, kind="render", options=options)
        job.note(f"queued: render of {project_id}")
        with self._lock:
            self.jobs[job.id] = job
        job.thread = threading.Thread(target=self._run, args=(job, options), name=job.id, daemon=True)
        job.thread.start()
        self.events.publish("job.queued", job=job.id, project=project_id)
        return job

    def get(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFoundError(f"no job '{job_id}'", "list jobs with job_status, or start one with render_start")
        return job

    def cancel(self, job_id: str) -> Job:
        job = self.get(job_id)
        if job.status in ("queued", "running"):
            job.cancel.set()
        return job

    def retry(self, job_id: str) -> Job:
        """Run a finished, failed or cancelled job again with the same options; finished steps are reused."""
        job = self.get(job_id)
        if job.status in ("queued", "running"):
            raise MoviegenError(f"job {job_id} is still {job.status}", "cancel it first, or wait for it to end")
        return self.start_render(job.project, job.options)

    def for_project(self, project_id: str) -> list[Job]:
        """The project's jobs in this brain, newest first."""
        return sorted((j for j in self.jobs.values() if j.project == project_id), key=lambda j: -j.started)

    def running(self) -> list[Job]:
        return [j for j in self.jobs.values() if j.status in ("queued", "running")]

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop running jobs at their next step; finished steps are checkpointed and resume later."""
        for job in self.running():
            job.cancel.set()
        for job in list(self.jobs.values()):
            if job.thread is not None:
                job.thread.join(timeout)

    def _run(self, job: Job, options) -> None:
        from moviegen.core.project import ProjectStore
        from moviegen.services.render.pipeline import render

        job.status = "running"
        job.note("started")
        self.events.publish("job.started", job=job.id, project=job.project)

        def on_event(event) -> None:
            if job.cancel.is_set():
                raise JobCancelled(f"job {job.id} was cancelled", "run render_start again to resume where it stopped")
            if event.stage:
                job.stages[event.stage] = {"done": event.done, "total": event.total}
            if event.kind in ("stage.done", "warning") or event.kind.startswith("render"):
                job.note(f"{event.stage or event.kind}: {event.message or f'{event.done}/{event.total}'}")
            self.events.publish(
                "job.progress", job=job.id, project=job.project, stage=event.stage, done=event.done,
                total=event.total, event=event.kind, message=event.message,
            )  # fmt: skip

        try:
            project = ProjectStore(self.brain.settings.projects_dir).open(job.project)
            with self.runner_factory() as runner:
                job.result = render(project, runner, self.brain.providers(), options, emit=on_event, memory=self.brain)
            job.status = "done"
        except JobCancelled as exc:
            job.status, job.error = "cancelled", exc.message
        except MoviegenError as exc:
            job.status, job.error = "failed", exc.message
        except Exception as exc:  # noqa: BLE001 - a job's failure is its status, never the brain's crash
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        job.finished = time.time()
        job.note(f"{job.status}" + (f": {job.error}" if job.error else f" in {job.finished - job.started:.1f} s"))
        self.events.publish(f"job.{job.status}", job=job.id, project=job.project, error=job.error)
