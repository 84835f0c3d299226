"""The cut of the last render as OpenTimelineIO, a CMX 3600 EDL and FCPXML.

Made from the last render's report (``renders/<film>.json``), which names every shot's place on the film's
clock and the files the render kept:

- ``V1 shots``: one clip per shot, its media the shot's encoded segment (``assets/<sha256>.mp4``, exactly the
  shot's frames), with the storyboard still as a second media reference (``still``);
- ``A1 voices``: every spoken line, its media the line's voice (``assets/<sha256>.wav``), placed on the frame
  nearest its start (the exact time is in the clip's metadata);
- ``A2 mix``: the finished soundtrack (dialogue, score and ambience) as one clip over the whole film.

The report is read once into a ``Cut`` (plain data: every clip's frames and media URL) that all three formats
are written from (``cuts`` writes several from one reading), each by a writer of ours: ``otio_json.py`` the
text OTIO writes for this timeline (built through OTIO's Python API: 55 ms for 500 shots at load 1.4; ours
about 10), ``edl.py`` the text OTIO's ``cmx_3600`` adapter writes (78 ms; ours a few), ``fcpxml.py`` FCPXML 1.9
(OTIO's ``fcpx_xml`` adapter is quadratic: 25 s for 500 shots; ours milliseconds). The tests hold the first two to OTIO's text byte for
byte and read all three back through OTIO's adapters.

The film itself, its subtitles and the report are named in the timeline's metadata (``moviegen``). Media are
absolute ``file://`` URLs: FCPXML requires them and editors open them as they are; the asset names are
content hashes, unique in the project, so after a move an editor relinks by file name. The per-scene score
cues are not placed in the report, so they are not tracks of their own (the mix carries them).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

from moviegen.core import locations
from moviegen.core.errors import ProjectStateError, RenderError, UsageError
from moviegen.core.project import Project

# the OTIO adapter that reads each format (and writes the first two; FCPXML is written by fcpxml.py)
ADAPTERS = {"otio": "otio_json", "edl": "cmx_3600", "fcpxml": "fcpx_xml"}


@dataclass(slots=True)
class Shot:
    name: str
    start: int  # frame on the film's clock
    frames: int
    media: str  # file:// URL of the shot's segment
    still: str  # file:// URL of its storyboard still
    meta: dict[str, Any]


@dataclass(slots=True)
class Voice:
    name: str
    start: int  # frame on the film's clock
    frames: int  # whole frames, never past the end of the file
    seconds: float  # the file's exact length
    media: str
    meta: dict[str, Any]


@dataclass(slots=True)
class Cut:
    """One render's cut as plain data, in frames of ``fps``."""

    title: str
    fps: int
    frames: int
    width: int | None
    height: int | None
    mix: str | None  # file:// URL of the soundtrack, over the whole film
    meta: dict[str, Any]
    shots: list[Shot] = field(default_factory=list)
    voices: list[Voice] = field(default_factory=list)


def last_render(project: Project) -> tuple[Path, dict[str, Any]]:
    """The newest render report of the project and its path; ProjectStateError when there is none."""
    reports = []
    for path in locations.renders_dir(project.path).glob("*.json"):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(report, dict) and isinstance(report.get("shots"), list) and report.get("fps"):
            reports.append((path.stat().st_mtime_ns, path.name, path, report))
    if not reports:
        raise ProjectStateError(f"{project.slug} has no render yet, so there is no cut to export",
                                f"render it first: 'moviegen render {project.slug}'")  # fmt: skip
    _, _, path, report = max(reports)
    return path, report


