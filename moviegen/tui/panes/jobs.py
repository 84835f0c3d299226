"""Jobs: this session's jobs with live progress per stage, and past runs from the project's memory.
Cancel, retry, open the log."""

from __future__ import annotations

import json
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Static

from moviegen.tui.panes.base import Pane
from moviegen.tui.widgets.dialogs import TextDialog
from moviegen.tui.widgets.tables import selected_key


def _stages(view: dict) -> str:
    return "  ".join(f"{s} {p['done']}/{p['total']}" for s, p in view.get("stages", {}).items()) or "—"


class JobsPane(Pane):
    BINDINGS = [
        Binding("c", "cancel", "Cancel job"),
        Binding("t", "retry", "Retry"),
        Binding("l", "log", "Log"),
    ]

    def compose(self) -> ComposeResult:
        yield Label("jobs — running and finished", classes="heading")
        yield DataTable(id="jobs", cursor_type="row")
        yield Static("", id="jobs-hint")
        yield Label("past runs (from the project's memory)", classes="heading")
        yield DataTable(id="runs", cursor_type="row")

    def on_mount(self) -> None:
        self.query_one("#jobs", DataTable).add_columns("job", "status", "progress", "started")
        self.query_one("#runs", DataTable).add_columns("run", "outcome", "seconds", "film", "when")
        self.past: dict[str, dict] = {}
        self.reload()

    def reload(self) -> None:
        self.show_jobs()
        self.background(lambda: self.studio.jobs.list(self.slug), self._known, group="jobs-read")
        self.background(lambda: self.studio.past_runs(self.slug), self._show_past, group="runs-read")

    def _known(self, views: list[dict]) -> None:
        """Jobs the brain has that this studio did not start or see begin (another client's, earlier ones)."""
        for view in views:
            self.app.job_views.setdefault(view["id"], {**view, "stages": dict(view.get("stages") or {})})
        self.show_jobs()

    def mine(self) -> list[dict]:
        return [j for j in self.app.job_views.values() if j["project"] == self.slug]

    def show_jobs(self) -> None:
        table = self.query_one("#jobs", DataTable)
        row = table.cursor_row
        table.clear()
        for j in self.mine():
            table.add_row(j["id"], j["status"], _stages(j), time.strftime("%H:%M:%S", time.localtime(j["started"])),
                          key=j["id"])  # fmt: skip
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1))
        self.query_one("#jobs-hint", Static).update(
            "c cancels · t retries · l shows the log of the selected job"
            if table.row_count
            else "no jobs yet — ctrl+r renders the film"
        )

    def _show_past(self, runs: list[dict]) -> None:
        table = self.query_one("#runs", DataTable)
        table.clear()
        self.past = {r["workflow_id"]: r for r in runs}
        for r in runs:
            d = r["data"]
            table.add_row(
                d.get("kind", "?"), d.get("outcome", "?"), f"{d.get('seconds', 0):.1f}",
                f"{d.get('duration', 0):.1f} s" if "duration" in d else d.get("error", "—")[:40],
                time.strftime("%Y-%m-%d %H:%M", time.localtime(d.get("started", r["stored"]))), key=r["workflow_id"],
            )  # fmt: skip

    def on_job(self, event: dict) -> None:
        if event.get("project") == self.slug:
            self.show_jobs()
            if event["kind"] in ("job.done", "job.failed", "job.cancelled"):
                self.background(lambda: self.studio.past_runs(self.slug), self._show_past, group="runs-read")

    def selected_job(self) -> str | None:
        return selected_key(self.query_one("#jobs", DataTable))

    def action_cancel(self) -> None:
        job = self.selected_job()
        if job:
            self.background(lambda: self.studio.jobs.cancel(job), lambda _: self.app.notify(f"cancelling {job}…"),
                            group="job-control")  # fmt: skip

    def action_retry(self) -> None:
        job = self.selected_job()
        if job:
            self.background(lambda: self.studio.jobs.retry(job), self.app.job_started, group="job-control")

    def action_log(self) -> None:
        runs = self.query_one("#runs", DataTable)
        if not runs.has_focus and (job := self.selected_job()):  # a job's log, unless a past run is chosen
            self.background(lambda: self.studio.jobs.get(job), self._log, group="job-log")
        elif key := selected_key(runs):
            run = self.past[key]
            self.app.push_screen(TextDialog(f"run {run['workflow_id']}", json.dumps(run["data"], indent=2)))

    def _log(self, view: dict) -> None:
        self.app.push_screen(TextDialog(f"log of {view['id']} ({view['status']})", "\n".join(view.get("log", []))))
