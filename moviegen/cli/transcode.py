"""moviegen transcode: the last render for the web, phones, editors, audio, a preview, a poster and HLS — a
job in the brain, followed with a bar per preset (Ctrl-C cancels it; nothing half-written is kept)."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.follow import follow_job
from moviegen.cli.output import emit_json, out

transcode_app = typer.Typer()

# moviegen.services.transcode.PRESETS (not imported: start-up), in its order
PRESETS = {
    "web720": "H.264 + AAC, 720p", "web1080": "H.264 + AAC, 1080p",
    "vertical": "9:16 over a blurred fill", "prores": "ProRes 422 Proxy .mov for editors",
    "audio": "the soundtrack as AAC .m4a", "wav": "the soundtrack as WAV", "preview": "animated WebP, 6 s",
    "gif": "the preview as a GIF", "poster": "a JPEG frame", "hls": "360p/720p/1080p ladder, master.m3u8",
}  # fmt: skip


def _presets(values: list[str]) -> list[str]:
    """'--preset web720 --preset hls', '--preset web720,hls' and '--preset all' alike, each once, in order."""
    chosen: list[str] = []
    for value in values:
        for name in (part.strip().lower() for part in value.split(",")):
            names = list(PRESETS) if name == "all" else [name]
            if name not in PRESETS and name != "all":
                raise typer.BadParameter(f"'{name}' is not a preset; use {', '.join(PRESETS)} or all")
            chosen += [n for n in names if n not in chosen]
    if not chosen:
        raise typer.BadParameter(f"name at least one of {', '.join(PRESETS)}")
    return chosen


@transcode_app.command("transcode")
def transcode(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    presets: list[str] = typer.Option(
        ..., "--preset", "-p", callback=_presets, metavar="PRESET",
        help="; ".join(f"{k}: {v}" for k, v in PRESETS.items()) + "; or all. Repeat it or give a comma list. "
             "Nothing is made larger than the film.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print what each preset wrote as JSON."),
) -> None:  # fmt: skip
    """Transcode the last render into exports/transcodes/<preset>/, one preset after another."""
    brain = context.brain()
    job = brain.transcode(slug, presets)
    result = follow_job(brain, job, quiet=json_out)
    if json_out:
        emit_json(result)
        return
    for preset in result["presets"]:
        if preset.get("variants"):
            what = ", ".join(f"{v['width']}x{v['height']} {v['bandwidth'] // 1000} kbit/s" for v in preset["variants"])
        else:
            what = f"{sum(f['bytes'] for f in preset['files']):,} bytes"
        line = f"{preset['files'][0]['path']}  {what}  ({preset['preset']})"
        out.print(line, markup=False, emoji=False, highlight=False)
