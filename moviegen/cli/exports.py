"""moviegen export: the screenplay (PDF, Final Draft), the cut (OpenTimelineIO, EDL, FCPXML), the storyboard
(PDF) and the whole project (a bundle) as files; sending a bundle to the brain for 'moviegen import'."""

from __future__ import annotations

from pathlib import Path

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, out

exports_app = typer.Typer()

FORMATS = ("pdf", "fdx", "otio", "edl", "fcpxml", "storyboard", "bundle", "stems")  # core.api.ExportFormat (start-up)
PIECE = 2 << 20  # bytes per bundle_upload call (moviegen.services.export.bundle_import.PIECE)


def _formats(values: list[str]) -> list[str]:
    """'--format pdf --format fdx' and '--format pdf,fdx' alike, each format once, in the order given."""
    chosen: list[str] = []
    for value in values or []:
        for name in (part.strip().lower() for part in value.split(",")):
            if name not in FORMATS:
                raise typer.BadParameter(f"'{name}' is not an export format; use {', '.join(FORMATS)}")
            if name not in chosen:
                chosen.append(name)
    return chosen


@exports_app.command("export")
def export(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    formats: list[str] = typer.Option(
        None, "--format", "-f", callback=_formats, metavar="FORMAT",
        help="pdf (screenplay, standard layout), fdx (Final Draft), otio (OpenTimelineIO), edl (CMX 3600), "
             "fcpxml, storyboard (contact sheet PDF), stems (dialogue, music, effects WAVs) or bundle; repeat it or give a comma list. The cut's "
             "formats need a finished render, the storyboard a shot list.",
    ),
    bundle: bool = typer.Option(
        False, "--bundle", help="Also write the whole project as one archive with a manifest of checksums "
                                "(<slug>-<time>.moviegen.tar), for 'moviegen import'.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the files written as JSON."),
) -> None:  # fmt: skip
    """Write the screenplay, the last render's cut, the storyboard or the whole project into the project's
    exports/ folder."""
    formats = list(formats or [])
    if bundle and "bundle" not in formats:
        formats.append("bundle")
    if not formats:
        raise typer.BadParameter(f"name at least one of {', '.join(FORMATS)}, or give --bundle",
                                 param_hint="'--format'")  # fmt: skip
    brain = context.brain()
    files = []
    for fmt in formats:
        files += [{"format": fmt, **f} for f in brain.export(slug, fmt)["files"]]
    if json_out:
        emit_json({"project": slug, "files": files})
        return
    for f in files:
        out.print(f"{f['path']}  {f['bytes']:,} bytes  ({f['format']})", markup=False, highlight=False)


def upload_bundle(brain, path: Path) -> str:
    """Send the bundle at ``path`` to the brain in pieces (it may run on another machine); returns the upload's
    id for project_import_bundle."""
    import base64

    from moviegen.core.errors import UsageError

    upload_id, offset = None, 0
    try:
        with open(path, "rb") as f:
            while piece := f.read(PIECE):
                sent = brain.bundle_upload(base64.b64encode(piece).decode(), upload_id, offset)
                upload_id, offset = sent["upload_id"], sent["bytes"]
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}", "check the path and its permissions") from None
    if upload_id is None:
        raise UsageError(f"{path.name} is empty, not a bundle", "make one with 'moviegen export SLUG --bundle'")
    return upload_id


def is_bundle(path: Path) -> bool:
    """A tar archive by its name or its header (a Fountain screenplay is neither)."""
    if path.name.endswith(".tar"):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(262)[257:262] == b"ustar"
    except OSError:
        return False
