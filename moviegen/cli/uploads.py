"""moviegen upload: a character's reference picture, or a scene's music or sound, into a project."""

from __future__ import annotations

import base64
from pathlib import Path

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, err, out

uploads_app = typer.Typer()

PIECE = 2 << 20  # bytes per media_upload call (its piece is base64 of at most 2 MiB)


@uploads_app.command("upload")
def upload(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="A picture (PNG, JPEG, WebP) or a sound (WAV, MP3, FLAC, Ogg, M4A)."),
    target: str = typer.Option(..., "--for", metavar="character:NAME|scene:N",
                               help="Whose picture (character:mira) or which scene's sound (scene:2)."),
    role: str = typer.Option("music", "--as", help="For a scene: music (replaces its score cue) or sound "
                                                   "(plays from the scene's start, under the dialogue)."),
    json_out: bool = typer.Option(False, "--json", help="Print what was stored as JSON."),
) -> None:  # fmt: skip
    """Bring your own material: a character's reference picture becomes their approved sheet (every still of
    theirs is painted from it); a scene's music or sound goes into soundtrack.toml for the next render. The
    brain checks the file (type by content, size, that it decodes) before it keeps anything."""
    from rich.progress import BarColumn, DownloadColumn, Progress

    kind, _, name = target.partition(":")
    if kind not in ("character", "scene") or not name:
        raise typer.BadParameter("use --for character:NAME or --for scene:NUMBER", param_hint="--for")
    if role not in ("music", "sound"):
        raise typer.BadParameter("use --as music or --as sound", param_hint="--as")
    upload_kind = "character_sheet" if kind == "character" else f"scene_{role}"
    brain, size = context.brain(), file.stat().st_size
    result, upload_id, offset = None, None, 0
    with Progress(BarColumn(), DownloadColumn(), console=err, disable=json_out or size <= PIECE) as bar, \
            open(file, "rb") as f:  # fmt: skip
        task = bar.add_task("upload", total=size)
        while True:
            piece = f.read(PIECE)
            last = f.tell() >= size
            result = brain.media_upload(slug, upload_kind, name, base64.b64encode(piece).decode(), upload_id, offset,
                                        last)  # fmt: skip
            upload_id, offset = result["upload_id"], result["bytes"]
            bar.update(task, completed=offset)
            if last:
                break
    if json_out:
        emit_json(result)
        return
    if upload_kind == "character_sheet":
        out.print(f"{result['target']}'s sheet: take {result['take']}, approved ({result['asset']})")
    else:
        out.print(f"scene {result['target']}'s {role}: {result['seconds']:.1f} s ({result['asset']}); "
                  f"the next render uses it")  # fmt: skip
