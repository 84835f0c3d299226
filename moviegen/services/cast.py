"""The cast as people work with it: each character's look and voice, a voice sample, recasting a voice and
the shots that recasting touches (their lines are spoken again at the next render; nothing else is)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from moviegen.core import atomic, locations, shotlist
from moviegen.core.brain import Brain, SpeechRequest
from moviegen.core.errors import ShotListError, UsageError
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of
from moviegen.services import casting

SAMPLE_LINE = "Hello. This is how {name} sounds."


def cast_sheet(project: Project) -> list[dict[str, Any]]:
    """Every character with role, look, voice description and the voice it resolves to."""
    cast = project.cast()
    speakers = (
        [b.character for s in scenes_of(project.screenplay()) for b in s.dialogue if b.character]
        if (project.has_screenplay())
        else []
    )
    roles = casting.cast_roles(cast, speakers)
    return [
        {
            "name": c.name,
            "role": c.role,
            "look": c.look,
            "voice": c.voice,
            "espeak": roles[c.name].voice if c.name in roles else "",
            "pitch": roles[c.name].pitch if c.name in roles else 0,
            "rate": roles[c.name].rate if c.name in roles else 0,
            "shots": speaking_shots(project, c.name),
        }
        for c in cast
    ]


def speaking_shots(project: Project, name: str) -> list[str]:
    """The shots in which ``name`` has a line: the ones whose voices change with theirs."""
    if not project.has_screenplay():
        return []
    try:
        shots = shotlist.load(locations.shots_file(project.path))
    except ShotListError:
        return []
    speaks = {(s.id, b.index) for s in scenes_of(project.screenplay()) for b in s.dialogue if b.character == name}
    return [shot.id for shot in shots if any((shot.scene, i) in speaks for i in shot.beats)]


def voice_sample(project: Project, brain: Brain, name: str) -> Path:
    """A WAV of the character saying their first line (or a greeting), under .moviegen/samples/."""
    from moviegen.services.render import audio_io

    sheet = {c["name"]: c for c in cast_sheet(project)}
    if name not in sheet:
        raise UsageError(f"{project.slug} has no character '{name}'", "pick one from the cast list")
    c = sheet[name]
    first = (
        next((b.text for s in scenes_of(project.screenplay()) for b in s.dialogue if b.character == name), None)
        if project.has_screenplay()
        else None
    )
    text = first or SAMPLE_LINE.format(name=name.title())
    request = SpeechRequest(text=text, voice=c["espeak"], pitch=c["pitch"], rate=c["rate"], seed=project.info.seed)
    digest = hashlib.sha256(request.model_dump_json().encode()).hexdigest()[:12]
    path = locations.state_dir(project.path) / "samples" / f"{name.lower()}-{digest}.wav"
    if not path.exists():
        import numpy as np

        result = brain.generate_speech(request)
        atomic.write_bytes(path, audio_io.wav_bytes(np.frombuffer(result.pcm, np.float32), result.sample_rate))
    return path


def set_voice(project: Project, name: str, voice: str) -> list[str]:
    """Recast a character's voice (a description such as "low and slow", or an eSpeak voice such as
    "en-us+f3 pitch 60 rate 150"); returns the shots whose lines will be spoken again."""
    if not voice.strip():
        raise UsageError("the voice is empty", "describe it (low, quick, old …) or name one such as en-us+f3")
    if name not in {c.name for c in project.cast()}:
        raise UsageError(f"{project.slug} has no character '{name}'", "pick one from the cast list")
    project.set_character(name, voice=voice)
    return speaking_shots(project, name)
