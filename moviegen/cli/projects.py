"""Project commands: new, import, list, status."""

from __future__ import annotations

from pathlib import Path

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, note, out

projects_app = typer.Typer()


@projects_app.command()
def new(
    premise: str = typer.Argument(..., help="One or two sentences: who wants what, and what stands in the way."),
    title: str = typer.Option(None, "--title", "-t", help="Film title (also names the project folder)."),
    slug: str = typer.Option(
        None, "--slug", help="Folder name under the projects directory (default: from the title)."
    ),
    seed: int = typer.Option(None, "--seed", help="Seed for every generated part (default: MOVIEGEN_SEED or 7)."),
    narration: bool = typer.Option(False, "--narration", help="A narrator reads the action aloud (not subtitled)."),
    json_out: bool = typer.Option(False, "--json", help="Print the project as JSON."),
) -> None:
    """Create a project folder from a premise."""
    project = context.start_project(premise, seed=seed, title=title, slug=slug, narration=narration)
    if json_out:
        emit_json({"slug": project.slug, "path": str(project.path), **project.info.model_dump(mode="json")})
        return
    out.print(f"Created [bold]{project.info.title}[/bold] in {project.path}")
    note(f"next: moviegen develop {project.slug}")


@projects_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="A Fountain screenplay (.fountain)."),
    title: str = typer.Option(None, "--title", "-t", help="Title (default: the screenplay's title page)."),
    slug: str = typer.Option(None, "--slug", help="Project folder name (default: from the title)."),
    json_out: bool = typer.Option(False, "--json", help="Print the project as JSON."),
) -> None:
    """Create a project from a screenplay you already have."""
    from moviegen.core.settings import get_settings
    from moviegen.core.slug import validate_slug
    from moviegen.services.screenplay import import_screenplay

    project = import_screenplay(
        context.store(),
        file,
        slug=validate_slug(slug) if slug else None,
        title=title,
        fmt=get_settings().default_format(),
    )
    if json_out:
        emit_json(_summary(project))
        return
    summary = _summary(project)
    out.print(
        f"Imported [bold]{project.info.title}[/bold] into {project.path}: "
        f"{summary['scenes']} scenes, {summary['dialogue_lines']} lines of dialogue"
    )
    note(f"next: moviegen plan {project.slug}")


@projects_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help="Print the projects as JSON.")) -> None:
    """List the projects in the projects directory."""
    projects = context.store().list()
    if json_out:
        emit_json(
            [
                {"slug": p.slug, "title": p.info.title, "stage": p.info.stage.value, "path": str(p.path)}
                for p in projects
            ]
        )
        return
    if not projects:
        note(f'no projects in {context.store().root} yet — start one with: moviegen new "PREMISE"')
        return
    from rich.table import Table

    table = Table("slug", "title", "stage", box=None)
    for p in projects:
        table.add_row(p.slug, p.info.title, p.info.stage.value)
    out.print(table)


@projects_app.command()
def status(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    json_out: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Show where a project stands: story, shots, renders, providers."""
    remote = context.remote()
    if remote is not None:
        summary = remote.call("project_status", project_id=slug)
        summary["brain"]["mode"] = f"brain server at {remote.url}"
    else:
        summary = _summary(context.store().open(slug))
    if json_out:
        emit_json(summary)
        return
    out.print(f"[bold]{summary['title']}[/bold] ({summary['slug']}) — stage: {summary['stage']}")
    out.print(f"  premise:   {summary['premise'] or '—'}")
    out.print(
        f"  story:     {summary['scenes']} scenes, {summary['dialogue_lines']} dialogue lines, cast: {', '.join(summary['cast']) or '—'}"
    )
    shots_line = f"{summary['shots']} planned, {summary['planned_seconds']} s"
    out.print(f"  shots:     {summary['shots_problem'] or shots_line}", markup=False)
    out.print(f"  renders:   {', '.join(summary['renders']) or '—'}")
    out.print(
        f"  brain:     {summary['brain']['mode']} ({', '.join(f'{k}: {v}' for k, v in summary['brain']['providers'].items())})"
    )
    out.print(f"  folder:    {summary['path']}")


def _summary(project) -> dict:
    from moviegen.services.status import project_status

    return project_status(project, context.brain().providers())
