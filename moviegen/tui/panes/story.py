"""Story: logline, characters, places and outline beside the screenplay editor. Saving is atomic and refuses
to overwrite a change made elsewhere since the text was loaded: the conflict is shown, nothing is lost."""

from __future__ import annotations

import difflib

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Markdown

from moviegen.core.errors import ConflictError
from moviegen.tui.messages import ProjectChanged
from moviegen.tui.panes.base import Pane
from moviegen.tui.widgets.dialogs import ConfirmDialog, TextDialog
from moviegen.tui.widgets.fountain_area import FountainArea


class StoryPane(Pane):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("f8", "reload_screenplay", "Reload"),
    ]

    def __init__(self, slug: str, **kwargs) -> None:
        super().__init__(slug, **kwargs)
        self.digest: str | None = None
        self.loaded_text = ""

    def compose(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="notes"):
                yield Markdown(id="logline")
                yield Markdown(id="bible")
                yield Markdown(id="outline")
            yield FountainArea(id="screenplay")

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        def read():
            return self.studio.story_files(self.slug), self.studio.screenplay(self.slug)

        self.background(read, self._show, group="story-read")

    def _show(self, result) -> None:
        files, (text, digest) = result
        self.query_one("#logline", Markdown).update(files["logline"] or "*No story yet — ctrl+d develops it.*")
        self.query_one("#bible", Markdown).update(files["bible"])
        self.query_one("#outline", Markdown).update(files["outline"])
        area = self.query_one(FountainArea)
        if area.text == self.loaded_text or not self.loaded_text:  # never replace unsaved edits
            if area.text != text:  # (and never move the cursor for nothing)
                area.load_text(text)
            self.loaded_text, self.digest = text, digest

    @property
    def dirty(self) -> bool:
        return self.query_one(FountainArea).text != self.loaded_text

    def action_save(self) -> None:
        text = self.query_one(FountainArea).text
        try:
            self.digest = self.studio.save_screenplay(self.slug, text, self.digest)
        except ConflictError as exc:
            self._conflict(exc, text)
            return
        except Exception as exc:  # noqa: BLE001 - a screenplay that does not parse, a full disk: the text stays
            from moviegen.core.errors import MoviegenError

            self.app.show_error(exc if isinstance(exc, MoviegenError) else MoviegenError(str(exc)))
            return
        self.loaded_text = text
        self.app.notify("screenplay saved")
        self.post_message(ProjectChanged(self.slug, "screenplay", self))

    def _conflict(self, exc: ConflictError, mine: str) -> None:
        theirs, _ = self.studio.screenplay(self.slug)
        diff = "".join(
            difflib.unified_diff(
                theirs.splitlines(keepends=True), mine.splitlines(keepends=True), "on disk (changed elsewhere)",
                "yours (in the editor)",
            )
        )  # fmt: skip
        self.app.push_screen(
            TextDialog(
                f"Not saved: {exc.message}. Your text stays in the editor; F8 loads the file (after asking).",
                diff or "(the texts are the same)",
            )
        )

    def action_reload_screenplay(self) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.loaded_text = ""
                self.reload()

        if self.dirty:
            self.app.push_screen(ConfirmDialog("Discard your unsaved edits and load the file from disk?"), answer)
        else:
            answer(True)
