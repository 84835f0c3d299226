"""Continuity check: contradictions in the screenplay and shot list, found before anything is generated.

Reads the same story graph the brain stores (services.story_graph) plus the
scenes themselves. Each finding names the scene (and shot) it is about.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from moviegen.core import locations, shotlist
from moviegen.core.errors import ShotListError
from moviegen.core.project import Project
from moviegen.core.scenes import INTRO_RE, scenes_of
from moviegen.services.planner import present_characters
from moviegen.services.story_graph import prop_actions

_DAY = re.compile(r"\b(sunlight|sunshine|sunlit|noon|midday|daylight|morning sun|blazing sun)\b", re.I)
_NIGHT = re.compile(r"\b(moon|moonlight|moonlit|midnight|starlight|stars|pitch dark|streetlights?)\b", re.I)
_LEAVES = re.compile(r"\b(leaves|exits|walks out|storms out|is gone|disappears|slips away|drives off)\b", re.I)
_ENTERS = re.compile(r"\b(enters|returns|comes back|reappears|steps in|bursts in)\b", re.I)
_NIGHT_TIMES = {"NIGHT", "MIDNIGHT", "EVENING", "DUSK"}
_DAY_TIMES = {"DAY", "MORNING", "NOON", "AFTERNOON", "DAWN"}


class Finding(BaseModel):
    kind: Literal["description", "prop", "time_of_day", "absent_speaker", "shot_cast"]
    message: str
    scene: str
    shot: str | None = None
    character: str | None = None
    prop: str | None = None
    line: int = 0


def _first(name: str) -> str:
    return name.split()[0].upper()


def continuity_check(project: Project) -> list[Finding]:
    scenes = scenes_of(project.screenplay())
    cast = project.cast()
    names = [c.name for c in cast]
    findings: list[Finding] = []

    # 1. a character described differently from one introduction to the next
    seen: dict[str, tuple[str, str]] = {}
    for scene in scenes:
        for beat in scene.beats:
            if beat.kind != "action":
                continue
            for full, desc in INTRO_RE.findall(beat.text):
                who = _first(full)
                if who in seen and _norm(seen[who][1]) != _norm(desc):
                    findings.append(Finding(
                        kind="description", scene=scene.id, character=who, line=beat.line,
                        message=f"{who.title()} is '{desc}' in scene {scene.id} but was '{seen[who][1]}' in scene "
                        f"{seen[who][0]}",
                    ))  # fmt: skip
                seen.setdefault(who, (scene.id, desc))

    # 2. props in hand at the end of a scene, gone in the CONTINUOUS scene after it
    held: dict[str, dict[str, str]] = {}  # scene id -> {prop head noun: character}
    for scene in scenes:
        hands: dict[str, str] = {}
        last = None
        for beat in scene.beats:
            if beat.kind != "action":
                continue
            for who, verb, prop in prop_actions(beat.text, names, last):
                head = prop.split()[-1]
                if verb == "RELEASES":
                    hands.pop(head, None)
                else:
                    hands[head] = who
            for n in names:
                if re.search(rf"\b{re.escape(n.split()[0])}\b", beat.text, re.I):
                    last = n
        held[scene.id] = hands
    for before, after in zip(scenes, scenes[1:], strict=False):
        if not after.continuous:
            continue
        text = " ".join(b.text for b in after.beats).lower()
        present = set(present_characters(after, cast))
        for prop, who in held[before.id].items():
            if who in present and not re.search(rf"\b{re.escape(prop)}", text):
                findings.append(Finding(
                    kind="prop", scene=after.id, character=who, prop=prop, line=after.line,
                    message=f"{who.title()} has the {prop} at the end of scene {before.id}; scene {after.id} "
                    f"continues straight on and the {prop} is gone",
                ))  # fmt: skip

    # 3. time of day jumping inside continuous action
    time_now = ""
    for scene in scenes:
        if not scene.continuous and scene.time_of_day not in ("LATER", "MOMENTS LATER", "CONTINUOUS", ""):
            time_now = scene.time_of_day
        if scene.continuous and time_now:
            text = " ".join(b.text for b in scene.beats if b.kind == "action")
            if time_now in _NIGHT_TIMES and (m := _DAY.search(text)):
                clash = m.group(0)
            elif time_now in _DAY_TIMES and (m := _NIGHT.search(text)):
                clash = m.group(0)
            else:
                continue
            findings.append(Finding(
                kind="time_of_day", scene=scene.id, line=scene.line,
                message=f"scene {scene.id} continues a {time_now.lower()} scene, but its action has '{clash}'",
            ))  # fmt: skip

    # 4. someone speaking after the action said they left
    for scene in scenes:
        gone: set[str] = set()
        for beat in scene.beats:
            if beat.kind == "action":
                for n in names:
                    first = n.split()[0]
                    if re.search(rf"\b{re.escape(first)}\b[^.!?]*{_LEAVES.pattern}", beat.text, re.I):
                        gone.add(n)
                    elif re.search(rf"\b{re.escape(first)}\b[^.!?]*{_ENTERS.pattern}", beat.text, re.I):
                        gone.discard(n)
            elif beat.character in gone and (beat.extension or "").upper() not in ("V.O.", "O.S.", "O.C.", "PRE-LAP"):
                findings.append(Finding(
                    kind="absent_speaker", scene=scene.id, character=beat.character, line=beat.line,
                    message=f"{beat.character.title()} speaks in scene {scene.id} after leaving it "
                    f"('{beat.text[:60]}')",
                ))  # fmt: skip

    # 5. the shot list: a line spoken in a shot whose cast lacks the speaker
    try:
        shots = shotlist.load(locations.shots_file(project.path))
    except ShotListError:
        shots = []
    by_id = {s.id: s for s in scenes}
    for shot in shots:
        scene = by_id.get(shot.scene)
        if scene is None:
            continue
        for index in shot.beats:
            if index >= len(scene.beats):
                continue
            beat = scene.beats[index]
            offscreen = (beat.extension or "").upper() in ("V.O.", "O.S.", "O.C.")
            if beat.kind == "dialogue" and beat.character and not offscreen and beat.character not in shot.characters:
                findings.append(Finding(
                    kind="shot_cast", scene=scene.id, shot=shot.id, character=beat.character, line=beat.line,
                    message=f"{beat.character.title()} speaks in shot {shot.id} but is not among its characters "
                    f"({', '.join(c.title() for c in shot.characters) or 'none'})",
                ))  # fmt: skip
    return findings


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
