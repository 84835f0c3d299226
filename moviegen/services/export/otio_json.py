"""The cut as OpenTimelineIO's JSON (``.otio``): the text OTIO writes for the cut's timeline, written here.

The text is filled into templates, one per kind of item, made once from OTIO's layout (four spaces an indent,
its key order, metadata keys sorted): about 10 ms of CPU for 500 shots, where building the timeline through
OTIO's Python API costs 50 µs a clip in converting metadata dicts (55 ms in all at load 1.4, 346 ms at load 9.5)
and handing OTIO's C++ reader and writer a JSON document still 45 ms. The tests hold the text to OTIO's own for
the same timeline built through its Python API, byte for byte. Differences that can remain are cosmetic: now
and then OTIO's C++ float writer (Grisu2) gives 17 digits where Python gives the shortest that reads back to the
same value, and it writes a control character's escape in capitals."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moviegen.services.export.timeline_otio import Cut

_str = json.encoder.encode_basestring  # "…" with only what JSON needs escaped (UTF-8 kept), as OTIO writes
_SLOT = "@@"  # marks a slot in a template (json.dumps would escape a control character)
_CHILD = 5  # indent depth of a track's children


def otio_json(cut: Cut) -> str:
    """``cut`` as an OTIO file: tracks ``V1 shots``, ``A1 voices``, ``A2 mix`` (see ``timeline_otio``)."""
    rate = repr(float(cut.fps))
    shot, voice, gap, mix = (_template(kind) for kind in ("shot", "voice", "gap", "mix"))
    shots, at = [], 0
    for s in cut.shots:
        if s.start > at:
            shots.append(gap.format(rate=rate, frames=repr(float(s.start - at))))
        shots.append(shot.format(rate=rate, name=_str(s.name), meta=_meta({"moviegen": s.meta}, _CHILD + 1),
                                 frames=repr(float(s.frames)), media=_str(s.media), still=_str(s.still)))  # fmt: skip
        at = s.start + s.frames
    voices, at = [], 0
    for v in cut.voices:
        if v.start > at:
            voices.append(gap.format(rate=rate, frames=repr(float(v.start - at))))
        voices.append(voice.format(rate=rate, name=_str(v.name), meta=_meta({"moviegen": v.meta}, _CHILD + 1),
                                   frames=repr(float(v.frames)), media=_str(v.media),
                                   length=_float(float(v.seconds * cut.fps))))  # fmt: skip
        at = v.start + v.frames
    mixes = [mix.format(rate=rate, frames=repr(float(cut.frames)), media=_str(cut.mix))] if cut.mix else []
    tracks = [_template("track").format(name=_str(name), kind=_str(kind), children=_children(items))
              for name, kind, items in (("V1 shots", "Video", shots), ("A1 voices", "Audio", voices),
                                        ("A2 mix", "Audio", mixes))]  # fmt: skip
    return _template("timeline").format(rate=rate, name=_str(cut.title), meta=_meta({"moviegen": cut.meta}, 1),
                                        tracks=",\n".join(tracks))  # fmt: skip


def _children(items: list[str]) -> str:
    if not items:
        return "[]"
    return "[\n" + ",\n".join(items) + "\n" + "    " * (_CHILD - 1) + "]"


def _meta(meta: dict[str, Any], depth: int) -> str:
    """A metadata dict as OTIO writes it at ``depth``: keys sorted (OTIO keeps them in a map), scalars written
    here (a tenth of ``json.dumps``'s time for the cut's small dicts), anything else by ``json.dumps``."""
    if not meta:
        return "{}"
    inner = "    " * (depth + 1)
    items = [f"{inner}{_str(str(key))}: {_meta(value, depth + 1) if isinstance(value, dict) else _scalar(value, depth + 1)}"
             for key, value in sorted(meta.items())]  # fmt: skip
    return "{\n" + ",\n".join(items) + "\n" + "    " * depth + "}"


def _scalar(value: Any, depth: int) -> str:
    if isinstance(value, str):
        return _str(value)
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float) and math.isfinite(value):
        return _float(value)
    return json.dumps(value, indent=4, sort_keys=True, ensure_ascii=False).replace("\n", "\n" + "    " * depth)


@cache
def _template(kind: str) -> str:
    """The text of one kind of item with ``{slots}`` for what changes, laid out by ``json.dumps`` as OTIO lays
    out its files, indented for where the item goes."""

    def slot(name: str) -> str:
        return f"{_SLOT}{name}{_SLOT}"

    def rt(value: str) -> dict[str, Any]:
        return {"OTIO_SCHEMA": "RationalTime.1", "rate": slot("rate"), "value": slot(value)}

    def span(frames: str) -> dict[str, Any]:
        return {"OTIO_SCHEMA": "TimeRange.1", "duration": rt(frames), "start_time": rt("zero")}

    def item(schema: str, name: Any, metadata: Any, **more: Any) -> dict[str, Any]:
        return {"OTIO_SCHEMA": schema, "metadata": metadata, "name": name, "source_range": span("frames"),
                "effects": [], "markers": [], "enabled": True, "color": None, **more}  # fmt: skip

    def ref(url: str, frames: str) -> dict[str, Any]:
        return {"OTIO_SCHEMA": "ExternalReference.1", "metadata": {}, "name": "", "available_range": span(frames),
                "available_image_bounds": None, "target_url": slot(url)}  # fmt: skip

    def clip(metadata: Any, refs: dict[str, Any]) -> dict[str, Any]:
        return item("Clip.2", slot("name"), metadata, media_references=refs, active_media_reference_key="DEFAULT_MEDIA")

    depth = _CHILD
    if kind == "shot":
        doc = clip(slot("meta"), {"DEFAULT_MEDIA": ref("media", "frames"), "still": ref("still", "frames")})
    elif kind == "voice":
        doc = clip(slot("meta"), {"DEFAULT_MEDIA": ref("media", "length")})
    elif kind == "mix":
        doc = item("Clip.2", "mix", {}, media_references={"DEFAULT_MEDIA": ref("media", "frames")},
                   active_media_reference_key="DEFAULT_MEDIA")  # fmt: skip
    elif kind == "gap":
        doc = item("Gap.1", "", {})
    elif kind == "track":
        depth = _CHILD - 2
        doc = {"OTIO_SCHEMA": "Track.1", "metadata": {}, "name": slot("name"), "source_range": None, "effects": [],
               "markers": [], "enabled": True, "color": None, "children": slot("children"), "kind": slot("kind")}  # fmt: skip
    else:
        depth = 0
        stack = {"OTIO_SCHEMA": "Stack.1", "metadata": {}, "name": "tracks", "source_range": None, "effects": [],
                 "markers": [], "enabled": True, "color": None, "children": slot("tracks")}  # fmt: skip
        doc = {"OTIO_SCHEMA": "Timeline.1", "metadata": slot("meta"), "name": slot("name"),
               "global_start_time": rt("zero"), "tracks": stack}  # fmt: skip
    text = json.dumps(doc, indent=4, ensure_ascii=False)
    pad = "    " * depth
    text = pad + text.replace("\n", "\n" + pad)
    if kind == "timeline":  # the tracks go in as they are, each already indented
        text = text.replace(f'"{slot("tracks")}"', f"[\n{slot('tracks')}\n" + "    " * (_CHILD - 3) + "]")
    text = text.replace("{", "{{").replace("}", "}}").replace(f'"{slot("zero")}"', "0.0")
    for name in ("rate", "frames", "length", "name", "meta", "media", "still", "kind", "children", "tracks"):
        text = text.replace(f'"{slot(name)}"', "{" + name + "}").replace(slot(name), "{" + name + "}")
    return text


def _float(value: float) -> str:
    """A finite float as OTIO (RapidJSON) writes it: the shortest digits that read back to it, as Python's repr,
    but positional from 1e-6 up to below 1e21 (``0.000025``, ``1e16`` as ``10000000000000000.0``) and without
    the exponent's sign and zeros elsewhere (``1e-7``, ``1e21``)."""
    text = float.__repr__(value)
    if "e" not in text:
        return text
    digits, exponent = text.split("e")
    if -6 <= int(exponent) <= 20:
        text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    return f"{digits}e{int(exponent)}"
