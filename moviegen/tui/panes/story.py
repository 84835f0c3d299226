"""Story: logline, characters, places and outline beside the screenplay editor. Saving is atomic and refuses
to overwrite a change made elsewhere since the text was loaded: the conflict is shown, nothing is lost. A save
made by another client of the same brain shows up here at once, unless the editor holds unsaved text.

Development goes a stage at a time (ctrl+d): the stage just written is shown above the notes with who wrote it,
to Approve (F9), Redo with a note for the writer (F10) or approve all the rest (F12) — whether it was started
here, in another studio or with 'moviegen develop --step'."""

from __future__ import annotations

import bisect
import difflib

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Markdown, Static

from moviegen.core.errors import ConflictError, MoviegenError
from moviegen.tui.panes.base import Pane
from moviegen.tui.widgets.dialogs import ConfirmDialog, PromptDialog, TextDialog
from moviegen.tui.widgets.fountain_area import FountainArea

STORY_FILES = ("logline", "bible", "outline")


class StoryPane(Pane):
    WATCHES = frozenset({"screenplay", "story", "comments"})
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
        self.review: dict | None = None  # where development stands, when it waits for approval
        self.scene: str | None = None  # the scene the editor's cursor is in ('1', '2', …), for its comments
        self._row = -1  # the editor row that scene was found for
        self._headings: list[int] | None = None  # the scene headings' rows in the editor's text (None: to count)

    def on_text_area_changed(self, event: FountainArea.Changed) -> None:
        self._headings, self._row = None, -1  # the text changed: count the headings again at the next move

    def compose(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="notes"):
                with Vertical(id="review"):
                    yield Markdown(id="stage")
                    with Horizontal(id="review-buttons"):
                        yield Button("Approve F9", variant="success", id="approve-stage")
                        yield Button("Redo… F10", variant="warning", id="redo-stage")
                        yield Button("All F12", id="approve-all")
                yield Markdown(id="logline")
                yield Markdown(id="bible")
                yield Markdown(id="outline")
            with Vertical(id="editor"):
                yield FountainArea(id="screenplay")
                yield Static("", id="scene-comments")

    def on_mount(self) -> None:
        self.reload()

    def reload(self, story: bool = True) -> None:
        """Read the screenplay, and the story files unless ``story`` is False (only the screenplay changed)."""

        def read():
            screenplay = self.brain.screenplay_get(self.slug)  # first: the editor shows it before the notes
            files = {name: self.brain.story_file_get(self.slug, name)["text"] for name in STORY_FILES} if story else {}
            if story:
                files["review"] = self.brain.story_review(self.slug)
            return files, screenplay

        self.background(read, self._show, group="story-read" if story else "screenplay-read")

    def _show(self, result) -> None:
        files, screenplay = result
        area = self.query_one(FountainArea)
        if area.text == self.loaded_text or not self.loaded_text:  # never replace unsaved edits
            if area.text != screenplay["text"]:  # (and never move the cursor for nothing)
                area.load_text(screenplay["text"])
            self.loaded_text, self.digest = screenplay["text"], screenplay["digest"]
        if "review" in files:
            self._show_review(files.pop("review"))
        if "logline" in files:
            files["logline"] = files["logline"] or "*No story yet — ctrl+d develops it, a stage at a time.*"
        for name, text in files.items():
            if self.notes.get(name) != text:  # a long bible takes a while to lay out: only when it changed
                self.notes[name] = text
                self.query_one(f"#{name}", Markdown).update(text)

    # ------------------------------------------------------------------ development, a stage at a time
    def _show_review(self, where: dict) -> None:
        paused = where.get("state") == "paused"
        self.review = where if paused else None
        box = self.query_one("#review")
        box.display = paused
        if paused:
            self.query_one("#stage", Markdown).update(stage_markdown(where))

    def develop(self) -> None:
        """Start developing, a stage at a time (or show the stage that waits)."""
        if self.review is not None:
            self.app.notify(f"the {self.review['stage']} waits for you: F9 approves, F10 writes it again",
                            severity="warning")  # fmt: skip
            return
        self.app.notify("developing the story, a stage at a time…")
        self.background(lambda: self.brain.story_develop(self.slug, step=True), self._decided, group="develop")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"approve-stage": self.action_approve_stage, "redo-stage": self.action_redo_stage,
                   "approve-all": self.action_approve_all}  # fmt: skip
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def action_approve_stage(self) -> None:
        self._decide(lambda: self.brain.story_approve(self.slug))

    def action_approve_all(self) -> None:
        self._decide(lambda: self.brain.story_approve(self.slug, step=False))

    def action_redo_stage(self) -> None:
        if self.review is None:
            self.app.notify("no stage is waiting for approval", severity="warning")
            return

        def redo(note: str | None) -> None:
            if note is not None:  # escape: not redone
                self._decide(lambda: self.brain.story_redo(self.slug, note=note))

        self.app.push_screen(PromptDialog(f"Write the {self.review['stage']} again — a note for the writer "
                                          "(optional):", "e.g. make the keeper older"), redo)  # fmt: skip

    def _decide(self, call) -> None:
        if self.review is None:
            self.app.notify("no stage is waiting for approval", severity="warning")
            return
        self.query_one("#review").display = False
        self.review = None
        self.app.notify("writing…")
        self.background(call, self._decided, group="develop")

    def _decided(self, where: dict) -> None:
        self._show_review(where)
        if where["state"] == "done":
            self.app.notify("story developed")
        elif where["state"] == "paused":
            self.app.notify(f"{where['stage']} written by {where.get('by')}: F9 approves, F10 redoes")

    # ------------------------------------------------------------------ comments on the scene at the cursor
    def on_text_area_selection_changed(self, event: FountainArea.SelectionChanged) -> None:
        area = self.query_one(FountainArea)
        row = area.cursor_location[0]
        if row == self._row:
            return  # typing along a line: the same scene (counting the headings above costs a pass over them)
        self._row = row
        if self._headings is None:  # once per change of the text: the rows of the scene headings
            self._headings = heading_rows(area.document.lines)
        scene = scene_in(self._headings, row)
        if scene != self.scene:
            self.scene = scene
            self._scene_comments()

    def _scene_comments(self) -> None:
        """The comments on the scene the cursor is in and on its lines (from the web view or any client)."""
        scene = self.scene
        box = self.query_one("#scene-comments", Static)
        if scene is None:
            box.display = False
            return

        def show(comments: list[dict]) -> None:
            if scene != self.scene:
                return  # the cursor moved on meanwhile
            mine = [c for c in comments if c["target"] == f"scene:{scene}" or c["target"].startswith(f"line:{scene}:")]
            box.update(comments_markup(scene, mine))
            box.display = bool(mine)

        self.background(lambda: self.brain.comment_list(self.slug, None, 200), show, group="scene-comments")

    def changed(self, what: str, digest: str | None) -> None:
        if what == "comments":  # a comment from the web view or anyone: only the comments are read again
            self._scene_comments()
            return
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


