"""What leaves the studio: the screenplay as PDF and Final Draft XML, the cut as OpenTimelineIO, CMX 3600 EDL
and FCPXML, the storyboard as a PDF contact sheet, and the whole project as a bundle, written into the
project's ``exports/`` folder (atomically: a reader never sees half a file).

One module per concern: ``elements`` (what the screenplay formats share), ``screenplay_lines`` (the standard
page's grid), ``screenplay_layout`` (its page-break rules), ``screenplay_pdf`` (drawing it), ``fdx``,
``timeline_otio`` (the last render's cut, read once, written by ``otio_json``, ``edl`` and ``fcpxml`` — our
own writers: OTIO's adapters were quadratic or slow for a long cut; the tests read every file back through
OTIO), ``stems``, ``storyboard_pdf``, ``bundle`` (and ``bundle_import``, its way back in).
The libraries (ReportLab, OpenTimelineIO) are imported only when a format needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from moviegen.core import atomic, locations
from moviegen.core.api import ExportFormat
from moviegen.core.errors import UsageError
from moviegen.core.project import Project

FORMATS: tuple[str, ...] = get_args(ExportFormat)
SCREENPLAY_FORMATS = ("pdf", "fdx")
CUT_FORMATS = ("otio", "edl", "fcpxml")


def export(project: Project, fmt: str, *, image_provider: str = "storyboard-painter") -> list[Path]:
    """Write the project in ``fmt`` into exports/ and return the files written. The screenplay formats need a
    screenplay, the cut's a finished render, the storyboard a shot list (each says so in one line when it is
    missing); ``image_provider`` is the one whose stills the storyboard looks up (the render's)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}'", f"use one of: {', '.join(FORMATS)}")
    if fmt == "bundle":
        from moviegen.services.export.bundle import write_bundle

        return [write_bundle(project)]
    if fmt == "stems":
        from moviegen.services.export.stems import write_stems

        return write_stems(project)
    if fmt == "storyboard":
        from moviegen.services.export.storyboard_pdf import storyboard

        path = locations.exports_dir(project.path) / f"{project.slug}-storyboard.pdf"
        atomic.write_bytes(path, storyboard(project, image_provider))
        return [path]
    if fmt in SCREENPLAY_FORMATS:
        screenplay = project.screenplay()  # one line when there is none
        if fmt == "pdf":
            from moviegen.services.export.screenplay_pdf import screenplay_pdf as write
        else:
            from moviegen.services.export.fdx import screenplay_fdx as write
        name, data = project.slug, write(screenplay, project.info.title)
    else:
        from moviegen.services.export.timeline_otio import cut

        name, data = cut(project, fmt)
    path = locations.exports_dir(project.path) / f"{name}.{fmt}"
    atomic.write_bytes(path, data)
    return [path]
