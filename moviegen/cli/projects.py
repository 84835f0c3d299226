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
    project = context.brain().project_create(premise, title=title, slug=slug, seed=seed, narration=narration)
    if json_out:
        emit_json(project)
        return
    out.print(f"Created [bold]{project['title']}[/bold] in {project['path']}")
    note(f"next: moviegen develop {project['slug']}")


@projects_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="A Fountain screenplay (.fountain)."),
    title: str = typer.Option(None, "--title", "-t", help="Title (default: the screenplay's title page)."),
    slug: str = typer.Option(None, "--slug", help="Project folder name (default: from the title)."),
    json_out: bool = typer.Option(False, "--json", help="Print the project as JSON."),
) -> None:
    """Create a project from a screenplay you already have."""
    from moviegen.core.slug import validate_slug
    from moviegen.services.screenplay import read_screenplay_file

    text = read_screenplay_file(file)  # read here: the brain may run on another machine
    summary = context.brain().project_import(text, title=title, slug=validate_slug(slug) if slug else None,
                                             filename=file.name)  # fmt: skip
    if json_out:
        emit_json(summary)
        return
    out.print(
        f"Imported [bold]{summary['title']}[/bold] into {summary['path']}: "
        f"{summary['scenes']} scenes, {summary['dialogue_lines']} lines of dialogue"
    )
    note(f"next: moviegen plan {summary['slug']}")


@projects_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help="Print the projects as JSON.")) -> None:
    """List the projects in the projects directory."""
    projects = context.brain().project_list()
    if json_out:
        emit_json(projects)
        return
    if not projects:
        note('no projects yet — start one with: moviegen new "PREMISE"')
        return
    from rich.table import Table

    table = Table("slug", "title", "stage", "scenes", "shots", "last render", box=None)
    for p in projects:
        table.add_row(p["slug"], p["title"], p["stage"], str(p["scenes"]), str(p["shots"]), p["last_render"] or "—")
    out.print(table)


@projects_app.command()
def status(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    json_out: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """Show where a project stands: story, shots, renders, providers."""
    brain = context.brain()
    summary = brain.project_status(slug)
    if getattr(brain, "url", None):
        summary["brain"]["mode"] = f"brain server at {brain.url}"
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