def stage_markdown(where: dict) -> str:
    """A stage waiting for approval, as the pane shows it."""
    stage, result = where["stage"], where.get("result") or {}
    head = f"### {stage.title()} — for approval\n*written by {where.get('by') or 'unknown'}*\n\n"
    if stage == "logline":
        body = f"**{result.get('title', '')}** — {result.get('logline', '')}"
    elif stage == "characters":
        body = "\n".join(f"- **{c['name']}** {c['full_name']}: {c['role']}; wants {c['want']}. *{c['look']}*; "
                         f"sounds {c['voice']}" for c in result.get("characters", []))  # fmt: skip
    elif stage == "places":
        body = "\n".join(f"- **{p['name']}**: {p['description']}" for p in result.get("locations", []))
    elif stage == "outline":
        body = "\n".join(f"{n}. {beat}" for n, beat in enumerate(result.get("outline", []), 1))
    else:
        body = "```\n" + result.get("screenplay", "")[:4000] + "\n```"
    return head + body


def heading_rows(lines: list[str]) -> list[int]:
    """The rows of the scene headings, in order."""
    from moviegen.core.fountain.rules import starts_scene

    return [row for row, line in enumerate(lines) if starts_scene(line)]


def scene_in(headings: list[int], row: int) -> str | None:
    """The scene (counted from 1, as comments name it: ``scene:N``, ``line:N:M``) the line ``row`` is in, given
    the rows of the scene headings; None before the first one."""
    count = bisect.bisect_right(headings, row)
    return str(count) if count else None


def comments_markup(scene: str, comments: list[dict]) -> str:
    """The last five comments on a scene and its lines, each with who wrote it and where."""
    rows = []
    for c in comments[-5:]:
        where = "the scene" if c["target"].startswith("scene:") else f"line {c['target'].rsplit(':', 1)[1]}"
        rows.append(
            f"[b]{escape(c['who'])}[/b] [dim]({escape(c.get('role') or '')}, {where})[/dim] {escape(c['text'])}"
        )
    more = f" [dim](last 5 of {len(comments)})[/dim]" if len(comments) > 5 else ""
    return f"[b]comments on scene {scene}[/b]{more}\n" + "\n".join(rows)
