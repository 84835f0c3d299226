"""Uploads a person brings to a project: a reference picture for a character, a piece of music or a sound
for a scene. Each is checked before it is kept — its type (by content, not by name), its size, and that it
decodes whole — then stored content-addressed in assets/ in one working format (pictures as PNG, sound as
48 kHz 16-bit stereo WAV) and put to use:

- a character's picture becomes a new take of that character's sheet, approved: every still of theirs is
  painted from it (sheets.toml);
- a scene's music replaces the synthesized score cue of that scene, and a scene's sound plays from the
  scene's start under the dialogue (both listed in ``soundtrack.toml``, human-readable, beside shots.toml).

The next render uses them; the render's own steps and cache are unchanged otherwise.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import tomlkit

from moviegen.core import atomic, locations
from moviegen.core.errors import UsageError
from moviegen.core.project import Project
from moviegen.services.render.steps import write_asset  # content-addressed, written atomically

KINDS = ("character_sheet", "scene_music", "scene_sound")
MAX_IMAGE = 20 << 20  # bytes
MAX_AUDIO = 200 << 20
MAX_SECONDS = 30 * 60
RATE = 48_000
IMAGE_TYPES = {"PNG", "JPEG", "WEBP"}
AUDIO_FORMATS = {"wav", "mp3", "flac", "ogg", "mov,mp4,m4a,3gp,3g2,mj2", "aac", "matroska,webm"}
_HEADER = ("# Music and sounds uploaded for scenes (moviegen upload, the web view): a scene's music replaces its\n"
           "# score cue; its sound plays from the scene's start. Delete a line to go back to the synthesized one.\n")  # fmt: skip


def limit_for(kind: str) -> int:
    return MAX_IMAGE if kind == "character_sheet" else MAX_AUDIO


def attach(project: Project, kind: str, target: str, data: bytes) -> dict[str, Any]:
    """Check ``data``, store it and put it to use as ``kind`` for ``target`` (a character's name or a scene id)."""
    if kind not in KINDS:
        raise UsageError(f"'{kind}' is not an upload kind", f"use one of: {', '.join(KINDS)}")
    if len(data) > limit_for(kind):
        raise UsageError(f"the file is {len(data) / 2**20:.1f} MiB; a {kind.replace('_', ' ')} may be "
                         f"{limit_for(kind) >> 20} MiB at most", "send a smaller or more compressed file")  # fmt: skip
    if not data:
        raise UsageError("the file is empty", "send the file's bytes")
    if kind == "character_sheet":
        return _sheet(project, target, data)
    return _scene_audio(project, kind.removeprefix("scene_"), target, data)


def soundtrack(project: Project) -> dict[str, dict[str, str]]:
    """{'music': {scene id: asset}, 'sound': {scene id: asset}} of the project's uploads (only files present)."""
    path = locations.soundtrack_file(project.path)
    out: dict[str, dict[str, str]] = {"music": {}, "sound": {}}
    if not path.exists():
        return out
    try:
        data = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        raise UsageError(f"soundtrack.toml is not valid TOML: {exc}", "fix the file, or delete it") from None
    for side in out:
        for scene, asset in (data.get(side) or {}).items():
            if isinstance(asset, str) and (project.path / asset).is_file():
                out[side][str(scene)] = asset
    return out


def scene_sounds(project: Project, tl) -> list[list]:
    """[asset, start seconds, sha] of each scene's uploaded sound, from its scene's first frame (the mix's
    effects bus, under the dialogue)."""
    sounds = soundtrack(project)["sound"]
    return [[sounds[s.id], round(s.start_frame / tl.fmt.fps, 4), sounds[s.id].rsplit("/", 1)[-1].split(".")[0]]
            for s in tl.scenes if s.id in sounds]  # fmt: skip


def _sheet(project: Project, name: str, data: bytes) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    from moviegen.services import sheets

    name = name.strip().upper()
    cast = {c.name for c in project.cast()}
    if name not in cast:
        raise UsageError(f"{project.slug} has no character '{name}'",
                         f"name one of: {', '.join(sorted(cast)) or 'none yet (develop the story first)'}")  # fmt: skip
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = img.format
            if kind not in IMAGE_TYPES:
                raise UsageError(f"the picture is {kind or 'of an unknown type'}", "send a PNG, JPEG or WebP")
            img.load()  # decodes every pixel: a truncated or corrupt file fails here
            if min(img.size) < 64 or max(img.size) > 8192:
                raise UsageError(f"the picture is {img.size[0]}x{img.size[1]}",
                                 "send one between 64 and 8192 pixels on each side")  # fmt: skip
            out = io.BytesIO()
            img.convert("RGB").save(out, "PNG")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UsageError(f"the file is not a picture that decodes ({exc})", "send a PNG, JPEG or WebP") from None
    rel, sha = write_asset(project.path, out.getvalue(), "png")
    take = sheets.add_take(project, name, {"asset": rel, "provider": "upload", "model": ""}, seed=0)
    sheets.approve(project, name, take)
    return {"kind": "character_sheet", "target": name, "asset": rel, "sha256": sha, "take": take}


def _scene_audio(project: Project, side: str, scene: str, data: bytes) -> dict[str, Any]:
    from moviegen.core.scenes import scenes_of

    scene = scene.strip()
    ids = [s.id for s in scenes_of(project.screenplay())] if project.has_screenplay() else []
    if scene not in ids:
        raise UsageError(f"{project.slug} has no scene '{scene}'",
                         f"name a scene by its number: {', '.join(ids[:12]) or 'none yet (develop the story first)'}")  # fmt: skip
    audio = _decode(data)
    from moviegen.services.render.audio_io import wav_bytes

    rel, sha = write_asset(project.path, wav_bytes(audio, RATE), "wav")

    def edit(text: str | None) -> str:
        doc = tomlkit.parse(text or _HEADER)
        if side not in doc:
            doc[side] = tomlkit.table()
        doc[side][scene] = rel
        return tomlkit.dumps(doc)

    atomic.update_text(locations.soundtrack_file(project.path), edit)
    return {"kind": f"scene_{side}", "target": scene, "asset": rel, "sha256": sha,
            "seconds": round(len(audio) / RATE, 3)}  # fmt: skip


def _decode(data: bytes) -> np.ndarray:
    """The whole file decoded to 48 kHz stereo float32; refused unless it is audio that decodes to the end."""
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            if container.format.name not in AUDIO_FORMATS or not container.streams.audio:
                raise UsageError(f"the file is not music or sound ({container.format.long_name})",
                                 "send WAV, MP3, FLAC, Ogg, M4A/AAC or WebM audio")  # fmt: skip
            resampler = av.AudioResampler(format="flt", layout="stereo", rate=RATE)
            parts = []
            for frame in container.decode(container.streams.audio[0]):
                parts += [f.to_ndarray() for f in resampler.resample(frame)]
                if sum(p.shape[-1] for p in parts) > MAX_SECONDS * RATE:
                    raise UsageError(f"the sound is longer than {MAX_SECONDS // 60} minutes", "send a shorter piece")
            parts += [f.to_ndarray() for f in resampler.resample(None)]
    except av.FFmpegError as exc:
        raise UsageError(f"the file does not decode as audio ({exc})", "send WAV, MP3, FLAC, Ogg or M4A") from None
    if not parts:
        raise UsageError("the file holds no sound", "send a file with at least a moment of audio")
    audio = np.concatenate([p.reshape(-1, 2) for p in parts]).astype(np.float32)  # packed 'flt': L R L R ...
    if len(audio) < RATE // 10:
        raise UsageError("the sound is shorter than a tenth of a second", "send a longer piece")
    return audio
