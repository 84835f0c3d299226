"""Project commands: new, import (a screenplay or a bundle), list, status."""

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
    file: Path = typer.Argument(..., help="A Fountain screenplay (.fountain), or a project bundle "
                                          "(.moviegen.tar, from 'moviegen export SLUG --bundle')."),
    title: str = typer.Option(None, "--title", "-t", help="Title (default: the screenplay's title page)."),
    slug: str = typer.Option(None, "--slug", "--as", help="Project folder name (default: from the title; a "
                                                          "bundle's own slug)."),
    json_out: bool = typer.Option(False, "--json", help="Print the project as JSON."),
) -> None:  # fmt: skip
    """Create a project from a screenplay you already have, or restore one from its bundle (every checksum is
    verified before anything is written; the renders it holds are reused by the next render)."""
    from moviegen.cli.exports import is_bundle
    from moviegen.core.slug import validate_slug
    from moviegen.services.screenplay import read_screenplay_file

    if is_bundle(file):
        if title:
            raise typer.BadParameter("a bundle keeps its own title", param_hint="'--title'")
        _import_bundle(file, validate_slug(slug) if slug else None, json_out)
        return

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


def _import_bundle(file: Path, slug: str | None, json_out: bool) -> None:
    from moviegen.cli.exports import upload_bundle

    brain = context.brain()
    summary = brain.project_import_bundle(upload_bundle(brain, file), slug=slug)
    if json_out:
        emit_json(summary)
        return
    restored = summary["restored"]
    out.print(f"Restored [bold]{summary['title']}[/bold] into {summary['path']}: {restored['files']} files, "
              f"{restored['bytes']:,} bytes, every checksum verified")  # fmt: skip
    note(f"next: moviegen render {summary['slug']} (what was rendered is reused)")


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
    out.print(f"  encodes:   {', '.join(summary.get('transcodes') or []) or '—'}")
    out.print(f"  3d models: {', '.join(m['node'] for m in summary.get('models_3d') or []) or '—'}", markup=False)
    out.print(
        f"  brain:     {summary['brain']['mode']} ({', '.join(f'{k}: {v}' for k, v in summary['brain']['providers'].items())})"
    )
    out.print(f"  folder:    {summary['path']}")
    last = summary.get("last_render")
    online = last is not None and (
        any(s["picture"] != "storyboard-painter" or s.get("clip") for s in last["shots"])
        or any("espeak-ng" not in v for s in last["shots"] for v in s["voices"])
    )
    if online:  # who made what, once anything was made online
        out.print(f"  made by ({last['film']}):")
        for shot in last["shots"]:
            parts = [f"picture {shot['picture']}"] + ([f"clip {shot['clip']}"] if shot.get("clip") else [])
            out.print(f"    {shot['id']:>6}  {'; '.join(parts + shot['voices'])}", markup=False)
        for effect in last["effects"]:
            out.print(f"    sound  {effect}", markup=False)


project_app = typer.Typer(help="Manage a project as a whole.", no_args_is_help=True)


@project_app.command("delete")
def delete(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    purge: bool = typer.Option(False, "--purge", help="Destroy it instead of moving it to the trash: its files, "
                               "memory (Neo4j nodes too), ledger and caches; only an audit tombstone stays."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Purge without asking (scripts; required without a terminal)."),
    json_out: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
) -> None:  # fmt: skip
    """Move a project to the trash ($MOVIEGEN_HOME/trash), as the studio does; --purge destroys it."""
    import sys

    from moviegen.core.errors import UsageError

    if purge and not yes:
        if not sys.stdin.isatty():
            raise UsageError(f"purging {slug} destroys it for good", f"confirm with 'moviegen project delete {slug} --purge --yes'")  # fmt: skip
        typer.confirm(f"Destroy {slug} for good (files, memory, ledger; only a tombstone stays)?", abort=True)
    result = context.brain().project_delete(slug, purge=purge)
    if json_out:
        emit_json(result)
        return
    if purge:
        out.print(f"Purged [bold]{slug}[/bold]: {result['files']} files, {result['bytes']:,} bytes"
                  + (f", {result['neo4j_nodes']} graph nodes" if result["neo4j_nodes"] else ""))  # fmt: skip
        note(f"tombstone: {result['tombstone']}")
    else:
        out.print(f"Moved [bold]{slug}[/bold] to {result['trash']}")
