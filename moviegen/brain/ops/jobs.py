"""Renders and jobs: start, follow, cancel, retry; and the event stream every client listens to."""

from __future__ import annotations

import queue
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from moviegen.core.errors import ProjectStateError

ENDED = ("done", "failed", "cancelled", "interrupted")


class JobOps:
    def render_start(self, project_id: str, resolution: str | None = None, fps: int | None = None,
                     aspect: str | None = None, burn_subtitles: bool = False) -> dict[str, Any]:  # fmt: skip
        from moviegen.core import locations

        project = self.project(project_id)
        if not locations.shots_file(project.path).exists():
            raise ProjectStateError(f"{project_id} has no shot list yet", f"run 'moviegen plan {project_id}' first")
        return self._start_job(project_id, "render", resolution, fps, aspect, burn_subtitles)

    def _start_job(self, project_id: str, kind: str, resolution, fps, aspect, burn_subtitles) -> dict[str, Any]:
        from moviegen.services.render.pipeline import RenderOptions

        options = RenderOptions.for_project(self.project(project_id), self.settings, resolution=resolution, fps=fps,
                                            aspect=aspect, burn_subtitles=burn_subtitles)  # fmt: skip
        return self.jobs.start(project_id, kind, options).view()

    def job_list(self, project_id: str) -> list[dict[str, Any]]:
        self.project(project_id)
        return [{k: v for k, v in job.items() if k != "log"} for job in self.jobs.for_project(project_id)]

    def job_status(self, job_id: str) -> dict[str, Any]:
        return self.jobs.get(job_id)

    def job_cancel(self, job_id: str) -> dict[str, Any]:
        view = self.jobs.cancel(job_id)
        self.bus.publish("job.cancelling", project=view["project"], job=job_id)
        return view

    def job_retry(self, job_id: str) -> dict[str, Any]:
        return self.jobs.retry(job_id).view()

    def job_project(self, job_id: str) -> str:
        """The project a job belongs to (the server checks the caller's access against it)."""
        return self.jobs.project_of(job_id)

    # ------------------------------------------------------------------ streams
    def follow(self, job_id: str, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        deadline = None if timeout is None else time.monotonic() + timeout
        view = self.jobs.get(job_id)
        with self.bus.listen(lambda project: project == view["project"]) as events:
            view = self.jobs.get(job_id)  # what happened before we listened
            yield view
            while view["status"] not in ENDED:
                wait = 0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic()))
                try:
                    event = events.get(timeout=wait)
                    if event.get("job") != job_id:
                        continue
                except queue.Empty:
                    if deadline is not None and time.monotonic() >= deadline:
                        return
                view = self.jobs.get(job_id)
                yield view

    def events(self, project_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        wants = None if project_id is None else (lambda project: project == project_id)
        return self.bus.stream(wants)
