"""Audio stems for a mixer: dialogue, music and effects (ambience and sound effects) of the last render, each a
48 kHz 24-bit stereo WAV as long as the film, starting at its first frame. They are the render's own mix buses
(``render/mix.stems``), re-made from the assets the render report names, scaled by the mix's loudness gain and,
where the mix's soft limiter pulled a peak down, by the same ratio: dialogue + music + effects is the film's
sound."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from moviegen.core import atomic, locations
from moviegen.core.errors import ProjectStateError
from moviegen.core.project import Project

STEMS = ("dialogue", "music", "effects")


def wav24(audio: np.ndarray, rate: int) -> bytes:
    """float32 (n, channels) to 24-bit little-endian PCM WAV."""
    ints = (np.clip(audio, -1.0, 1.0) * 8388607.0).round().astype("<i4")
    packed = ints.reshape(-1, 1).view(np.uint8).reshape(-1, 4)[:, :3]  # the low three bytes of each sample
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(audio.shape[1])
        w.setsampwidth(3)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(packed).tobytes())
    return buf.getvalue()


def write_stems(project: Project) -> list[Path]:
    from moviegen.services.export.timeline_otio import last_render
    from moviegen.services.render import mix
    from moviegen.services.render.timeline import Timeline

    report_path, report = last_render(project)
    sound = report.get("sound")
    if not sound or "timeline" not in sound:
        raise ProjectStateError(f"the last render of {project.slug} was made before stems could be exported",
                                f"render it again: 'moviegen render {project.slug}' (finished steps are reused)")  # fmt: skip
    tl = Timeline.model_validate(sound["timeline"])
    buses = mix.stems(tl, project.path, sound["voices"], sound["music"], sound.get("effects"))
    gain = sound.get("gain")
    if gain is None:  # a mix recorded before its gain was: measure it again
        _, stats = mix.mix(tl, project.path, sound["voices"], sound["music"], sound.get("effects"))
        gain = stats["gain"]
    for audio in buses.values():
        audio *= np.float32(gain)
    _share_the_limiter(buses, project.path / report["mix"])
    folder = locations.exports_dir(project.path) / "stems"
    out = []
    for name in STEMS:
        audio = buses.pop(name)
        path = folder / f"{report_path.stem}-{name}.wav"
        atomic.write_bytes(path, wav24(audio, mix.RATE))
        out.append(path)
        del audio
    return out


def _share_the_limiter(buses: dict[str, np.ndarray], mixed_wav: Path) -> None:
    """Where the mix's soft limiter pulled a peak down, pull every stem down by the same ratio (what a limiter on
    the master bus does), so the stems add up to the film's sound there too."""
    from moviegen.services.render import audio_io, mix

    total = buses["dialogue"] + buses["music"] + buses["effects"]
    mixed, _ = audio_io.read_wav(mixed_wav)
    n = min(len(mixed), len(total))
    # the limiter's work: samples that differ by more than the mix file's 16-bit rounding (it may have limited a
    # peak at one of its gain steps that the final gain brought back under the ceiling)
    hit = (np.abs(total[:n] - mixed[:n]) > 4 / 32768) & (np.abs(total[:n]) > mix.CEILING / 4)
    if not hit.any():
        return
    ratio = np.ones_like(total)
    ratio[:n][hit] = mixed[:n][hit] / total[:n][hit]
    for audio in buses.values():
        audio *= ratio
