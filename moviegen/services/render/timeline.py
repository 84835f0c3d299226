"""The timeline: every shot, line and scene placed on a frame-exact clock.

Built in two passes: ``draft`` knows what must be spoken (the voice jobs);
``finalize`` knows how long each line really is and places everything. Shot
durations are the plan's, lengthened only when a line's real speech needs more.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

from pydantic import BaseModel, Field

from moviegen.core.errors import ShotListError
from moviegen.core.models import FilmFormat, Scene, Shot
from moviegen.services.casting import Role

LEAD_IN = 0.35  # seconds of picture before a shot's first line
GAP = 0.3  # between lines in one shot
TAIL = 0.45  # after the last line
_RELATIVE_TIMES = {"CONTINUOUS", "LATER", "MOMENTS LATER", "SAME", "SAME TIME", "CONT'D", ""}
_MOODS = {
    "tense": r"flood|race|gone|rain|storm|hurry|minutes|run|closed|blocks?|fail|lose|warning|barrier|answer me",
    "mysterious": r"secret|shadow|door|archive|clue|ledger|torn|bricked|whisper|photograph|floorboard",
    "melancholy": r"alone|miss|lost|funeral|leaving|goodbye|empty|years|never",
    "warm": r"together|home|smile|laugh|coffee|kitchen|family|friend|cake|stay",
    "triumphant": r"beam|sweeps?|light|cheer|prize|works|clap|follow the light|morning",
}


def content_key(*parts: object) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


class LineCue(BaseModel):
    shot: str
    beat: int
    character: str
    text: str
    voice_key: str
    narration: bool = False  # read from the action by the narrator: voiced, not subtitled
    start: float = 0.0  # seconds from film start
    duration: float = 0.0
    # when the words start and end within the line's audio, as the speech provider measured them (its character
    # alignment); None: the whole clip is speech (eSpeak trims its silence)
    spoken: tuple[float, float] | None = None


class ShotCut(BaseModel):
    shot: Shot
    scene: str
    location: str
    setting: str
    time_of_day: str
    caption: str
    lines: list[LineCue] = Field(default_factory=list)
    start_frame: int = 0
    frames: int = 0


class SceneSpan(BaseModel):
    id: str
    start_frame: int
    frames: int
    mood: str
    rain: bool
    exterior: bool


class Timeline(BaseModel):
    fmt: FilmFormat
    width: int
    height: int
    key: str  # musical key, stable across the film
    tempo: int
    shots: list[ShotCut]
    scenes: list[SceneSpan] = Field(default_factory=list)
    total_frames: int = 0
    lengthened: list[str] = Field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.total_frames / self.fmt.fps


def effective_times(scenes: list[Scene]) -> dict[str, str]:
    times: dict[str, str] = {}
    previous = "DAY"
    for scene in scenes:
        t = (scene.time_of_day or "").upper()
        t = previous if t in _RELATIVE_TIMES else t
        times[scene.id] = previous = t
    return times


def scene_mood(scene: Scene, time_of_day: str, last: bool) -> str:
    text = " ".join(b.text for b in scene.beats).lower()
    scores = {m: len(re.findall(p, text)) for m, p in _MOODS.items()}
    if time_of_day == "NIGHT":
        scores["tense"] += 1
        scores["mysterious"] += 1
    if last:
        scores["triumphant"] += 2
        scores["warm"] += 1
    return max(scores.items(), key=lambda kv: (kv[1], kv[0] == "warm"))[0]


def voice_key(text: str, role: Role, seed: int) -> str:
    """What a line's voice is made of: the words and the role's voice (with its online voices, when it has
    some: recasting one re-speaks only that character's lines)."""
    if role.voices:
        return content_key("voice", text, role.voice, role.pitch, role.rate, seed, sorted(role.voices.items()))
    return content_key("voice", text, role.voice, role.pitch, role.rate, seed)


def draft(
    scenes: list[Scene],
    shots: list[Shot],
    roles: dict[str, Role],
    fmt: FilmFormat,
    seed: int,
    premise: str,
    narrator: Role | None = None,
) -> Timeline:
    by_id = {s.id: s for s in scenes}
    times = effective_times(scenes)
    cuts: list[ShotCut] = []
    for shot in shots:
        scene = by_id.get(shot.scene)
        if scene is None:
            raise ShotListError(
                f"shot {shot.id} belongs to scene {shot.scene}, which the screenplay no longer has",
                "re-run 'moviegen plan' to bring the shot list in line with the screenplay",
            )
        beats = [b for b in scene.beats if b.index in shot.beats]
        caption = " ".join(b.text for b in beats if b.kind == "action")
        cut = ShotCut(
            shot=shot,
            scene=scene.id,
            location=scene.location,
            setting=scene.setting,
            time_of_day=times[scene.id],
            caption=caption,
        )
        for b in beats:
            if b.kind == "dialogue" and b.character:
                role = roles[b.character]
                key = voice_key(b.text, role, seed)
                cut.lines.append(LineCue(shot=shot.id, beat=b.index, character=b.character, text=b.text, voice_key=key))
        if narrator is not None and not cut.lines and caption:
            key = voice_key(caption, narrator, seed)
            first = next(b.index for b in beats if b.kind == "action")
            cut.lines.append(
                LineCue(shot=shot.id, beat=first, character=narrator.name, text=caption, voice_key=key, narration=True)
            )
        cuts.append(cut)
    covered = {(c.scene, b) for c in cuts for b in c.shot.beats}
    missing = [f"{s.id}:{b.index}" for s in scenes for b in s.dialogue if (s.id, b.index) not in covered]
    if missing:
        raise ShotListError(
            f"{len(missing)} dialogue line(s) are in no shot (scene:line {', '.join(missing[:5])})",
            "re-run 'moviegen plan', or add the line positions to a shot's 'beats' in shots.toml",
        )
    w, h = fmt.size()
    digest = hashlib.sha256(f"{seed}{premise}".encode()).digest()
    return Timeline(fmt=fmt, width=w, height=h, key="CDEFGA"[digest[0] % 6], tempo=72 + digest[1] % 25, shots=cuts)


def finalize(tl: Timeline, speech: dict[str, float], scenes: list[Scene],
             spoken: dict[str, tuple[float, float]] | None = None) -> Timeline:  # fmt: skip
    """``speech``: each voice's length in seconds; ``spoken``: where its words start and end, for voices whose
    provider measured it (the subtitles show exactly that span)."""
    fps = tl.fmt.fps
    spoken = spoken or {}
    frame, clock = 0, 0.0  # cuts fall on the frame nearest the running time: the film stays within
    for cut in tl.shots:  # half a frame of the plan, however many shots it has
        t = LEAD_IN
        for line in cut.lines:
            line.duration = speech[line.voice_key]
            line.spoken = spoken.get(line.voice_key)
            line.start = frame / fps + t
            t += line.duration + GAP
        needed = t - GAP + TAIL if cut.lines else 0.0
        if needed > cut.shot.duration + 1e-6:
            tl.lengthened.append(f"{cut.shot.id}: {cut.shot.duration:.2f}s -> {needed:.2f}s")
            end = frame + math.ceil(needed * fps - 1e-6)  # every frame the speech needs
            clock = end / fps
        else:
            clock += cut.shot.duration
            end = max(frame + 1, round(clock * fps))
        cut.start_frame, cut.frames = frame, end - frame
        frame = end
    tl.total_frames = frame
    times = effective_times(scenes)
    order = [s.id for s in scenes]
    for i, scene in enumerate(scenes):
        cuts = [c for c in tl.shots if c.scene == scene.id]
        if not cuts:
            continue
        words = " ".join(b.text for b in scene.beats).lower() + " " + scene.location.lower()
        tl.scenes.append(
            SceneSpan(
                id=scene.id,
                start_frame=cuts[0].start_frame,
                frames=sum(c.frames for c in cuts),
                mood=scene_mood(scene, times[scene.id], i == len(order) - 1),
                rain=bool(re.search(r"\b(rain|storm|flood|downpour)", words)),
                exterior=scene.setting != "INT",
            )
        )
    return tl
