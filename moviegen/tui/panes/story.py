"""Story: logline, characters, places and outline beside the screenplay editor. Saving is atomic and refuses
to overwrite a change made elsewhere since the text was loaded: the conflict is shown, nothing is lost. A save
made by another client of the same brain shows up here at once, unless the editor holds unsaved text."""

from __future__ import annotations

import difflib

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Markdown

from moviegen.core.errors import ConflictError, MoviegenError
from moviegen.tui.panes.base import Pane
from moviegen.tui.widgets.dialogs import ConfirmDialog, TextDialog
from moviegen.tui.widgets.fountain_area import FountainArea

STORY_FILES = ("logline", "bible", "outline")


class StoryPane(Pane):
    WATCHES = frozenset({"screenplay", "story"})
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("f8", "reload_screenplay", "Reload"),
    ]

    def __init__(self, slug: str, status: dict | None = None, **kwargs) -> None:
        super().__init__(slug, status, **kwargs)
        self.digest: str | None = None
        self.loaded_text = ""
        self.saving: set[str] | None = None  # while a save is on its way: the digests announced meanwhile
        self.notes: dict[str, str] = {}  # the story files as shown

    def compose(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="notes"):
                yield Markdown(id="logline")
                yield Markdown(id="bible")
                yield Markdown(id="outline")
            yield FountainArea(id="screenplay")

    def on_mount(self) -> None:
        self.reload()

    def reload(self, story: bool = True) -> None:
        """Read the screenplay, and the story files unless ``story`` is False (only the screenplay changed)."""

        def read():
            screenplay = self.brain.screenplay_get(self.slug)  # first: the editor shows it before the notes
            files = {name: self.brain.story_file_get(self.slug, name)["text"] for name in STORY_FILES} if story else {}
            return files, screenplay

        self.background(read, self._show, group="story-read" if story else "screenplay-read")

    def _show(self, result) -> None:
        files, screenplay = result
        area = self.query_one(FountainArea)
        if area.text == self.loaded_text or not self.loaded_text:  # never replace unsaved edits
            if area.text != screenplay["text"]:  # (and never move the cursor for nothing)
                area.load_text(screenplay["text"])
            self.loaded_text, self.digest = screenplay["text"], screenplay["digest"]
        if "logline" in files:
            files["logline"] = files["logline"] or "*No story yet — ctrl+d develops it.*"
        for name, text in files.items():
            if self.notes.get(name) != text:  # a long bible takes a while to lay out: only when it changed
                self.notes[name] = text
                self.query_one(f"#{name}", Markdown).update(text)

    def changed(self, what: str, digest: str | None) -> None:
        if what == "screenplay" and digest is not None:
            if self.saving is not None:  # ours or another's: known once our save answers
                self.saving.add(digest)
                return
            if digest == self.digest:
                return  # the text in the editor is that one already
            if self.dirty:
                self.app.notify("the screenplay was changed elsewhere; saving now will show you both",
                                severity="warning")  # fmt: skip
        self.reload(story=what != "screenplay")

    @property
    def dirty(self) -> bool:
        return self.query_one(FountainArea).text != self.loaded_text

    def action_save(self) -> None:
        if self.saving is None:
            self.saving = set()
            self._save(self.query_one(FountainArea).text, self.digest)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _save(self, text: str, expect_digest: str | None) -> None:
        try:
            digest = self.brain.screenplay_update(self.slug, text, expect_digest)["digest"]
        except ConflictError as exc:
            try:
                theirs = self.brain.screenplay_get(self.slug)["text"]
            except MoviegenError:
                theirs = ""
            self.app.call_from_thread(self._conflict, exc, text, theirs)
        except Exception as exc:  # noqa: BLE001 - a screenplay that does not parse, a full disk: the text stays
            self.app.call_from_thread(self._failed, exc if isinstance(exc, MoviegenError) else MoviegenError(str(exc)))
        else:
            self.app.call_from_thread(self._saved, text, digest)

    def _saved(self, text: str, digest: str) -> None:
        announced, self.saving = self.saving or set(), None
        self.loaded_text, self.digest = text, digest
        self.app.notify("screenplay saved")
        if announced - {digest}:  # someone else saved while ours was on its way
            self.reload()

    def _failed(self, exc: MoviegenError) -> None:
        self.saving = None
        self.app.show_error(exc)

    def _conflict(self, exc: ConflictError, mine: str, theirs: str) -> None:
        self.saving = None
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
