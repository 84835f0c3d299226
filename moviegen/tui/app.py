"""The studio app: the projects list, then one project in tabs. ``create_app()`` is shared by ``moviegen tui``
and the tests, so the tests run what people run."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from moviegen.core.errors import MoviegenError
from moviegen.tui.commands import StudioCommands
from moviegen.tui.heap import CHECK_EVERY, HeapKeeper
from moviegen.tui.studio import Studio
from moviegen.tui.widgets.dialogs import ErrorDialog

THEMES = ("textual-dark", "textual-light")
CSS = [
    "app.tcss",
    "widgets/dialogs.tcss",
    "screens/projects.tcss",
    "screens/project.tcss",
    *[f"panes/{name}.tcss" for name in ("story", "cast", "storyboard", "assistant", "jobs", "render")],
]


class StudioApp(App):
    TITLE = "moviegen"
    CSS_PATH = CSS
    COMMANDS = App.COMMANDS | {StudioCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False),
        Binding("ctrl+t", "toggle_theme", "Theme"),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, studio: Studio | None = None, theme: str = "textual-dark") -> None:
        # render workers need multiprocessing's resource tracker, which inherits stderr's descriptor; once
        # Textual owns the terminal there is none to give, so the tracker starts now
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
        super().__init__()
        self.studio = studio or Studio.open()
        self.theme = theme
        self.job_views: dict[str, dict] = {}
        self.heap = HeapKeeper()

    def on_mount(self) -> None:
        from moviegen.tui.screens.projects import ProjectsScreen

        self.push_screen(ProjectsScreen())
        self.call_after_refresh(self.heap.start)
        self.set_interval(CHECK_EVERY, self.heap.tick)
        self.run_worker(self._follow_events(), name="events", group="events", exit_on_error=False)

    async def _follow_events(self) -> None:
        """The brain's events as they happen (awaited: no polling while idle)."""
        async for event in self.studio.jobs.events():
            self.brain_event(event)

    def job_started(self, view: dict) -> None:
        self.job_views[view["id"]] = {**view, "stages": dict(view.get("stages") or {})}
        self.brain_event({"kind": "job.queued", "job": view["id"], "project": view["project"]})

    EDITS = {"screenplay.updated": "screenplay", "story.developed": "story", "shots.planned": "shots"}

    def brain_event(self, event: dict) -> None:
        """One event from the brain (or the in-process job manager): jobs' progress, and edits made through
        the brain by other clients, which the open project reads again (unsaved text in the editor is kept)."""
        from moviegen.tui.messages import ProjectChanged
        from moviegen.tui.screens.project import ProjectScreen
        from moviegen.tui.screens.projects import ProjectsScreen

        kind = event.get("kind", "")
        if kind in self.EDITS and isinstance(self.screen, ProjectScreen) and self.screen.slug == event.get("project"):
            self.screen.post_message(ProjectChanged(event["project"], self.EDITS[kind]))
            if kind == "screenplay.updated" and self.screen.pane("story").dirty:
                self.notify("the screenplay was changed elsewhere; saving now will show you both", severity="warning")
        elif kind == "project.created" and isinstance(self.screen, ProjectsScreen):
            self.screen.action_refresh()
        job_id = event.get("job")
        if not job_id:
            return
        view = self.job_views.setdefault(
            job_id, {"id": job_id, "project": event.get("project", ""), "kind": "render", "status": "queued",
                     "stages": {}, "started": event.get("at", 0.0)}
        )  # fmt: skip
        if kind == "job.started":
            view["status"] = "running"
        elif kind == "job.progress" and event.get("stage"):
            view["status"] = "running"
            view["stages"][event["stage"]] = {"done": event["done"], "total": event["total"]}
        elif kind in ("job.done", "job.failed", "job.cancelled"):
            view["status"] = kind.removeprefix("job.")
            view["error"] = event.get("error")
            severity = {"done": "information", "failed": "error", "cancelled": "warning"}[view["status"]]
            what = f"render of {view['project']} {view['status']}"
            self.notify(what + (f": {view['error']}" if view.get("error") else ""), severity=severity)
        if hasattr(self.screen, "on_job"):
            self.screen.on_job(event)

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[(THEMES.index(self.theme) + 1) % 2] if self.theme in THEMES else THEMES[0]

    def action_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def action_projects(self) -> None:
        from moviegen.tui.screens.projects import ProjectsScreen

        while len(self.screen_stack) > 2 and not isinstance(self.screen, ProjectsScreen):
            self.pop_screen()
        if isinstance(self.screen, ProjectsScreen):
            self.screen.action_refresh()

    def open_project(self, slug: str) -> None:
        from moviegen.tui.screens.project import ProjectScreen

        try:
            self.studio.project(slug)
        except MoviegenError as exc:
            self.show_error(exc)
            return
        self.push_screen(ProjectScreen(slug))
        self.call_after_refresh(self.heap.settle)

    def show_error(self, exc: MoviegenError) -> None:
        """An error to read: a dialog with what went wrong and what to do. The app keeps running."""
        self.push_screen(ErrorDialog(exc.message, exc.hint))

    async def on_event(self, event) -> None:
        from textual import events

        if isinstance(event, events.Key | events.MouseDown):
            self.heap.touched()
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.heap.stop()
        self.studio.close()


def create_app(studio: Studio | None = None, theme: str = "textual-dark") -> StudioApp:
    return StudioApp(studio, theme)
