"""The production view of a screenplay: scenes with ordered beats, and the cast it names."""

from __future__ import annotations

import re

from moviegen.core.fountain.model import ElementType, Screenplay, plain_text
from moviegen.core.fountain.rules import cue_name
from moviegen.core.models import Beat, Character, Scene

_T = ElementType
_HEADING_RE = re.compile(r"^(?P<set>INT\.?/EXT\.?|INT/EXT|I/E|INT|EXT|EST)[. ]\s*(?P<rest>.*)$", re.I)
INTRO_RE = re.compile(r"\b([A-Z][A-Z'\-]+(?: [A-Z][A-Z'\-]+)*) \(([^)]*)\)")


def parse_heading(heading: str) -> tuple[str, str, str]:
    """'EXT. LANTERN ROAD - HILLSIDE - LATER' -> ('EXT', 'LANTERN ROAD - HILLSIDE', 'LATER')."""
    m = _HEADING_RE.match(heading.strip())
    if not m:
        return "INT", heading.strip(), ""
    raw = m.group("set").upper().rstrip(".")
    setting = "INT/EXT" if "/" in raw else ("EXT" if raw in ("EXT", "EST") else "INT")
    parts = [p.strip() for p in m.group("rest").split(" - ")]
    if len(parts) > 1:
        return setting, " - ".join(parts[:-1]), parts[-1].upper()
    return setting, parts[0], ""


def scenes_of(screenplay: Screenplay) -> list[Scene]:
    scenes: list[Scene] = []
    pending_paren: str | None = None
    speaker: tuple[str, str | None] | None = None
    for element in screenplay.elements:
        if element.type is _T.SCENE_HEADING:
            setting, location, time = parse_heading(element.text)
            scenes.append(
                Scene(
                    id=element.scene_number or str(len(scenes) + 1),
                    heading=element.text,
                    setting=setting,  # type: ignore[arg-type]
                    location=location,
                    time_of_day=time,
                    continuous=time == "CONTINUOUS",
                    line=element.line,
                )
            )
            speaker = None
            continue
        if not scenes:
            continue
        scene = scenes[-1]
        if element.type is _T.ACTION:
            text = plain_text(element.text)
            if text:
                scene.beats.append(Beat(kind="action", index=len(scene.beats), text=text, line=element.line))
            speaker = None
        elif element.type is _T.CHARACTER:
            name = cue_name(element.text)
            ext = element.text[len(name) :].strip().strip("()") or None
            speaker, pending_paren = (name, ext), None
        elif element.type is _T.PARENTHETICAL:
            pending_paren = element.text.strip("() ")
        elif element.type is _T.DIALOGUE and speaker:
            text = plain_text(element.text)
            if text:
                scene.beats.append(
                    Beat(
                        kind="dialogue",
                        index=len(scene.beats),
                        text=text,
                        character=speaker[0],
                        extension=speaker[1],
                        parenthetical=pending_paren,
                        line=element.line,
                    )
                )
            pending_paren = None
    return scenes


def speakers(scenes: list[Scene]) -> list[str]:
    """Everyone who has a line, in the order of their first line."""
    seen: dict[str, None] = {}
    for scene in scenes:
        for name in scene.speakers():
            seen.setdefault(name)
    return list(seen)


def cast_of(screenplay: Screenplay, scenes: list[Scene] | None = None) -> list[Character]:
    """Characters who speak, with the description given where the action introduces them."""
    scenes = scenes if scenes is not None else scenes_of(screenplay)
    intros: dict[str, str] = {}
    for scene in scenes:
        for beat in scene.beats:
            if beat.kind == "action":
                for full, desc in INTRO_RE.findall(beat.text):
                    intros.setdefault(full, desc)
    cast: dict[str, Character] = {}
    for scene in scenes:
        for name in scene.speakers():
            if name in cast:
                continue
            full = next((f for f in intros if f == name or f.split()[0] == name), None)
            look = intros.get(full, "") if full else ""
            cast[name] = Character(name=name, look=look, role="")
    return list(cast.values())
