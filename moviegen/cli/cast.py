"""Cast commands: the characters with their voices and sheets; recast a voice; paint and approve sheets."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, out

cast_app = typer.Typer(help="The cast: voices (eSpeak or ElevenLabs) and character sheets.", no_args_is_help=True)


@cast_app.command("list")
def cast_list(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    json_out: bool = typer.Option(False, "--json", help="Print the cast as JSON."),
) -> None:
    """Every character: look, voice (offline and online), sheet takes, the shots they speak in."""
    cast = context.brain().cast_list(slug)
    if json_out:
        emit_json(cast)
        return
    if not cast:
        out.print("no cast yet — develop the story or import a screenplay")
    for c in cast:
        sheet = c.get("sheet") or {}
        takes = f"{sheet.get('takes', 0)} sheet take(s)" + (
            f", #{sheet['approved']} approved" if sheet.get("approved") else ""
        )
        out.print(f"[bold]{c['name']}[/bold] {c['role'] or ''}", highlight=False)
        out.print(f"  look:   {c['look'] or '—'}", markup=False)
        out.print(f"  voice:  {c['espeak']} pitch {c['pitch']} rate {c['rate']}"
                  + (f"; ElevenLabs {c['elevenlabs_voice']}" if c.get("elevenlabs_voice") else ""), markup=False)  # fmt: skip
        out.print(f"  sheets: {takes}; speaks in {', '.join(c['shots']) or '—'}", markup=False)


@cast_app.command("voice")
def cast_voice(
    slug: str = typer.Argument(..., help="The project."),
    name: str = typer.Argument(..., help="The character (as the screenplay cues them, e.g. MIRA)."),
    voice: str = typer.Argument(..., help="A description ('low and slow'), an eSpeak voice ('en-us+f3 pitch 60 "
                                "rate 150'), or an ElevenLabs one ('elevenlabs: Rachel (21m00Tcm4TlvDq8ikWAM)')."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:  # fmt: skip
    """Recast a character's voice, written into bible.md; says which shots will be spoken again."""
    result = context.brain().recast(slug, name.upper(), voice)
    if json_out:
        emit_json(result)
        return
    out.print(f"{result['name']}'s voice is now: {voice}; the next render speaks again shots "
              f"{', '.join(result['shots']) or '—'}", markup=False)  # fmt: skip


@cast_app.command("sheet")
def cast_sheet(
    slug: str = typer.Argument(..., help="The project."),
    name: str = typer.Argument(..., help="The character."),
    json_out: bool = typer.Option(False, "--json", help="Print the take as JSON."),
) -> None:
    """Paint a new character sheet take (FAL when FAL_KEY is set, else the offline painter)."""
    with out.status(f"painting {name.upper()}'s sheet"):
        result = context.brain().sheet_paint(slug, name)
    if json_out:
        emit_json(result)
        return
    out.print(f"{result['name']}: take {result['take']} by {result['provider']}"
              f"{':' + result['model'] if result['model'] else ''} → {result['asset']}", markup=False)  # fmt: skip


@cast_app.command("approve")
def cast_approve(
    slug: str = typer.Argument(..., help="The project."),
    name: str = typer.Argument(..., help="The character."),
    take: int = typer.Argument(..., min=1, help="The sheet take the stills should use."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Approve a sheet take: the next online render paints the character's stills from it."""
    result = context.brain().sheet_approve(slug, name, take)
    if json_out:
        emit_json(result)
        return
    out.print(f"{result['name']}: sheet take {result['approved']} approved", markup=False)
