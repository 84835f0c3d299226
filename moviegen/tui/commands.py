"""The command palette (ctrl+p): every action of the app and of the screen in front, and every project."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import Hit, Hits, Provider

from moviegen.core.errors import MoviegenError

# (title, what it does, action name) — offered when the screen in front has the action
SCREEN_ACTIONS = (
    ("New project from a premise", "create a project", "new"),
    ("Import a screenplay", "create a project from a Fountain file", "import_file"),
    ("Delete the selected project", "move it to the trash folder", "delete"),
    ("Develop the story", "logline, cast, places, outline, screenplay", "develop"),
    ("Plan the shots", "shot list from the screenplay", "plan"),
    ("Render the film", "voices, pictures, score, mix, subtitles", "render"),
    ("Cancel the render", "stop at the next step; finished work is kept", "cancel_render"),
)
# (title, what it does, tab, action name): the tabs' own actions, offered on a project's screen
PANE_ACTIONS = (
    ("Save the screenplay", "atomic; refused if it changed elsewhere", "story", "save"),
    ("Reload the screenplay from disk", "asks before dropping edits", "story", "reload_screenplay"),
    ("Play the selected character's voice", "a sample of their first line", "cast", "play"),
    ("Change the selected character's voice", "and see the shots it affects", "cast", "voice"),
    ("Paint the storyboard", "every shot's still, before rendering", "storyboard", "paint_board"),
    ("Paint a new take of the selected shot", "another variation", "storyboard", "regenerate"),
    ("Approve the take shown", "the film uses it", "storyboard", "approve"),
    ("Reject the take shown", "set it aside", "storyboard", "reject"),
    ("Cancel the selected job", "finished steps are kept", "jobs", "cancel"),
    ("Retry the selected job", "finished steps are reused", "jobs", "retry"),
    ("Show the selected job's log", "what happened, line by line", "jobs", "log"),
    ("Open the film", "with the system player", "render", "open_result"),
    ("Show the film's folder", "in the file manager", "render", "reveal"),
)
TAB_ACTIONS = (
    ("Story and screenplay", "story"),
    ("Cast and voices", "cast"),
    ("Storyboard and takes", "storyboard"),
    ("Assistant", "assistant"),
    ("Jobs", "jobs"),
    ("Render", "render"),
)


class StudioCommands(Provider):
    slugs: list[str] = []

    def actions(self) -> list[tuple[str, str, object]]:
        app, screen = self.app, self.screen
        out: list[tuple[str, str, object]] = [
            ("Toggle light / dark theme", "switch the colour theme", app.action_toggle_theme),
            ("Projects", "back to the list of projects", app.action_projects),
            ("Help", "keys and what they do", app.action_help),
        ]
        for title, help_text, name in SCREEN_ACTIONS:
            if hasattr(screen, f"action_{name}"):
                out.append((title, help_text, getattr(screen, f"action_{name}")))
        if hasattr(screen, "pane"):
            for title, help_text, tab, name in PANE_ACTIONS:
                out.append((title, help_text, getattr(screen.pane(tab), f"action_{name}")))
        if hasattr(screen, "action_tab"):
            out += [(f"Go to {title}", "switch tab", partial(screen.action_tab, tab)) for title, tab in TAB_ACTIONS]
        out += [(f"Open project {slug}", "open it", partial(app.open_project, slug)) for slug in self.slugs]
        return out

    async def startup(self) -> None:
        """The projects to offer, asked of the brain once per opening of the palette (off the event loop)."""
        try:
            rows = await asyncio.to_thread(self.app.brain.project_list)
        except MoviegenError:
            rows = []
        self.slugs = [row["slug"] for row in rows]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.actions():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)

    async def discover(self) -> Hits:
        for name, help_text, callback in self.actions():
            yield Hit(1.0, name, callback, help=help_text)
