"""The cast as people work with it: each character's look and voice, a voice sample, recasting a voice and
the shots that recasting touches (their lines are spoken again at the next render; nothing else is)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from moviegen.core import atomic, locations, shotlist
from moviegen.core.brain import Brain, SpeechRequest
from moviegen.core.errors import ShotListError, UsageError
from moviegen.core.models import Character, Scene
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of, speakers
from moviegen.services import casting

SAMPLE_LINE = "Hello. This is how {name} sounds."


def cast_sheet(project: Project) -> list[dict[str, Any]]:
    """Every character with role, look, voice description, the voice it resolves to and the shots they speak in."""
    return _sheet(project, _scenes(project))


def _scenes(project: Project) -> list[Scene]:
    return scenes_of(project.screenplay()) if project.has_screenplay() else []


def _sheet(project: Project, scenes: list[Scene]) -> list[dict[str, Any]]:
    from moviegen.services import sheets

    cast = project.cast()
    roles = casting.cast_roles(cast, speakers(scenes))
    shots = _speaking_shots(project, scenes)
    painted = sheets.load(project)
    models = _models_by_name(project)
    return [
        {
            "name": c.name,
            "role": c.role,
            "look": c.look,
            "voice": c.voice,
            "espeak": roles[c.name].voice if c.name in roles else "",
            "pitch": roles[c.name].pitch if c.name in roles else 0,
            "rate": roles[c.name].rate if c.name in roles else 0,
            "elevenlabs_voice": c.elevenlabs_voice,
            "sheet": {
                "takes": len(painted.get(c.name, {}).get("takes", [])),
                "approved": painted.get(c.name, {}).get("approved", 0),
                "asset": sheets.reference(painted, c.name, project.path),
            },  # fmt: skip
            "model3d": models.get(c.name),
            "shots": shots.get(c.name, []),
        }
        for c in cast
    ]


def _models_by_name(project: Project) -> dict[str, dict[str, Any]]:
    """Each character's 3D model (models.toml): name -> {asset, provider}; none when the file cannot be read."""
    from moviegen.core.errors import MoviegenError
    from moviegen.services.assets3d import list_models

    try:
        return {m["name"].upper(): {"asset": m["asset"], "provider": m["provider"]}
                for m in list_models(project) if m["kind"] == "character"}  # fmt: skip
    except MoviegenError:
        return {}


def _speaking_shots(project: Project, scenes: list[Scene]) -> dict[str, list[str]]:
    """Per character, the shots in which they have a line: the ones whose voices change with theirs."""
    try:
        shots = shotlist.load(locations.shots_file(project.path))
    except ShotListError:
        return {}
    speaker = {(s.id, b.index): b.character for s in scenes for b in s.dialogue if b.character}
    out: dict[str, list[str]] = {}
    for shot in shots:
        for name in dict.fromkeys(speaker[(shot.scene, i)] for i in shot.beats if (shot.scene, i) in speaker):
            out.setdefault(name, []).append(shot.id)
    return out


def speaking_shots(project: Project, name: str) -> list[str]:
    """The shots in which ``name`` has a line."""
    return _speaking_shots(project, _scenes(project)).get(name, [])


def voice_sample(project: Project, brain: Brain, name: str) -> Path:
    """A WAV of the character saying their first line (or a greeting), under .moviegen/samples/."""
    from moviegen.services.render import audio_io

    scenes = _scenes(project)
    c = next((c for c in _sheet(project, scenes) if c["name"] == name), None)
    if c is None:
        raise UsageError(f"{project.slug} has no character '{name}'", "pick one from the cast list")
    first = next((b.text for s in scenes for b in s.dialogue if b.character == name), None)
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
    online = ELEVENLABS.match(voice.strip())
    if online:  # an ElevenLabs voice: 'elevenlabs: Rachel (21m00Tcm4TlvDq8ikWAM)', or the bare id
        chosen = (online.group("rest") or online.group("id") or "").strip()
        if not casting.online_voices(Character(name=name, elevenlabs_voice=chosen)):
            raise UsageError(f"'{chosen}' names no ElevenLabs voice id",
                             "give 'Name (voice id)' or the id from your ElevenLabs voice library")  # fmt: skip
        project.set_character(name, elevenlabs_voice=chosen)
    else:
        project.set_character(name, voice=voice)
    return speaking_shots(project, name)


ELEVENLABS = re.compile(r"^(?:elevenlabs\s*:\s*(?P<rest>.*)|(?P<id>[A-Za-z0-9]{20}))$", re.I)
