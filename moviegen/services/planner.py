"""Shot planning: scenes -> shots with framing, camera, subject, duration, prompt.

Durations come from the words each shot covers: dialogue at the speaker's own
voice rate (from casting) with its pauses and breathing room, action at a
reading pace, establishing shots long enough to take in the place.
"""

from __future__ import annotations

import re

from moviegen.core import locations, shotlist
from moviegen.core.errors import ProjectStateError, UsageError
from moviegen.core.models import Beat, CameraMove, Character, Framing, Scene, Shot, Stage
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of
from moviegen.services.casting import cast_roles, narrator
from moviegen.services.render.timeline import LEAD_IN, TAIL

READ_WPS = 3.2
PAUSE = 0.22  # seconds a voice pauses at a comma or full stop


SYLLABLES_PER_WORD = 1.45  # an average English word, the unit a voice's words-per-minute rate counts


def syllables(text: str) -> int:
    total = 0
    for word in re.findall(r"[a-z']+", text.lower()):
        groups = len(re.findall(r"[aeiouy]+", word))
        if word.endswith("e") and not word.endswith(("le", "ee")) and groups > 1:
            groups -= 1  # a silent final e
        total += max(1, groups)
    return total


def speech_seconds(text: str, rate_wpm: int) -> float:
    """A budget for speaking ``text`` at the speaker's voice rate, pauses included."""
    per_second = rate_wpm * SYLLABLES_PER_WORD / 60.0
    return syllables(text) / per_second * 1.1 + PAUSE * len(re.findall(r"[,.;:!?]+", text))


_HANDLING = re.compile(
    r"\b(sets?|opens?|lifts?|taps?|fits?|throws?|holds?|hands?|slides?|pins?|turns? over|checks?|picks? up|"
    r"unfolds?|drops?|grips?|raises?|places?|pours?|writes?|switch(?:es)?)\b",
    re.I,
)
_VISTA = re.compile(r"\b(across|sweeps?|far below|horizon|vanish(?:es)?|rises?|floods?|moons?|sky|valley)\b", re.I)
_OFFSCREEN = {"V.O.", "O.S.", "O.C.", "VO", "OS"}


def words(text: str) -> int:
    return len(re.findall(r"[\w'’-]+", text))


def present_characters(scene: Scene, cast: list[Character]) -> list[str]:
    names: dict[str, None] = {}
    for beat in scene.beats:
        if beat.kind == "dialogue" and beat.character and (beat.extension or "").upper() not in _OFFSCREEN:
            names.setdefault(beat.character)
        if beat.kind == "action":
            for c in cast:
                first = c.name.split()[0]
                if re.search(rf"\b{re.escape(first)}\b", beat.text, re.I):
                    names.setdefault(c.name)
    return list(names)


MAX_SHOT = next(m.le for m in Shot.model_fields["duration"].metadata if hasattr(m, "le"))  # core.models.Shot


