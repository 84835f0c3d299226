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
    step: bool = typer.Option(
        False, "--step", help="Pause after each stage (logline, characters, places, outline, screenplay) for approval."
    ),  # fmt: skip
    resume: bool = typer.Option(
        False, "--resume", help="Approve the paused stage and go on (or continue a development that stopped midway)."
    ),  # fmt: skip
    redo: bool = typer.Option(False, "--redo", help="Write the paused stage again."),
    note_text: str = typer.Option("", "--note", help="With --redo: what to change, for the writer."),
    to_end: bool = typer.Option(False, "--all", help="With --resume: no more pauses, develop to the end."),
    review: bool = typer.Option(False, "--review", help="Show the stage that waits for a decision (decide nothing)."),
    json_out: bool = typer.Option(False, "--json", help="Print where development stands (and the story) as JSON."),
) -> None:
    """Develop the story: logline, characters, places, outline and screenplay, one stage at a time.

    With --step it pauses after each stage; '--review' shows the stage that waits, '--resume' approves it and goes
    on, '--redo [--note TEXT]' writes it again. Without a language model the offline story writer answers every
    stage."""
    from moviegen.core.errors import UsageError

    if sum([resume, redo, review, force or step]) > 1:
        raise UsageError("--review, --resume, --redo and --step/--force exclude each other",
                         f"e.g. 'moviegen develop {slug} --step', then 'moviegen develop {slug} --resume'")  # fmt: skip
    if note_text and not redo:
        raise UsageError("--note goes with --redo", f'moviegen develop {slug} --redo --note "more danger"')
    brain = context.brain()
    with out.status("developing the story…", spinner="dots") if not json_out else _quiet():
        if review:
            where = brain.story_review(slug)
        elif redo:
            where = brain.story_redo(slug, note=note_text)
        elif resume:
            where = brain.story_approve(slug, step=False if to_end else None)
        else:
            where = brain.story_develop(slug, force=force, step=step)
    if json_out:
        emit_json(where)
        return
    if where["state"] == "paused":
        _show_stage(where)
        note(f"\npaused after {where['stage']} (written by {where.get('by')}). Next: 'moviegen develop {slug} "
             f"--resume' to approve and go on, or '--redo [--note TEXT]' to write it again")  # fmt: skip
        return
    if review:
        note(f"{slug}: development {where['state']} — nothing waits for a decision")
        return
    out.print(f"[bold]{where['title']}[/bold] — {where['logline']}\n")
    for c in where["characters"]:
        out.print(f"  [bold]{c['name']}[/bold] {c['full_name']}: {c['role']}; wants {c['want']}")
    out.print("")
    for i, beat in enumerate(where["outline"], 1):
        out.print(f"  {i}. {beat}")
    makers = sorted({s["by"] for s in where["stages"].values() if s.get("by")})
    note(f"\nwrote story/ and screenplay.fountain (by {', '.join(makers)}); next: moviegen plan {slug}")


def _show_stage(where: dict) -> None:
    stage, result = where["stage"], where["result"]
    out.print(f"[bold]{stage}[/bold]\n")
    if stage == "logline":
        out.print(f"  [bold]{result['title']}[/bold] — {result['logline']}")
    elif stage == "characters":
        for c in result["characters"]:
            out.print(f"  [bold]{c['name']}[/bold] {c['full_name']}: {c['role']}; wants {c['want']}")
            out.print(f"      looks: {c['look']}; sounds: {c['voice']}")
    elif stage == "places":
        for p in result["locations"]:
            out.print(f"  [bold]{p['name']}[/bold]: {p['description']}")
    elif stage == "outline":
        for i, beat in enumerate(result["outline"], 1):
            out.print(f"  {i}. {beat}")
    else:
        out.print(result["screenplay"], markup=False)


def _quiet():
    from contextlib import nullcontext

    return nullcontext()


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


@story_app.command("share")
def share(
    slug: str = typer.Argument(..., help="The project the character or place comes from."),
    node: str = typer.Argument(..., help="character:NAME or place:NAME, as the story graph names it "
                                         "(e.g. character:mira, place:signal-tower)."),
    into: str = typer.Option(..., "--into", help="The project (the next episode) that takes it."),
    json_out: bool = typer.Option(False, "--json", help="Print what went across as JSON."),
) -> None:  # fmt: skip
    """Share a character (look, voice, approved sheet) or a place (its description) into another project of a
    series; both projects' graphs record it (SHARED_WITH / SHARED_FROM). Producer of both projects."""
    result = context.brain().story_share(slug, node, into)
    if json_out:
        emit_json(result)
        return
    sheet = " with its approved sheet" if result.get("sheet") else ""
    out.print(f"{result['name']} ({', '.join(result['fields'])}){sheet} shared from {slug} into {into}")
    note(f"written into {into}'s story/bible.md; recorded in shared.toml of both")
