"""Render: choose a format, start the render, watch each stage, open the film or reveal its folder."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Label, ProgressBar, Select, Static

from moviegen.tui.jobs import ACTIVE, RENDER_STAGES, error_text
from moviegen.tui.panes.base import Pane

RESOLUTIONS = ("1280x720", "1920x1080", "854x480", "640x360")


class RenderPane(Pane):
    BINDINGS = [
        Binding("o", "open_result", "Open film"),
        Binding("f", "reveal", "Show folder"),
    ]

    def __init__(self, slug: str, status: dict | None = None, **kwargs) -> None:
        super().__init__(slug, status, **kwargs)
        self.job_id: str | None = None
        self.film: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="render-options"):
            yield Select([(r, r) for r in RESOLUTIONS], value=RESOLUTIONS[0], id="resolution", allow_blank=False)
            yield Select([(a, a) for a in ("16:9", "9:16", "1:1")], value="16:9", id="aspect", allow_blank=False)
            yield Button("Render", variant="primary", id="start")
            yield Button("Cancel", variant="error", id="stop", disabled=True)
        for stage in RENDER_STAGES:
            with Horizontal(classes="stage"):
                yield Label(stage, classes="stage-name")
                yield ProgressBar(total=1, id=f"bar-{stage}", show_eta=False)  # idle: empty, not animated
        yield Static("", id="render-result")

    def on_mount(self) -> None:
        fmt = self.status.get("format") or {}
        if fmt.get("resolution") in RESOLUTIONS:
            self.query_one("#resolution", Select).value = fmt["resolution"]
        if fmt.get("aspect"):
            self.query_one("#aspect", Select).value = fmt["aspect"]
        self._show_last(self.status)
        running = self.app.jobs.active(self.slug)  # a render started earlier, or by another client
        if running is not None:
            self.started(running)
            self.job_changed(running, False)

    def reload(self) -> None:
        self.background(lambda: self.brain.project_status(self.slug), self._show_last, group="render-read")

    def _show_last(self, status: dict) -> None:
        if self.job_id is not None:
            return
        renders = status.get("renders") or []
        if renders:
            self.film = str(Path(status["path"], "renders", renders[-1]))
            self.query_one("#render-result", Static).update(
                f"last film: [b]{renders[-1]}[/b] — o opens it, f shows its folder"
            )
        else:
            self.query_one("#render-result", Static).update("no film yet — ctrl+r or the Render button makes it")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.screen.action_render()
        elif event.button.id == "stop":
            self.screen.action_cancel_render()

    def options(self) -> tuple[str, str]:
        return str(self.query_one("#resolution", Select).value), str(self.query_one("#aspect", Select).value)

    def started(self, job: dict) -> None:
        self.job_id = job["id"]
        self.query_one("#start", Button).disabled = True
        self.query_one("#stop", Button).disabled = False
        for stage in RENDER_STAGES:
            self.query_one(f"#bar-{stage}", ProgressBar).update(total=None, progress=0)
        self.query_one("#render-result", Static).update(f"rendering ({job['id']})…")

    def job_changed(self, view: dict, ended: bool) -> None:
        """This pane follows the project's one running render: its own, or one another client started."""
        if not self.query("#bar-voices"):
            return  # not composed yet (a job's event can come first): on_mount takes it from the app's job book
        if self.job_id is None and view["status"] in ACTIVE:
            self.started(view)
        if view["id"] != self.job_id:
            return
        for stage, progress in view.get("stages", {}).items():
            if stage in RENDER_STAGES:
                bar = self.query_one(f"#bar-{stage}", ProgressBar)
                bar.update(total=max(progress["total"], 1), progress=progress["done"])
        if view["status"] in ACTIVE:
            return
        self.query_one("#start", Button).disabled = False
        self.query_one("#stop", Button).disabled = True
        if view["status"] == "done":
            self.background(lambda: self.brain.job_status(view["id"]), self._done, group="render-result")
        else:
            word = {"failed": "failed", "cancelled": "was cancelled"}.get(view["status"], "was interrupted")
            self.query_one("#render-result", Static).update(
                f"the render {word}: {error_text(view)}\n"
                "→ finished steps are kept: render again to resume where it stopped"
            )
            self.job_id = None

    def _done(self, job: dict) -> None:
        report = job.get("result") or {}
        self.film = report.get("film")
        self.job_id = None
        self.query_one("#render-result", Static).update(
            f"[b]{Path(self.film).name if self.film else '?'}[/b] — {report.get('duration', 0):.1f} s, "
            f"{report.get('width')}x{report.get('height')} — o opens it, f shows its folder"
        )

    def action_open_result(self) -> None:
        self._open(self.film)

    def action_reveal(self) -> None:
        self._open(str(Path(self.film).parent) if self.film else None)

    def _open(self, target: str | None) -> None:
        if not target:
            self.app.notify("no film yet — ctrl+r renders it", severity="warning")
            return
        opener = shutil.which("xdg-open") or shutil.which("open")
        if opener is None:
            self.app.notify(f"it is at {target} (no program to open it with)")
            return
        subprocess.Popen([opener, target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.app.notify(f"opening {target}")
