"""The studio's job state, with one owner: the app keeps one ``JobBook`` and is the only one to change it —
from the brain's events (``job.progress``, ``job.done`` …) and from the views the brain returns (a render
started, a job cancelled, a project's jobs listed), all arriving as messages. Panes only read it."""

from __future__ import annotations

from typing import Any

RENDER_STAGES = ("voices", "pictures", "segments", "publish")
ACTIVE = ("queued", "running")
ENDED = ("done", "failed", "cancelled", "interrupted")


class JobBook:
    def __init__(self) -> None:
        self.views: dict[str, dict[str, Any]] = {}

    def put(self, view: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """A job's view from the brain, over what was known. Returns (view, whether it has just ended)."""
        old = self.views.get(view["id"], {})
        merged = {**old, **view, "stages": {**old.get("stages", {}), **(view.get("stages") or {})}}
        resumed = (view.get("resumes") or 0) > (old.get("resumes") or 0)  # a restarted brain took it up again
        if old.get("status") in ENDED and view.get("status") in ACTIVE and not resumed:
            merged["status"] = old["status"]  # a listing read before the end arrived later than the end
        self.views[view["id"]] = merged
        return merged, old.get("status") in ACTIVE and merged["status"] in ENDED

    def apply(self, event: dict[str, Any]) -> tuple[dict[str, Any], bool] | None:
        """A ``job.*`` event. Returns (the job's view, whether it has just ended), or None for no job."""
        job_id, kind = event.get("job"), event.get("kind", "")
        if not job_id:
            return None
        old = self.views.get(job_id) or {
            "id": job_id, "project": event.get("project", ""), "kind": event.get("job_kind", "render"),
            "status": "queued", "stages": {}, "started": event.get("at", 0.0), "error": None,
        }  # fmt: skip
        view = {**old, "stages": dict(old.get("stages") or {})}
        status = kind.removeprefix("job.")
        if status == "progress":
            view["status"] = "running"
            if event.get("stage"):
                view["stages"][event["stage"]] = {"done": event["done"], "total": event["total"]}
        elif status == "started":
            view["status"] = "running"
        elif status in ENDED:
            view["status"], view["error"] = status, event.get("error")
        elif status == "resumed" and old.get("status") in ("interrupted", *ACTIVE):
            view["status"], view["error"] = "running", None  # the one way back from an end: a restarted brain
            self.views[job_id] = view
            return view, False
        elif status != "queued":
            return None  # job.cancelling and the like: the job's own events follow
        if old.get("status") in ENDED:
            view["status"] = old["status"]  # nothing comes after an end
        self.views[job_id] = view
        return view, old.get("status") not in ENDED and view["status"] in ENDED

    def for_project(self, project: str) -> list[dict[str, Any]]:
        """The project's jobs, newest first."""
        return sorted((v for v in self.views.values() if v["project"] == project), key=lambda v: -v["started"])

    def active(self, project: str) -> dict[str, Any] | None:
        return next((v for v in self.for_project(project) if v["status"] in ACTIVE), None)


def error_text(view: dict[str, Any]) -> str:
    """A job's error in one line (what went wrong), or ''."""
    error = view.get("error") or {}
    return error.get("message", "") if isinstance(error, dict) else str(error)
