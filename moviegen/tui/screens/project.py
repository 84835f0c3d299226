"""One project in tabs: Story, Cast, Storyboard, Assistant, Jobs, Render. The screen owns the actions that
span tabs (develop, plan, render, cancel) and tells the tabs what changed — in this studio or in another client
of the same brain — and how the project's jobs are going."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from moviegen.tui.messages import JobUpdated, ProjectChanged
from moviegen.tui.panes.assistant import AssistantPane
from moviegen.tui.panes.base import Pane
from moviegen.tui.panes.cast import CastPane
from moviegen.tui.panes.jobs import JobsPane
from moviegen.tui.panes.render import RenderPane
from moviegen.tui.panes.story import StoryPane
from moviegen.tui.panes.storyboard import StoryboardPane

BEHIND = 0.3  # seconds: the tabs not in front read a change this much later
TABS = (
    ("story", "Story", StoryPane),
    ("cast", "Cast", CastPane),
    ("storyboard", "Storyboard", StoryboardPane),
    ("assistant", "Assistant", AssistantPane),
    ("jobs", "Jobs", JobsPane),
    ("render", "Render", RenderPane),
)


class ProjectScreen(Screen):
    BINDINGS = [
        Binding("escape", "app.projects", "Projects"),
        Binding("ctrl+d", "develop", "Develop"),
        Binding("ctrl+l", "plan", "Plan"),
        Binding("ctrl+r", "render", "Render"),
        Binding("ctrl+x", "cancel_render", "Cancel"),
        Binding("ctrl+o", "open_film", "Open film", show=False),
        *[Binding(f"f{n}", f"tab('{tab}')", title, show=False) for n, (tab, title, _) in enumerate(TABS, 2)],
        Binding("f9", "story('approve_stage')", "Approve stage", show=False),
        Binding("f10", "story('redo_stage')", "Redo stage", show=False),
        Binding("f12", "story('approve_all')", "Approve all", show=False),
    ]

    def __init__(self, status: dict[str, Any]) -> None:
        """``status``: where the project stood when it was opened (the brain's project_status)."""
        super().__init__()
        self.slug = status["slug"]
        self.status = status

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with TabbedContent(id="tabs"):
            for n, (tab, title, pane) in enumerate(TABS, 2):
                with TabPane(f"{title} F{n}", id=tab):
                    yield pane(self.slug, self.status, id=f"{tab}-pane")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.slug

    def on_screen_resume(self) -> None:
        self.app.follow(self.slug)

    def pane(self, tab: str) -> Pane:
        return self.query_one(f"#{tab}-pane", Pane)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def panes(self) -> list[Pane]:
        """The tabs that are up (a tab still being built reads the project, and the job book, when it is)."""
        return [pane for pane in self.query(Pane) if pane.is_mounted]

    def on_project_changed(self, event: ProjectChanged) -> None:
        """A change the brain announced (this studio's own included): the tabs that show it read it again — the
        tab in front at once, the others a moment later, so that what is on the screen is not read after them."""
        front = f"{self.query_one(TabbedContent).active}-pane"
        for pane in self.panes():
            if event.what in pane.WATCHES:
                if pane.id == front:
                    pane.changed(event.what, event.digest)
                else:
                    self.set_timer(BEHIND, partial(pane.changed, event.what, event.digest))

    def job_changed(self, view: dict[str, Any], ended: bool) -> None:
        """A job's view changed in the app's job book (``ended``: it has just ended)."""
        if view["project"] == self.slug:
            for pane in self.panes():
                pane.job_changed(view, ended)

    # ------------------------------------------------------------------ actions across tabs
    def action_develop(self) -> None:
        self.action_tab("story")
        self.pane("story").develop()

    def action_story(self, action: str) -> None:
        """The story's review keys work from any tab: the stage waiting for approval is on the Story tab."""
        self.action_tab("story")
        getattr(self.pane("story"), f"action_{action}")()

    def action_plan(self) -> None:
        self.pane("story").background(lambda: self.app.brain.shots_plan(self.slug),
                                      lambda s: self.app.notify(f"{s['shots']} shots planned"), group="plan")  # fmt: skip

    def action_render(self) -> None:
        render = self.pane("render")
        if render.job_id is not None:
            self.app.notify("this project is already rendering — ctrl+x cancels it", severity="warning")
            return
        self.action_tab("render")
        resolution, aspect = render.options()

        def started(job: dict) -> None:
            render.started(job)
            self.post_message(JobUpdated(job))

        render.background(lambda: self.app.brain.render_start(self.slug, resolution=resolution, aspect=aspect),
                          started, group="start")  # fmt: skip

    def action_cancel_render(self) -> None:
        render = self.pane("render")
        if render.job_id is None:
            self.app.notify("nothing is rendering", severity="warning")
            return
        job = render.job_id

        def cancelling(view: dict) -> None:
            self.app.notify("cancelling…")
            self.post_message(JobUpdated(view))

        render.background(lambda: self.app.brain.job_cancel(job), cancelling, group="cancel")

    def action_open_film(self) -> None:
        self.pane("render").action_open_result()
