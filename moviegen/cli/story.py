"""Story commands: develop, plan."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, note, out

story_app = typer.Typer()


@story_app.command()
def develop(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    force: bool = typer.Option(False, "--force", help="Replace an existing screenplay and story files."),
    json_out: bool = typer.Option(False, "--json", help="Print the story as JSON."),
) -> None:
    """Develop the story: logline, characters, places, outline and screenplay."""
    story = context.brain().story_develop(slug, force=force)
    if json_out:
        emit_json(story)
        return
    out.print(f"[bold]{story['title']}[/bold] — {story['logline']}\n")
    for c in story["characters"]:
        out.print(f"  [bold]{c['name']}[/bold] {c['full_name']}: {c['role']}; wants {c['want']}")
    out.print("")
    for i, beat in enumerate(story["outline"], 1):
        out.print(f"  {i}. {beat}")
    note(f"\nwrote story/ and screenplay.fountain; next: moviegen plan {slug}")


@story_app.command()
def plan(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    fresh: bool = typer.Option(False, "--fresh", help="Re-plan every scene, discarding edits in shots.toml."),
    json_out: bool = typer.Option(False, "--json", help="Print the plan summary as JSON."),
) -> None:
    """Plan the shots of every scene into shots.toml (keeps edits to unchanged scenes)."""
    summary = context.brain().shots_plan(slug, fresh=fresh)
    if json_out:
        emit_json(summary)
        return
    out.print(
        f"{summary['shots']} shots over {summary['scenes']} scenes, {summary['duration']} s "
        f"({summary['scenes_planned']} scenes planned, {summary['scenes_kept']} kept as edited)"
    )
    note(f"wrote shots.toml; next: moviegen render {slug}")
