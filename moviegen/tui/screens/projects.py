"""Projects: every project with its stage, shots and last render; create, import, open, delete."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from moviegen.core.errors import MoviegenError
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
        self.action_refresh()

    def action_refresh(self, select: str | None = None) -> None:
        studio = self.app.studio
        table = self.query_one(DataTable)
        table.clear()
        try:
            rows = studio.projects()
        except MoviegenError as exc:
            self.app.show_error(exc)
            rows = []
        for r in rows:
            table.add_row(
                r["slug"], r["title"], r["stage"], str(r["scenes"]), str(r["shots"]), r["last_render"], key=r["slug"]
            )
        if select and select in [r["slug"] for r in rows]:
            table.move_cursor(row=[r["slug"] for r in rows].index(select))
        self.query_one("#where", Static).update(
            f"{len(rows)} project(s) in {_shown(studio.settings.projects_dir)} · brain: {studio.mode}"
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
            project = self.app.studio.create(premise)
        except MoviegenError as exc:
            self.app.call_from_thread(self.app.show_error, exc)
            return
        self.app.call_from_thread(self.app.notify, f"created {project.slug} — enter opens it, ctrl+d develops it")
        self.app.call_from_thread(self.action_refresh, project.slug)

    def action_import_file(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                try:
                    project = self.app.studio.import_file(path)
                except MoviegenError as exc:
                    self.app.show_error(exc)
                    return
                self.app.notify(f"imported {project.slug}")
                self.action_refresh(project.slug)

        self.app.push_screen(
            PromptDialog("Import a Fountain screenplay: its path", "~/scripts/my_film.fountain"), chosen
        )

    def action_delete(self) -> None:
        slug = self.selected()
        if not slug:
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                try:
                    where = self.app.studio.delete(slug)
                except MoviegenError as exc:
                    self.app.show_error(exc)
                    return
                self.app.notify(f"moved {slug} to {where}")
                self.action_refresh()

        self.app.push_screen(
            ConfirmDialog(f"Delete '{slug}'? It is moved to the trash folder, not destroyed."), confirmed
        )


def _shown(path) -> str:
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)
