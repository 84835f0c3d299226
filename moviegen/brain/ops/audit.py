"""The audit trail of LocalBrain: recording calls (moviegen.brain.audit says what and where) and reading a
project's trail back (``audit_log``, for producers)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from moviegen.brain import audit
from moviegen.core.errors import MoviegenError

log = logging.getLogger("moviegen.brain")
CREATES = frozenset({"project_create", "project_import", "film_make", "project_import_bundle"})  # new project's log


class AuditOps:
    def audit_log(self, project_id: str, limit: int = 50, verify: bool = False) -> dict[str, Any]:
        path = audit.log_path(self.project(project_id).path)
        entries, count = audit.read(path, limit)
        view = {"project": project_id, "path": f".moviegen/{audit.LOG_NAME}", "count": count, "entries": entries}
        if verify:
            checked = audit.verify(path)
            view["verify"] = {k: v for k, v in checked.items() if k != "path"}
        return view

    # ------------------------------------------------------------------ recording
    def audit_call(self, op: str, arguments: dict[str, Any], call: audit.Call) -> None:
        """Record one finished call of an audited operation (``_checked`` calls this once per outermost call)."""
        caller = audit.CALLER.get()
        if caller is None:
            if self._in_job():
                return  # the brain's own work for a job: the call that started the job is the one recorded
            caller = audit.local_caller()
        project = arguments.get("project_id")
        if not isinstance(project, str) and isinstance(arguments.get("job_id"), str):
            try:
                project = self.job_project(arguments["job_id"])
            except MoviegenError:
                project = None
        if op in CREATES and call.outcome == "ok" and isinstance(call.result, dict):
            project = call.result.get("slug") or call.result.get("project") or project
        checked = arguments if call.arguments is None else call.arguments  # as sent, when they did not fit
        self._audit_append(caller, op, project if isinstance(project, str) else None, checked, call.outcome)

    def audit_record(self, caller: audit.Caller, op: str, project_id: str | None, arguments: dict[str, Any],
                     result: str) -> None:  # fmt: skip
        """Record a call the brain server answered itself: a refusal (any level; ``access_denied``) or a
        generation tool's call. A refusal about a project that does not exist goes to the brain's log."""
        self._audit_append(caller, op, project_id, arguments, result)

    def _audit_append(self, caller: audit.Caller, op: str, project: str | None, arguments: dict, result: str) -> None:
        path = audit.brain_log()
        if project:
            try:
                folder = self.store.path_of(project)
                if folder.is_dir():
                    path = audit.log_path(folder)
            except (MoviegenError, OSError, ValueError):
                pass
        try:
            audit.append(path, caller=caller, op=op, project=project, args_sha256=audit.digest(arguments),
                         result=result)  # fmt: skip
        except OSError as exc:  # the operation has run (or was refused) either way: its answer stands
            log.error("could not append to the audit trail %s: %s", path, exc)

    def _in_job(self) -> bool:
        here = threading.current_thread()
        return any(job.thread is here for job in self.jobs.running())
