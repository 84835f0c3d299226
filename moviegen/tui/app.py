"""The studio app: the projects list, then one project in tabs. ``create_app()`` is shared by ``moviegen tui``
and the tests, so the tests run what people run.

Everything goes through one brain (``moviegen.tui.studio.open_brain``): in-process, or the running brain server.
The app follows the brain's events — of the open project, or of every project on the projects list — and turns
each into a message; it owns the job state (``JobBook``) and tells the screen in front what changed."""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.binding import Binding

from moviegen.core.api import StudioAPI
from moviegen.core.errors import MoviegenError
from moviegen.tui.commands import StudioCommands
from moviegen.tui.heap import CHECK_EVERY, HeapKeeper
from moviegen.tui.jobs import JobBook, error_text
from moviegen.tui.messages import BrainEvent, JobUpdated, ProjectChanged
from moviegen.tui.studio import open_brain, start_tracker, stop_tracker
from moviegen.tui.widgets.dialogs import ErrorDialog

THEMES = ("textual-dark", "textual-light")
CSS = [
    "app.tcss",
    "widgets/dialogs.tcss",
    "screens/projects.tcss",
    "screens/project.tcss",
    *[f"panes/{name}.tcss" for name in ("story", "cast", "storyboard", "assistant", "jobs", "render")],
]
# what an event changed in a project, for the panes that show it
EDITS = {
    "screenplay.updated": "screenplay", "story.updated": "story", "story.developed": "story", "story.paused": "story",
    "shots.planned": "shots", "storyboard.painted": "takes", "take.painted": "takes", "take.approved": "takes",
    "take.rejected": "takes", "cast.recast": "cast", "cast.sheet": "cast", "comment.added": "comments",
}  # fmt: skip
NOBODY = object()  # not following any events yet


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

    def __init__(self, brain: StudioAPI | None = None, theme: str = "textual-dark") -> None:
        start_tracker()  # before Textual owns the terminal (see there)
        super().__init__()
        self.brain = brain or open_brain()
        self.theme = theme
        self.jobs = JobBook()  # the one owner of job state: changed only by on_brain_event and on_job_updated
        self.heap = HeapKeeper()
        self._following: object = NOBODY

    def on_mount(self) -> None:
        from moviegen.tui.screens.projects import ProjectsScreen

        self.push_screen(ProjectsScreen())
        self.call_after_refresh(self.heap.start)
        self.set_interval(CHECK_EVERY, self.heap.tick)

    # ------------------------------------------------------------------ the brain's events
    def follow(self, project: str | None) -> None:
        """Follow the events of one project (its screen is open), or of every project (the projects list)."""
        if self._following != project:
            self._following = project
            self._follow_events(project)

    @work(exclusive=True, group="events", exit_on_error=False)
    async def _follow_events(self, project: str | None) -> None:
        """Awaited as they come: nothing polls while idle. A new follow() ends this one."""
        try:
            async for event in self.brain.events(project):
                self.post_message(BrainEvent(event))
        except MoviegenError as exc:
            self._following = NOBODY
            self.notify(f"{exc.message} — changes made elsewhere will not show", severity="warning")

    def on_brain_event(self, message: BrainEvent) -> None:
        from moviegen.tui.screens.project import ProjectScreen
        from moviegen.tui.screens.projects import ProjectsScreen

        if not self.screen_stack:  # an event that arrives while the studio closes
            return
        event = message.event
        kind, project = event.get("kind", ""), event.get("project", "")
        if kind.startswith("job."):
            reduced = self.jobs.apply(event)
            if reduced is not None:
                self._job_changed(*reduced)
        elif kind in EDITS and isinstance(self.screen, ProjectScreen) and self.screen.slug == project:
            self.screen.post_message(ProjectChanged(project, EDITS[kind], event.get("digest")))
        elif kind.startswith("assistant.") and isinstance(self.screen, ProjectScreen) and self.screen.slug == project:
            self.screen.pane("assistant").heard(event)  # an answer as it is written
        elif kind in ("project.created", "project.deleted") and isinstance(self.screen, ProjectsScreen):
            self.screen.action_refresh()

    def on_job_updated(self, message: JobUpdated) -> None:
        self._job_changed(*self.jobs.put(message.view))

    def _job_changed(self, view: dict, ended: bool) -> None:
        if ended:
            severity = {"done": "information", "failed": "error"}.get(view["status"], "warning")
            what = f"render of {view['project']} {view['status']}"
            self.notify(what + (f": {error_text(view)}" if error_text(view) else ""), severity=severity)
        if hasattr(self.screen, "job_changed"):
            self.screen.job_changed(view, ended)

    # ------------------------------------------------------------------ app actions
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

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_project(self, slug: str) -> None:
        """Read where the project stands, then show it (or say why not)."""
        try:
            status = self.brain.project_status(slug)
        except MoviegenError as exc:
            self.call_from_thread(self.show_error, exc)
            return
        self.call_from_thread(self._show_project, status)

    def _show_project(self, status: dict) -> None:
        from moviegen.tui.screens.project import ProjectScreen

        self.push_screen(ProjectScreen(status))
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
        self.brain.close()  # in-process: its render workers stop; a brain server: the connection closes
        stop_tracker()


def create_app(brain: StudioAPI | None = None, theme: str = "textual-dark") -> StudioApp:
    return StudioApp(brain, theme)