def plan_scene(
    scene: Scene,
    cast: list[Character],
    *,
    last_scene: bool,
    style: str,
    rates: dict[str, int] | None = None,
    narration_rate: int | None = None,
) -> list[Shot]:
    def read_aloud(text: str) -> float:
        """Time for the narrator to read an action line (0 without narration)."""
        return speech_seconds(text, narration_rate) + LEAD_IN + TAIL if narration_rate else 0.0

    present = present_characters(scene, cast)
    looks = {c.name: c.look for c in cast}
    shots: list[Shot] = []
    beats = list(scene.beats)
    lead: list[Beat] = []
    while beats and beats[0].kind == "action" and len(lead) < 3:
        lead.append(beats.pop(0))
    establishing = sum(words(b.text) for b in lead) / READ_WPS + 1.5
    shots.append(
        _shot(
            scene,
            len(shots),
            Framing.WIDE,
            lead,
            present,
            max(3.0, min(establishing, 8.0), read_aloud(" ".join(b.text for b in lead))),
            CameraMove.PAN_RIGHT if int(scene.id.split(".")[0] or 0) % 2 else CameraMove.PUSH_IN,
            scene.location.title(),
            looks,
            style,
        )
    )
    for beat in beats:
        if beat.kind == "dialogue":
            on_screen = beat.character in present
            short_hot = words(beat.text) <= 8 and beat.text.rstrip().endswith(("!", "?"))
            framing = Framing.CLOSE if on_screen and (short_hot or beat.parenthetical) else Framing.MEDIUM
            subject = beat.character if on_screen else (", ".join(present) or scene.location.title())
            rate = (rates or {}).get(beat.character or "", 150)
            duration = speech_seconds(beat.text, rate) + LEAD_IN + TAIL + (0.4 if beat.parenthetical else 0.0)
            if duration > MAX_SHOT:  # one line is one shot: a speech longer than a shot may be cannot be planned
                raise UsageError(
                    f"{beat.character}'s line in scene {scene.id} ('{_first_sentence(beat.text)[:40]}...') runs "
                    f"{duration:.0f} s; a shot is at most {MAX_SHOT:.0f} s",
                    "split the speech into several lines (a cue before each part, or (CONT'D)) and plan again",
                )
            camera = CameraMove.PUSH_IN if framing is Framing.CLOSE else CameraMove.HOLD
            chars = [beat.character] if on_screen and beat.character else present
            shots.append(
                _shot(
                    scene, len(shots), framing, [beat], chars, max(2.0, duration), camera, subject or "", looks, style
                )
            )
        else:
            handling = bool(_HANDLING.search(beat.text))
            vista = bool(_VISTA.search(beat.text))
            framing = Framing.INSERT if handling and not vista else (Framing.WIDE if vista else Framing.MEDIUM)
            camera = {Framing.INSERT: CameraMove.PUSH_IN, Framing.WIDE: CameraMove.PAN_LEFT}.get(
                framing, CameraMove.HOLD
            )
            duration = max(2.5, min(words(beat.text) / READ_WPS + 1.2, 7.0), read_aloud(beat.text))
            subject = (
                _first_sentence(beat.text)
                if framing is Framing.INSERT
                else ", ".join(present) or scene.location.title()
            )
            shots.append(_shot(scene, len(shots), framing, [beat], present, duration, camera, subject, looks, style))
    if last_scene:
        shots[-1] = shots[-1].model_copy(
            update={"camera": CameraMove.PULL_OUT, "duration": max(shots[-1].duration, 4.0)}
        )
    return shots


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]


def _shot(
    scene: Scene,
    n: int,
    framing: Framing,
    beats: list[Beat],
    characters: list[str],
    duration: float,
    camera: CameraMove,
    subject: str,
    looks: dict[str, str],
    style: str,
) -> Shot:
    text = " ".join(b.text if b.kind == "action" else f'{b.character}: "{b.text}"' for b in beats)
    who = "; ".join(f"{c} ({looks[c]})" if looks.get(c) else c for c in characters)
    place = "interior" if scene.setting == "INT" else "exterior"
    prompt = (
        f"{framing.value} shot, {scene.location.lower()}, {place}, {(scene.time_of_day or 'day').lower()}. "
        f"{text} {('Characters: ' + who + '.') if who else ''} Style: {style}, cinematic lighting."
    ).strip()
    return Shot(
        id=f"{scene.id}.{n + 1}",
        scene=scene.id,
        framing=framing,
        camera=camera,
        subject=subject,
        characters=characters,
        beats=[b.index for b in beats],
        duration=round(duration, 2),
        prompt=prompt,
    )


def plan(project: Project, *, fresh: bool = False) -> dict[str, object]:
    if not project.has_screenplay():
        raise ProjectStateError(
            f"{project.slug} has no screenplay to plan from",
            f"run 'moviegen develop {project.slug}' or import one with 'moviegen import FILE'",
        )
    scenes = scenes_of(project.screenplay())
    cast = project.cast()
    speakers = [b.character for s in scenes for b in s.dialogue if b.character]
    roles = cast_roles(cast, speakers)
    rates = {name: role.rate for name, role in roles.items()}
    narration_rate = narrator(roles).rate if project.info.narration else None
    planned: dict[str, tuple[Scene, list[Shot]]] = {}
    for i, scene in enumerate(scenes):
        planned[scene.id] = (
            scene,
            plan_scene(
                scene,
                cast,
                last_scene=i == len(scenes) - 1,
                style=project.info.style,
                rates=rates,
                narration_rate=narration_rate,
            ),
        )
    counts = shotlist.save(locations.shots_file(project.path), planned, fresh=fresh)
    project.set_stage(Stage.PLANNED)
    shots = shotlist.load(locations.shots_file(project.path))
    return {"scenes": len(scenes), "shots": len(shots), "duration": round(sum(s.duration for s in shots), 2), **counts}
