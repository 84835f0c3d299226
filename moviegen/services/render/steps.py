"""Render steps that run in worker processes. Each makes one asset from a job
(a plain dict), writes it atomically under assets/ named by its content hash,
and returns what the coordinator records. Steps never touch the index."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from moviegen.core import atomic
from moviegen.core.brain import Brain, ImageRequest, MusicRequest, SoundRequest, SpeechRequest, VideoRequest
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


def spoken_span(alignment) -> tuple[float, float] | None:
    """Where the words of an aligned clip start and end: the first letter or digit's start, the last one's end
    (a closing '?' or '.' is a pause, not speech)."""
    if alignment is None:
        return None
    chars, starts, ends = alignment.characters, alignment.start_seconds, alignment.end_seconds
    spoken = [i for i, ch in enumerate(chars) if ch.isalnum()]
    return (round(starts[spoken[0]], 4), round(ends[spoken[-1]], 4)) if spoken else None


def _made(result) -> dict[str, Any]:
    """Which provider and model made an asset (the report says it per shot, line and cue)."""
    return {"provider": result.provider, "model": getattr(result, "model", "") or ""}


def _options(job: dict[str, Any], hooks: dict[str, Any] | None) -> dict[str, Any]:
    """What a brain call of the coordinator takes beyond the request: the assigned provider, the job's id for
    the ledger, and (online calls) progress and cancellation hooks."""
    out: dict[str, Any] = {"provider": job.get("provider")}
    if hooks:
        out["job"] = hooks.get("job", "")
        if "options" in hooks:
            out["options"] = hooks["options"]
    return out


def run_step(kind: str, job: dict[str, Any], brain: Brain, hooks: dict[str, Any] | None = None) -> dict[str, Any]:
    """One step. ``job["provider"]`` restricts the call to that provider (offline steps in worker processes;
    online steps name none and take the project's chain, fallbacks included); ``hooks`` is for steps run in
    the brain's own process (job id, FAL progress and cancellation)."""
    project = Path(job["project"])
    opts = _options(job, hooks)
    if kind == "voice":
        req = SpeechRequest(**job["request"])
        opts.pop("options", None)
        result = brain.generate_speech(req, **opts)
        audio = np.frombuffer(result.pcm, np.float32)
        rel, sha = write_asset(project, audio_io.wav_bytes(audio, result.sample_rate), "wav")
        out = {"asset": rel, "sha": sha, "duration": len(audio) / result.sample_rate, **_made(result)}
        if (span := spoken_span(result.alignment)) is not None:
            out["spoken"] = span
        return out
    if kind in ("frame", "sheet"):
        refs = [(project / p).read_bytes() for p in job.get("references", [])]
        result = brain.generate_image(ImageRequest(**job["request"], references=refs), **opts)
        rel, sha = write_asset(project, result.png, "png")
        return {"asset": rel, "sha": sha, "width": result.width, "height": result.height, **_made(result)}
    if kind == "clip":
        req = VideoRequest(**job["request"], image=(project / job["still"]).read_bytes())
        result = brain.generate_video(req, **opts)
        rel, sha = write_asset(project, result.mp4, "mp4")
        return {"asset": rel, "sha": sha, "duration": result.duration, "width": result.width,
                "height": result.height, **_made(result)}  # fmt: skip
    if kind == "sound":
        opts.pop("options", None)
        result = brain.generate_sound(SoundRequest(**job["request"]), **opts)
        audio = np.frombuffer(result.pcm, np.float32)
        rel, sha = write_asset(project, audio_io.wav_bytes(audio, result.sample_rate), "wav")
        return {"asset": rel, "sha": sha, "duration": len(audio) / result.sample_rate, **_made(result)}
    if kind == "music":
        opts.pop("options", None)
        result = brain.generate_music(MusicRequest(**job["request"]), **opts)
        audio = np.frombuffer(result.pcm, np.float32).reshape(-1, result.channels)
        rel, sha = write_asset(project, audio_io.wav_bytes(audio, result.sample_rate), "wav")
        return {"asset": rel, "sha": sha, "duration": len(audio) / result.sample_rate, **_made(result)}
    if kind == "segment":
        from moviegen.services.render.encode import encode_segment

        if job.get("clip"):  # a generated clip, fitted to the shot (its camera move is the clip's own)
            from moviegen.services.render.clip_fit import encode_clip_segment

            data = encode_clip_segment(project / job["clip"], **job["params"])
        else:
            data = encode_segment(project / job["frame"], **job["params"])
        rel, sha = write_asset(project, data, "mp4")
        return {"asset": rel, "sha": sha, "frames": job["params"]["frames"]}
    if kind == "mix":
        from moviegen.services.render import mix
        from moviegen.services.render.encode import encode_aac
        from moviegen.services.render.timeline import Timeline

        tl = Timeline.model_validate(job["timeline"])
        audio, stats = mix.mix(tl, project, job["voices"], job["music"], job.get("effects"))
        rel, sha = write_asset(project, audio_io.wav_bytes(audio, mix.RATE), "wav")
        track, track_sha = write_asset(project, encode_aac(audio, mix.RATE), "m4a")
        return {"asset": rel, "sha": sha, "track": track, "track_sha": track_sha, **stats}
    if kind == "transcode":  # a preset of a transcode job, sent to a worker (services/transcode_remote.py)
        from moviegen.services.transcode_remote import run_step as transcode_step

        return transcode_step(job, project)
    raise ValueError(f"unknown render step '{kind}'")
