"""Jobs: the project's jobs — started here, by another client, or before the studio opened — with live
progress per stage, and past runs from the project's memory. Cancel, retry, open the log."""

from __future__ import annotations

import json
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Static

from moviegen.tui.messages import JobUpdated
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
        self.background(lambda: self.brain.job_list(self.slug), self._listed, group="jobs-read")

    def on_show(self) -> None:
        """Past runs come from the project's memory, which takes a while to open: read when the tab is shown."""
        self.read_past()

    def read_past(self) -> None:
        self.background(lambda: self.brain.past_runs(self.slug), self._show_past, group="runs-read")

    def _listed(self, views: list[dict]) -> None:
        """Every job the brain has for the project, whoever started it: to the app's job book."""
        for view in views:
            self.post_message(JobUpdated(view))

    def show_jobs(self) -> None:
        table = self.query_one("#jobs", DataTable)
        row = table.cursor_row
        table.clear()
        for j in self.app.jobs.for_project(self.slug):
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

    def job_changed(self, view: dict, ended: bool) -> None:
        self.show_jobs()
        if ended:
            self.read_past()

    def selected_job(self) -> str | None:
        return selected_key(self.query_one("#jobs", DataTable))

    def action_cancel(self) -> None:
        job = self.selected_job()
        if job:
            self.background(lambda: self.brain.job_cancel(job), self._cancelling, group="job-control")

    def _cancelling(self, view: dict) -> None:
        self.app.notify(f"cancelling {view['id']}…")
        self.post_message(JobUpdated(view))

    def action_retry(self) -> None:
        job = self.selected_job()
        if job:
            self.background(lambda: self.brain.job_retry(job), lambda view: self.post_message(JobUpdated(view)),
                            group="job-control")  # fmt: skip

    def action_log(self) -> None:
        runs = self.query_one("#runs", DataTable)
        if not runs.has_focus and (job := self.selected_job()):  # a job's log, unless a past run is chosen
            self.background(lambda: self.brain.job_status(job), self._log, group="job-log")
        elif key := selected_key(runs):
            run = self.past[key]
            self.app.push_screen(TextDialog(f"run {run['workflow_id']}", json.dumps(run["data"], indent=2)))

    def _log(self, view: dict) -> None:
        self.app.push_screen(TextDialog(f"log of {view['id']} ({view['status']})", "\n".join(view.get("log", []))))
