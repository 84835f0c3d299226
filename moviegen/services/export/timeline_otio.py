"""The cut as an OpenTimelineIO timeline, and through OTIO's adapters as a CMX 3600 EDL and an FCPXML.

Made from the last render's report (``renders/<film>.json``), which names every shot's place on the film's
clock and the files the render kept:

- ``V1 shots``: one clip per shot, its media the shot's encoded segment (``assets/<sha256>.mp4``, exactly the
  shot's frames), with the storyboard still as a second media reference (``still``);
- ``A1 voices``: every spoken line, its media the line's voice (``assets/<sha256>.wav``), placed on the frame
  nearest its start (the exact time is in the clip's metadata);
- ``A2 mix``: the finished soundtrack (dialogue, score and ambience) as one clip over the whole film.

The film itself, its subtitles and the report are named in the timeline's metadata (``moviegen``). Media are
absolute ``file://`` URLs: FCPXML requires them and editors open them as they are; the asset names are
content hashes, unique in the project, so after a move an editor relinks by file name. The per-scene score
cues are not in the report, so they are not tracks of their own (the mix carries them).
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from moviegen.core import locations
from moviegen.core.errors import ProjectStateError, RenderError
from moviegen.core.project import Project

ADAPTERS = {"otio": "otio_json", "edl": "cmx_3600", "fcpxml": "fcpx_xml"}


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


def timeline(project: Project, report_path: Path, report: dict[str, Any]):
    """The cut of one render as an ``opentimelineio.schema.Timeline``."""
    import opentimelineio as otio

    fps = report["fps"]
    film = report_path.with_suffix(".mp4")
    tl = otio.schema.Timeline(name=project.info.title or project.slug)
    tl.global_start_time = otio.opentime.RationalTime(0, fps)
    tl.metadata["moviegen"] = {
        "project": project.slug,
        "film": _url(film),
        "subtitles": [_url(film.with_suffix(s)) for s in (".srt", ".vtt")],
        "report": _url(report_path),
        "width": report.get("width"),
        "height": report.get("height"),
        "fps": fps,
    }
    tl.tracks.append(_shots(project, report, fps))
    tl.tracks.append(_voices(project, report, fps))
    mix = otio.schema.Track(name="A2 mix", kind=otio.schema.TrackKind.Audio)
    if report.get("mix"):
        whole = _range(0, report["frames"], fps)
        mix.append(otio.schema.Clip(name="mix", source_range=whole, media_reference=otio.schema.ExternalReference(
            target_url=_url(project.path / report["mix"]), available_range=whole)))  # fmt: skip
    tl.tracks.append(mix)
    return tl


def _shots(project: Project, report: dict[str, Any], fps: int):
    import opentimelineio as otio

    track = otio.schema.Track(name="V1 shots", kind=otio.schema.TrackKind.Video)
    at = 0
    for shot in report["shots"]:
        if shot["start_frame"] > at:
            track.append(otio.schema.Gap(source_range=_range(0, shot["start_frame"] - at, fps)))
        span = _range(0, shot["frames"], fps)
        clip = otio.schema.Clip(name=_label(f"shot {shot['id']}"), source_range=span)
        segment = otio.schema.ExternalReference(target_url=_url(project.path / shot["segment"]), available_range=span)
        still = otio.schema.ExternalReference(target_url=_url(project.path / shot["frame"]), available_range=span)
        clip.set_media_references({otio.schema.Clip.DEFAULT_MEDIA_KEY: segment, "still": still},
                                  otio.schema.Clip.DEFAULT_MEDIA_KEY)  # fmt: skip
        clip.metadata["moviegen"] = {key: shot.get(key) for key in
                                     ("id", "scene", "start_frame", "framing", "camera", "caption")}  # fmt: skip
        track.append(clip)
        at = shot["start_frame"] + shot["frames"]
    return track


def _voices(project: Project, report: dict[str, Any], fps: int):
    import opentimelineio as otio

    track = otio.schema.Track(name="A1 voices", kind=otio.schema.TrackKind.Audio)
    lines = sorted(({**ln, "shot": shot["id"]} for shot in report["shots"] for ln in shot.get("lines", [])
                    if ln.get("voice")), key=lambda ln: ln["start"])  # fmt: skip
    at = 0
    for line in lines:
        start = max(at, round(line["start"] * fps))
        length = max(1, math.floor(line["duration"] * fps))  # whole frames, never past the end of the file
        if start > at:
            track.append(otio.schema.Gap(source_range=_range(0, start - at, fps)))
        media = otio.opentime.TimeRange(otio.opentime.RationalTime(0, fps),
                                        otio.opentime.RationalTime(line["duration"] * fps, fps))  # fmt: skip
        clip = otio.schema.Clip(name=_label(f"{line['character']} {line['shot']}/{line.get('beat')}"),
                                source_range=_range(0, length, fps),
                                media_reference=otio.schema.ExternalReference(
                                    target_url=_url(project.path / line["voice"]), available_range=media))  # fmt: skip
        clip.metadata["moviegen"] = {key: line.get(key) for key in ("character", "text", "start", "duration", "beat")}
        track.append(clip)
        at = start + length
    return track


def cut(project: Project, fmt: str) -> tuple[str, bytes]:
    """The last render's cut in ``fmt`` (otio, edl or fcpxml), and the film's name (the file's stem)."""
    import opentimelineio as otio

    report_path, report = last_render(project)
    tl = timeline(project, report_path, report)
    try:
        text = otio.adapters.write_to_string(tl, ADAPTERS[fmt])
    except otio.exceptions.OTIOError as exc:
        raise RenderError(f"OpenTimelineIO could not write the cut as {fmt}: {exc}",
                          "export as otio and convert it with otioconvert, or report this") from None  # fmt: skip
    if fmt == "fcpxml":
        text = _sized_formats(text, report)
    return report_path.stem, text.encode("utf-8")


def _sized_formats(text: str, report: dict[str, Any]) -> str:
    """The FCPXML with the film's frame size on every ``format``: the adapter asks ffprobe for it and leaves the
    name empty without it; an empty format makes Final Cut guess."""
    doc = ET.fromstring(text)
    for element in doc.iter("format"):
        if not element.get("name"):
            element.attrib.pop("name", None)
            element.set("width", str(report["width"]))
            element.set("height", str(report["height"]))
    body = ET.tostring(doc, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE fcpxml>\n' + body + "\n"


def _range(start: int, frames: int | float, fps: int):
    import opentimelineio as otio

    return otio.opentime.TimeRange(otio.opentime.RationalTime(start, fps), otio.opentime.RationalTime(frames, fps))


def _label(text: str) -> str:
    """A clip name the FCPXML adapter can look up (it puts names in XPath predicates between straight
    quotes), typographic quotes instead."""
    return text.replace("'", "\u2019").replace('"', "\u201d")


def _url(path: Path) -> str:
    return path.resolve().as_uri()
