"""Projects: every project with its stage, shots and last render; create, import, open, delete."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from moviegen.core.errors import MoviegenError, UsageError
from moviegen.core.settings import get_settings
from moviegen.tui.studio import where
from moviegen.tui.widgets.dialogs import ConfirmDialog, PromptDialog
from moviegen.tui.widgets.tables import selected_key


class ProjectsScreen(Screen):
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("i", "import_file", "Import"),
        Binding("enter", "open", "Open", show=True),
        Binding("d", "delete", "Delete"),
        Binding("r", "refresh", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static("", id="where")
        yield DataTable(id="projects", cursor_type="row", zebra_stripes=True)
        yield Static(
            "n new from a premise · i import a screenplay · enter open · d delete · ctrl+p every action", id="hint"
        )
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "projects"
        table = self.query_one(DataTable)
        table.add_columns("project", "title", "stage", "scenes", "shots", "last render")
        self._show(self._first_rows(), None)  # the first list is in the first frame (later ones are read off the loop)

    def on_screen_resume(self) -> None:
        self.app.follow(None)  # every project's events: new and deleted projects, renders ending

    def action_refresh(self, select: str | None = None) -> None:
        self._read(select or self.selected())

    @work(thread=True, exclusive=True, group="projects-read", exit_on_error=False)
    def _read(self, select: str | None) -> None:
        try:
            rows = self.app.brain.project_list()
        except MoviegenError as exc:
            self.app.call_from_thread(self.app.show_error, exc)
            rows = []
        self.app.call_from_thread(self._show, rows, select)

    def _first_rows(self) -> list[dict]:
        try:
            return self.app.brain.project_list()
        except MoviegenError as exc:
            self.app.call_later(self.app.show_error, exc)
            return []

    def _show(self, rows: list[dict], select: str | None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(r["slug"], r["title"], r["stage"], str(r["scenes"]), str(r["shots"]),
                          r["last_render"] or "—", key=r["slug"])  # fmt: skip
        if select and select in [r["slug"] for r in rows]:
            table.move_cursor(row=[r["slug"] for r in rows].index(select))
        self.query_one("#where", Static).update(
            f"{len(rows)} project(s) in {_shown(get_settings().projects_dir)} · brain: {where(self.app.brain)}"
        )
        if not rows:
            self.query_one("#hint", Static).update(
                "no projects yet — press n to start one from a premise, i to import a screenplay"
            )

    def selected(self) -> str | None:
        return selected_key(self.query_one(DataTable))

    def action_open(self) -> None:
        slug = self.selected()
        if slug:
            self.app.open_project(slug)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_new(self) -> None:
        def created(premise: str | None) -> None:
            if premise:
                self.create(premise)

        self.app.push_screen(
            PromptDialog("A premise: who wants what, and what stands in the way?", "A courier races a flood…"), created
        )

    @work(thread=True, exclusive=True, group="projects", exit_on_error=False)
    def create(self, premise: str) -> None:
        try:
            project = self.app.brain.project_create(premise)
        except MoviegenError as exc:
            self.app.call_from_thread(self.app.show_error, exc)
            return
        self.app.call_from_thread(self.app.notify, f"created {project['slug']} — enter opens it, ctrl+d develops it")
        self.app.call_from_thread(self.action_refresh, project["slug"])

    def action_import_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.import_file(path)

        self.app.push_screen(
            PromptDialog("Import a Fountain screenplay: its path", "~/scripts/my_film.fountain"), chosen
        )

    @work(thread=True, exclusive=True, group="projects", exit_on_error=False)
    def import_file(self, path: str) -> None:
        """The file is read here (the brain may run on another machine) and sent to the brain, which checks it."""
        try:
            project = self.app.brain.project_import(_read_screenplay(Path(path).expanduser()), filename=Path(path).name)
        except MoviegenError as exc:
            self.app.call_from_thread(self.app.show_error, exc)
            return
        self.app.call_from_thread(self.app.notify, f"imported {project['slug']}")
        self.app.call_from_thread(self.action_refresh, project["slug"])

    def action_delete(self) -> None:
        slug = self.selected()
        if not slug:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.delete(slug)

        self.app.push_screen(
            ConfirmDialog(f"Delete '{slug}'? It is moved to the trash folder, not destroyed."), confirmed
        )

    @work(thread=True, exclusive=True, group="projects", exit_on_error=False)
    def delete(self, slug: str) -> None:
        try:
            deleted = self.app.brain.project_delete(slug)
        except MoviegenError as exc:
            self.app.call_from_thread(self.app.show_error, exc)
            return
        self.app.call_from_thread(self.app.notify, f"moved {slug} to {deleted['trash']}")
        self.app.call_from_thread(self.action_refresh)


def _read_screenplay(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}", "check the path to the .fountain file") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a screenplay", "name a .fountain file") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text", "save the screenplay as UTF-8") from None


def _shown(path) -> str:
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)
