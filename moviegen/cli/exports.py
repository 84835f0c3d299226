"""moviegen export: the screenplay (PDF, Final Draft) and the cut (OpenTimelineIO, EDL, FCPXML) as files."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, out

exports_app = typer.Typer()

FORMATS = ("pdf", "fdx", "otio", "edl", "fcpxml")  # moviegen.core.api.ExportFormat (not imported: start-up)


def _formats(values: list[str]) -> list[str]:
    """'--format pdf --format fdx' and '--format pdf,fdx' alike, each format once, in the order given."""
    chosen: list[str] = []
    for value in values:
        for name in (part.strip().lower() for part in value.split(",")):
            if name not in FORMATS:
                raise typer.BadParameter(f"'{name}' is not an export format; use {', '.join(FORMATS)}")
            if name not in chosen:
                chosen.append(name)
    if not chosen:
        raise typer.BadParameter(f"name at least one of {', '.join(FORMATS)}")
    return chosen


@exports_app.command("export")
def export(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    formats: list[str] = typer.Option(
        ..., "--format", "-f", callback=_formats, metavar="FORMAT",
        help="pdf (screenplay, standard layout), fdx (Final Draft), otio (OpenTimelineIO), edl (CMX 3600) or "
             "fcpxml; repeat it or give a comma list. The cut's formats need a finished render.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the files written as JSON."),
) -> None:  # fmt: skip
    """Write the screenplay or the last render's cut into the project's exports/ folder."""
    brain = context.brain()
    files = []
    for fmt in formats:
        files += [{"format": fmt, **f} for f in brain.export(slug, fmt)["files"]]
    if json_out:
        emit_json({"project": slug, "files": files})
        return
    for f in files:
        out.print(f"{f['path']}  {f['bytes']:,} bytes  ({f['format']})", markup=False, highlight=False)