def read_cut(project: Project, report_path: Path, report: dict[str, Any]) -> Cut:
    """The cut of one render report: the shots in order, the voiced lines placed on whole frames one after
    another (a line never overlaps the one before it on the voices' track), the mix."""
    fps = report["fps"]
    url = _urls(project.path)
    film = report_path.with_suffix(".mp4")
    cut = Cut(title=project.info.title or project.slug, fps=fps, frames=report["frames"], width=report.get("width"),
              height=report.get("height"), mix=url(report["mix"]) if report.get("mix") else None,
              meta={"project": project.slug, "film": _url(film),
                    "subtitles": [_url(film.with_suffix(s)) for s in (".srt", ".vtt")], "report": _url(report_path),
                    "width": report.get("width"), "height": report.get("height"), "fps": fps})  # fmt: skip
    for shot in report["shots"]:
        cut.shots.append(Shot(f"shot {shot['id']}", shot["start_frame"], shot["frames"], url(shot["segment"]),
                              url(shot["frame"]), {key: shot.get(key) for key in
                                                   ("id", "scene", "start_frame", "framing", "camera", "caption")}))  # fmt: skip
    lines = sorted(({**ln, "shot": shot["id"]} for shot in report["shots"] for ln in shot.get("lines", [])
                    if ln.get("voice")), key=lambda ln: ln["start"])  # fmt: skip
    at = 0
    for line in lines:
        start = max(at, round(line["start"] * fps))
        length = max(1, math.floor(line["duration"] * fps))
        cut.voices.append(Voice(f"{line['character']} {line['shot']}/{line.get('beat')}", start, length,
                                line["duration"], url(line["voice"]),
                                {key: line.get(key) for key in ("character", "text", "start", "duration", "beat")}))  # fmt: skip
        at = start + length
    return cut


def timeline(project: Project, report_path: Path, report: dict[str, Any]):
    """The cut of one render as an ``opentimelineio.schema.Timeline``."""
    return otio_timeline(read_cut(project, report_path, report))


def otio_timeline(cut: Cut):
    """``cut`` as an OTIO timeline: OTIO's reading of ``otio_json.otio_json(cut)`` (its C++ reader makes the
    objects in a fraction of the time the Python bindings take, which convert every metadata dict)."""
    import opentimelineio as otio

    from moviegen.services.export.otio_json import otio_json

    try:
        return otio.adapters.read_from_string(otio_json(cut), ADAPTERS["otio"])
    except otio.exceptions.OTIOError as exc:  # a report value OTIO cannot hold
        raise RenderError(f"OpenTimelineIO could not read the cut: {exc}",
                          "check renders/ for a damaged report, render again, or report this") from None  # fmt: skip


def cuts(project: Project, formats: tuple[str, ...] | list[str]) -> tuple[str, dict[str, bytes]]:
    """The last render's cut in each of ``formats`` (otio, edl, fcpxml), read once, and the film's name (the
    files' stem)."""
    unknown = [fmt for fmt in formats if fmt not in ADAPTERS]
    if unknown:
        raise UsageError(f"'{unknown[0]}' is not a format of the cut", f"use one of: {', '.join(ADAPTERS)}")
    report_path, report = last_render(project)
    cut = read_cut(project, report_path, report)
    written: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "fcpxml":
            from moviegen.services.export.fcpxml import fcpxml

            text = fcpxml(cut)
        elif fmt == "edl":
            from moviegen.services.export.edl import edl

            text = edl(cut)
        else:
            from moviegen.services.export.otio_json import otio_json

            text = otio_json(cut)
        written[fmt] = text.encode("utf-8")
    return report_path.stem, written


def cut(project: Project, fmt: str) -> tuple[str, bytes]:
    """The last render's cut in ``fmt`` (otio, edl or fcpxml), and the film's name (the file's stem)."""
    stem, written = cuts(project, (fmt,))
    return stem, written[fmt]


def _urls(root: Path):
    """A function from a path in the project (as the report names it) to its absolute ``file://`` URL, the same
    as ``(root / rel).resolve().as_uri()`` for the project's own files (they are never symbolic links) without
    a system call per file: the project folder is resolved once."""
    base = str(root.resolve())

    def url(rel: str) -> str:
        return "file://" + quote_from_bytes(os.fsencode(os.path.normpath(os.path.join(base, rel))))

    return url


def _url(path: Path) -> str:
    return path.resolve().as_uri()
