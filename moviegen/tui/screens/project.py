"""One project in tabs: Story, Cast, Storyboard, Assistant, Jobs, Render. The screen owns the actions that
span tabs (develop, plan, render, cancel) and tells the other tabs when one of them changed the project."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from moviegen.tui.messages import ProjectChanged
from moviegen.tui.panes.assistant import AssistantPane
from moviegen.tui.panes.base import Pane
from moviegen.tui.panes.cast import CastPane
from moviegen.tui.panes.jobs import JobsPane
from moviegen.tui.panes.render import RenderPane
from moviegen.tui.panes.story import StoryPane
from moviegen.tui.panes.storyboard import StoryboardPane

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
    ]

    def __init__(self, slug: str) -> None:
        super().__init__()
        self.slug = slug

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with TabbedContent(id="tabs"):
            for n, (tab, title, pane) in enumerate(TABS, 2):
                with TabPane(f"{title} F{n}", id=tab):
                    yield pane(self.slug, id=f"{tab}-pane")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.slug

    def pane(self, tab: str) -> Pane:
        return self.query_one(f"#{tab}-pane", Pane)

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def on_project_changed(self, event: ProjectChanged) -> None:
        for tab, _, _ in TABS:
            pane = self.pane(tab)
            if pane is not event.control:
                pane.reload()

    def reload_all(self) -> None:
        for tab, _, _ in TABS:
            self.pane(tab).reload()

    # ------------------------------------------------------------------ actions across tabs
    def action_develop(self) -> None:
        self.app.notify("developing the story…")
        story = self.pane("story")
        story.background(lambda: self.app.studio.develop(self.slug), lambda _: self._stepped("story developed"),
                         group="develop")  # fmt: skip

    def action_plan(self) -> None:
        story = self.pane("story")
        story.background(
            lambda: self.app.studio.plan(self.slug),
            lambda s: self._stepped(f"{s['shots']} shots planned"),
            group="plan",
        )

    def _stepped(self, message: str) -> None:
        self.app.notify(message)
        story = self.pane("story")
        story.loaded_text = "" if not story.dirty else story.loaded_text
        self.reload_all()

    def action_render(self) -> None:
        render = self.pane("render")
        if render.job_id is not None:
            self.app.notify("this project is already rendering — ctrl+x cancels it", severity="warning")
            return
        self.action_tab("render")
        resolution, aspect = render.options()

        def started(job: dict) -> None:
            self.app.job_started(job)
            render.started(job)

        render.background(lambda: self.app.studio.jobs.start(self.slug, resolution, aspect), started, group="start")

    def action_cancel_render(self) -> None:
        render = self.pane("render")
        if render.job_id is None:
            self.app.notify("nothing is rendering", severity="warning")
            return
        job = render.job_id
        render.background(lambda: self.app.studio.jobs.cancel(job), lambda _: self.app.notify("cancelling…"),
                          group="cancel")  # fmt: skip

    def action_open_film(self) -> None:
        self.pane("render").action_open_result()

    def on_job(self, event: dict) -> None:
        for tab in ("render", "jobs"):
            self.pane(tab).on_job(event)
