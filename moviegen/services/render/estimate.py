"""What a render would do, without doing any of it: every step it would run — voices, frames, score cues, shot
segments, the mix, the film — keyed exactly as the render keys it (``pipeline.py``), and which of them the
project's step cache already holds. Nothing is written: the step cache is only read, and a project without an
index yet simply has nothing cached.

Voices and frames are exact: their keys depend only on the files. Score cues and segments also depend on how
long each line really is; a line that is still to be spoken is timed at the planner's budget for it, scaled to
the pace its voice speaks the project's other lines at, so when lines are missing the cached counts of those
steps are a good guess, not a certainty (a line that runs longer lengthens its shot, and what follows it is made
again). A line still to be spoken always means a new mix and a new film.

The keys here repeat the pipeline's; tests/cli/test_estimate.py renders after an estimate and holds the two to
the same counts, so a change to one that is not made to the other fails there.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moviegen.core import atomic, locations, shotlist
from moviegen.core.models import Character, Scene, Shot
from moviegen.services import casting
from moviegen.services.render.frames import action_text, frame_key, frame_request
from moviegen.services.render.pipeline import RENDER_VERSION, RenderOptions
from moviegen.services.render.timeline import content_key, draft, finalize

ENCODER = "pyav"  # segments, the mix and the film: FFmpeg's libraries in this process, no provider
CAPABILITY = {
    "sheet": "image",
    "clip": "video",
    "sound": "sound",
    "voice": "speech",
    "frame": "image",
    "music": "music",
    "segment": "encode",
    "mix": "encode",
    "film": "encode",
}


@dataclass
class StepCount:
    """One kind of render step: how many distinct steps the render would run or reuse, and how many are cached."""

    kind: str  # voice, frame, music, segment, mix, film
    provider: str
    count: int
    cached: int
    units: dict[str, float] = field(default_factory=dict)  # of the steps still to run: characters, images, seconds
    exact: bool = True
    note: str = ""

    @property
    def capability(self) -> str:
        return CAPABILITY[self.kind]


class StepCache:
    """The project's finished steps (.moviegen/index.sqlite), read only. Opened without creating the file or
    running migrations; a missing index (or one from before the steps table) has nothing cached."""

    def __init__(self, root: Path) -> None:
        self.root = root
        path = locations.index_db(root)
        self.db = None
        if path.exists():
            try:  # mode=rw: never creates the database, and its WAL files go when the connection closes
                self.db = sqlite3.connect(
                    f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=30, check_same_thread=False
                )
            except sqlite3.OperationalError:
                self.db = None
        if self.db is not None and not self._has_steps():  # an index that holds no finished step caches nothing
            self.close()

    def _has_steps(self) -> bool:
        try:
            return self.db.execute("SELECT 1 FROM steps LIMIT 1").fetchone() is not None
        except sqlite3.OperationalError:
            return False

    def lookup(self, key: str | None) -> dict[str, Any] | None:
        """A finished step's record, if its asset is still on disk (ProjectIndex.lookup, read only)."""
        if self.db is None or key is None:
            return None
        try:
            row = self.db.execute("SELECT kind, asset, meta FROM steps WHERE key=?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        if not row or not (self.root / row[1]).exists():
            return None
        return {"kind": row[0], "asset": row[1], **json.loads(row[2])}

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None

    def __enter__(self) -> StepCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def planned_shots(
    scenes: list[Scene], cast: list[Character], *, style: str, narration: bool, existing: str | None = None
) -> list[Shot]:
    """The shot list ``plan`` would write for these scenes (services.planner.plan), in memory: with
    ``existing`` (the text of shots.toml) the shots of unchanged scenes are kept, as the planner keeps them."""
    from moviegen.services.planner import plan_scene

    speakers = [b.character for s in scenes for b in s.dialogue if b.character]
    roles = casting.cast_roles(cast, speakers)
    rates = {name: role.rate for name, role in roles.items()}
    narration_rate = casting.narrator(roles).rate if narration else None
    planned = {
        scene.id: (
            scene,
            plan_scene(
                scene, cast, last_scene=i == len(scenes) - 1, style=style, rates=rates, narration_rate=narration_rate
            ),
        )
        for i, scene in enumerate(scenes)
    }
    # the text the planner would save, read back as the render reads it (the same merge and rounding)
    return shotlist.parse_shots(shotlist._planned_text(existing, planned, {}))


def render_steps(
    scenes: list[Scene],
    shots: list[Shot],
    cast: list[Character],
    *,
    options: RenderOptions,
    seed: int,
    premise: str,
    narration: bool,
    providers: dict[str, str],
    cache: StepCache | None = None,
    film: Path | None = None,
    unsheeted: list[str] | None = None,
) -> list[StepCount]:
    """Every step the render of these files would run, and which the step cache holds (``film``: the MP4 the
    render would write, to tell whether it is already the one these steps make; ``unsheeted``: with an online
    image head, the characters on screen with no sheet yet, whose sheets the render paints first)."""
    from moviegen.core.scenes import speakers
    from moviegen.services.planner import speech_seconds

    def lookup(key: str | None) -> dict[str, Any] | None:
        return cache.lookup(key) if cache is not None else None

    fmt = options.fmt
    roles = casting.cast_roles(cast, speakers(scenes))
    narrator = casting.narrator(roles) if narration else None
    tl = draft(scenes, shots, roles, fmt, seed, premise, narrator)  # a shot list out of step raises, as it would
    if narrator is not None:
        roles[narrator.name] = narrator

    # voices: what is said, by which voice, through which provider
    voices: dict[str, tuple[str, dict | None, str]] = {}
    for cut in tl.shots:
        for line in cut.lines:
            key = content_key(line.voice_key, providers["speech"], RENDER_VERSION)
            if line.voice_key not in voices:
                voices[line.voice_key] = (key, lookup(key), line.text)
    unspoken = {vk: text for vk, (_, hit, text) in voices.items() if hit is None}
    # a line still to be spoken: the planner's budget for it, scaled by how the voice's spoken lines compare with
    # their budgets (the planner's budget is generous; the voice's own pace is the better guess)
    pace: dict[str, list[float]] = {}
    lines = [line for cut in tl.shots for line in cut.lines]
    for line in lines:
        hit, budget = voices[line.voice_key][1], speech_seconds(line.text, roles[line.character].rate)
        if hit is not None and budget > 0:
            pace.setdefault(line.character, []).append(hit["duration"] / budget)
    every = sorted(r for rs in pace.values() for r in rs)
    speech = {}
    for line in lines:
        hit = voices[line.voice_key][1]
        if hit is not None:
            speech[line.voice_key] = hit["duration"]
        else:
            own = sorted(pace.get(line.character) or every or [1.0])
            speech[line.voice_key] = speech_seconds(line.text, roles[line.character].rate) * own[len(own) // 2]
    tl = finalize(tl, speech, scenes)
    # every line's real length is known, or there is no cache a guessed length could wrongly match or miss
    timed = not unspoken or cache is None or cache.db is None

    # pictures: a still per shot, a score cue per scene
    moods = {s.id: s.mood for s in tl.scenes}
    scene_text = {s.id: action_text(s) for s in scenes}
    frames: dict[str, tuple[str, dict | None]] = {}
    for cut in tl.shots:
        req = frame_request(cut, tl, roles, cast, seed, scene_text[cut.scene], moods.get(cut.scene, ""))
        key = frame_key(providers["image"], req, RENDER_VERSION)
        frames[cut.shot.id] = (key, lookup(key))
    music: dict[str, tuple[str, dict | None, float]] = {}
    for span in tl.scenes:
        req = {
            "duration": span.frames / fmt.fps,
            "mood": span.mood,
            "key": tl.key,
            "tempo": tl.tempo,
            "seed": seed + int(hashlib.sha256(span.id.encode()).hexdigest()[:6], 16) % 1000,
        }
        key = content_key("music", providers["music"], req, RENDER_VERSION)
        music[span.id] = (key, lookup(key), req["duration"])

    # segments: a shot's still, moved and encoded (its key needs the still's digest: a new still, a new segment)
    segments: dict[str, tuple[str | None, dict | None]] = {}
    for cut in tl.shots:
        still = frames[cut.shot.id][1]
        if still is None:
            segments[cut.shot.id] = (None, None)
            continue
        caps = []
        if options.burn_subtitles:
            caps = [
                (
                    int(ln.start * fmt.fps) - cut.start_frame,
                    int((ln.start + ln.duration) * fmt.fps) - cut.start_frame,
                    ln.text,
                )
                for ln in cut.lines
                if not ln.narration
            ]
        params = {
            "width": tl.width,
            "height": tl.height,
            "fps": fmt.fps,
            "frames": cut.frames,
            "camera_move": cut.shot.camera.value,
            "preset": options.preset,
            "crf": options.crf,
            "captions": caps,
            "action": "" if cut.lines else cut.caption,
        }
        key = content_key("segment", still["sha"], params, RENDER_VERSION)
        segments[cut.shot.id] = (key, lookup(key))

    mix = None
    if not unspoken and all(hit is not None for _, hit, _ in music.values()):  # its key needs every asset's digest
        mix_key = content_key(
            "mix",
            [(vk, hit["sha"]) for vk, (_, hit, _) in sorted(voices.items())],
            [(c.shot.id, ln.start) for c in tl.shots for ln in c.lines],
            {sid: hit["sha"] for sid, (_, hit, _) in music.items()},
            [s.model_dump() for s in tl.scenes],
            tl.total_frames,
            fmt.fps,
            RENDER_VERSION,
        )
        mix = lookup(mix_key)
    made = None
    if film is not None and mix is not None and all(hit is not None for _, hit in segments.values()):
        key = content_key("film", [segments[c.shot.id][1]["sha"] for c in tl.shots], mix["sha"], str(film))
        previous = lookup(key)
        if previous is not None and previous.get("sha") == atomic.file_digest(film):
            made = previous

    guess = (
        ""
        if timed
        else (
            f"{len(unspoken)} line(s) still to be spoken are timed at their voice's pace in this "
            "project; one that runs longer lengthens its shot, and what follows it is made again"
        )
    )
    return _media_steps(tl, providers, seed, lookup, unsheeted or [], timed, guess) + [
        _count(
            "voice",
            providers["speech"],
            {vk: hit for vk, (_, hit, _) in voices.items()},
            {"characters": sum(len(text) for text in unspoken.values())},
        ),
        _count(
            "frame",
            providers["image"],
            _distinct(frames.values()),
            {"images": len({key for key, hit in frames.values() if hit is None})},
        ),
        _count(
            "music",
            providers["music"],
            _distinct((k, h) for k, h, _ in music.values()),
            {"seconds": round(sum(d for _, hit, d in music.values() if hit is None), 3)},
            exact=timed,
            note=guess,
        ),
        _count("segment", ENCODER, _distinct(segments.values()), {}, exact=timed, note=guess),
        # a line still to be spoken changes the mix, and the mix the film: those are certain
        _count("mix", ENCODER, {"mix": mix}, {}),
        _count("film", ENCODER, {"film": made}, {}),
    ]


def _media_steps(tl, providers, seed, lookup, unsheeted, timed, guess) -> list[StepCount]:
    """Sheets, clips and sound effects, when their chains have a provider (media_steps.py keys them). A clip's key
    needs its still's digest: clips are counted, and cached only as far as their stills are."""
    from moviegen.services.render.media_steps import EFFECT_DELAY, EFFECT_SECONDS, EFFECT_SPACING
    from moviegen.services.sound_cues import sound_cues

    def usable(capability: str) -> str:
        name = providers.get(capability, "")
        return "" if name in ("", "none configured") else name

    out = []
    if unsheeted:
        out.append(_count("sheet", providers["image"], {f"sheet-{n}": None for n in unsheeted},
                          {"images": len(unsheeted)}))  # fmt: skip
    wanted = [cut for cut in tl.shots if cut.shot.motion == "video"]
    if wanted and usable("video"):
        seconds = sum(min((5, 10), key=lambda s, d=cut.frames / tl.fmt.fps: (abs(s - d), s)) for cut in wanted)
        out.append(_count("clip", providers["video"], {f"clip-{c.shot.id}": None for c in wanted}, {"seconds": seconds},
                          exact=False, note="clips are counted, not looked up: their keys need the stills'"))  # fmt: skip
    if usable("sound"):
        effects, total = {}, 0.0
        for cut in tl.shots:
            for n, text in enumerate(sound_cues(cut.caption)):
                length = min(max(cut.frames / tl.fmt.fps - EFFECT_DELAY - n * EFFECT_SPACING, EFFECT_SECONDS[0]),
                             EFFECT_SECONDS[1])  # fmt: skip
                req = {"text": text, "duration": round(length, 2), "seed": seed}
                key = content_key("sound", providers["sound"], req, RENDER_VERSION)
                effects[key] = hit = lookup(key)
                total += 0 if hit is not None else req["duration"]
        if effects:
            out.append(_count("sound", providers["sound"], effects, {"seconds": round(total, 3)}, exact=timed,
                              note=guess))  # fmt: skip
    return out


def _distinct(pairs) -> dict[str, dict | None]:
    """Steps by key, as the render runs them (the same key once); a step whose key cannot be known yet (it
    needs an asset still to be made) counts once on its own."""
    out: dict[str, dict | None] = {}
    for i, (key, hit) in enumerate(pairs):
        out.setdefault(key if key is not None else f"unknown-{i}", hit)
    return out


def _count(
    kind: str,
    provider: str,
    steps: dict[str, dict | None],
    units: dict[str, float],
    *,
    exact: bool = True,
    note: str = "",
) -> StepCount:
    cached = sum(hit is not None for hit in steps.values())
    return StepCount(kind, provider, len(steps), cached, {k: v for k, v in units.items() if v}, exact, note)
