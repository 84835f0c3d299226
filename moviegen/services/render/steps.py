"""Render steps that run in worker processes. Each makes one asset from a job
(a plain dict), writes it atomically under assets/ named by its content hash,
and returns what the coordinator records. Steps never touch the index."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from moviegen.core import atomic
from moviegen.core.brain import Brain, ImageRequest, MusicRequest, SpeechRequest
from moviegen.services.render import audio_io

MUSIC_RATE = 48000


class StepRunner(Protocol):
    """Runs steps somewhere (a process pool, Celery, inline) and yields results as they finish."""

    def run(self, kind: str, jobs: list[dict[str, Any]]): ...  # -> Iterator[tuple[dict, dict]]


def write_asset(project: Path, data: bytes, ext: str) -> tuple[str, str]:
    sha = hashlib.sha256(data).hexdigest()
    rel = f"assets/{sha}.{ext}"
    target = project / rel
    if not target.exists():  # content-addressed: an existing file already holds these bytes
        atomic.write_bytes(target, data)
    return rel, sha


def run_step(kind: str, job: dict[str, Any], brain: Brain) -> dict[str, Any]:
    project = Path(job["project"])
    if kind == "voice":
        req = SpeechRequest(**job["request"])
        result = brain.generate_speech(req)
        audio = np.frombuffer(result.pcm, np.float32)
        rel, sha = write_asset(project, audio_io.wav_bytes(audio, result.sample_rate), "wav")
        return {"asset": rel, "sha": sha, "duration": len(audio) / result.sample_rate, "provider": result.provider}
    if kind == "frame":
        result = brain.generate_image(ImageRequest(**job["request"]))
        rel, sha = write_asset(project, result.png, "png")
        return {"asset": rel, "sha": sha, "width": result.width, "height": result.height, "provider": result.provider}
    if kind == "music":
        result = brain.generate_music(MusicRequest(**job["request"]))
        audio = np.frombuffer(result.pcm, np.float32).reshape(-1, result.channels)
        rel, sha = write_asset(project, audio_io.wav_bytes(audio, result.sample_rate), "wav")
        return {"asset": rel, "sha": sha, "duration": len(audio) / result.sample_rate, "provider": result.provider}
    if kind == "segment":
        from moviegen.services.render.encode import encode_segment

        data = encode_segment(project / job["frame"], **job["params"])
        rel, sha = write_asset(project, data, "mp4")
        return {"asset": rel, "sha": sha, "frames": job["params"]["frames"]}
    if kind == "mix":
        from moviegen.services.render import mix
        from moviegen.services.render.encode import encode_aac
        from moviegen.services.render.timeline import Timeline

        tl = Timeline.model_validate(job["timeline"])
        audio, stats = mix.mix(tl, project, job["voices"], job["music"])
        rel, sha = write_asset(project, audio_io.wav_bytes(audio, mix.RATE), "wav")
        track, track_sha = write_asset(project, encode_aac(audio, mix.RATE), "m4a")
        return {"asset": rel, "sha": sha, "track": track, "track_sha": track_sha, **stats}
    raise ValueError(f"unknown render step '{kind}'")
