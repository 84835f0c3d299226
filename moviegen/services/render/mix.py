"""The mix: dialogue, score (ducked under speech) and ambience, to -16 LUFS stereo.

Loudness is measured by ITU-R BS.1770-4 (FFmpeg's ebur128 meter, see loudness.py);
a soft limiter keeps peaks under -1 dBFS, then the gain is trimmed again so the
integrated loudness stays on target.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moviegen.core.errors import RenderError
from moviegen.services.render import audio_io
from moviegen.services.render.loudness import integrated_lufs
from moviegen.services.render.timeline import Timeline

RATE = 48000
TARGET_LUFS = -16.0
CEILING = 0.89  # -1 dBFS
MUSIC_GAIN, DUCK_DEPTH = 0.5, 0.72
AMBIENCE_GAIN = 0.22
EFFECT_GAIN = 0.7


CONTROL_RATE = 1000  # gain envelopes change slowly: compute them per millisecond, interpolate to audio rate


def _talking(tl: Timeline, n: int) -> np.ndarray:
    """1 while someone speaks, 0 otherwise, with 150 ms ramps (the ducking key)."""
    m = n * CONTROL_RATE // RATE + 2
    key = np.zeros(m, np.float32)
    for cut in tl.shots:
        for line in cut.lines:
            key[int(line.start * CONTROL_RATE) : int((line.start + line.duration) * CONTROL_RATE) + 1] = 1.0
    key = np.clip(moving_average(key, int(0.15 * CONTROL_RATE)) * 1.6, 0, 1)
    t = np.arange(n, dtype=np.float32) * np.float32(CONTROL_RATE / RATE)
    return np.interp(t, np.arange(m, dtype=np.float32), key).astype(np.float32)


def moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred box filter in O(n) (a running sum), same length as x."""
    if width <= 1:
        return x.astype(np.float32)
    half = width // 2
    padded = np.pad(x.astype(np.float32, copy=False), (half, width - half - 1), mode="edge")
    c = np.empty(len(padded) + 1, np.float64)
    c[0] = 0.0
    np.cumsum(padded, dtype=np.float64, out=c[1:])
    del padded
    out = c[width:] - c[:-width]
    out /= width
    return out.astype(np.float32)


def _noise(n: int, seed: int, smooth: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = moving_average(rng.standard_normal(n, dtype=np.float32), smooth)
    return out / (np.abs(out).max() + 1e-9)


def ambience(tl: Timeline, n: int) -> np.ndarray:
    out = np.zeros((n, 2), np.float32)
    fps = tl.fmt.fps
    for i, span in enumerate(tl.scenes):
        a = int(span.start_frame / fps * RATE)
        b = min(n, int((span.start_frame + span.frames) / fps * RATE))
        m = b - a
        if m <= 0:
            continue
        if span.rain:
            bed = np.stack([_noise(m, 100 + i, 3), _noise(m, 200 + i, 3)], 1) * 0.5
        elif span.exterior:
            swell = 0.6 + 0.4 * np.sin(np.linspace(0, 2 * np.pi * m / RATE / 6, m, dtype=np.float32))
            bed = np.stack([_noise(m, 300 + i, 40) * swell, _noise(m, 400 + i, 40) * swell], 1) * 0.6
        else:
            bed = np.stack([_noise(m, 500 + i, 80), _noise(m, 600 + i, 80)], 1) * 0.15
        fade = min(m // 2, int(0.4 * RATE))
        env = np.ones(m, np.float32)
        env[:fade] = np.linspace(0, 1, fade)
        env[m - fade :] = np.linspace(1, 0, fade)
        out[a:b] += bed * env[:, None]
    return out


def effects_bus(project: Path, effects: list[list], n: int) -> np.ndarray:
    """Sound effects ([asset, start seconds, ...]) placed in the film, centred (stereo)."""
    out = np.zeros((n, 2), np.float32)
    for asset, start, *_ in effects:
        audio, rate = audio_io.read_wav(project / asset)
        mono = audio_io.resample(audio[:, 0], rate, RATE)
        a = int(round(start * RATE))
        b = min(n, a + len(mono))
        if b > a:
            out[a:b] += (mono[: b - a] * EFFECT_GAIN)[:, None]
    return out


def _dialogue(tl: Timeline, project: Path, voices: dict[str, str], n: int) -> np.ndarray:
    """Every line at its place, panned by speaker, at the mix's dialogue level."""
    dialogue = np.zeros((n, 2), np.float32)
    slots = {name: i for i, name in enumerate(dict.fromkeys(line.character for c in tl.shots for line in c.lines))}
    for cut in tl.shots:
        for line in cut.lines:
            audio, rate = audio_io.read_wav(project / voices[line.voice_key])
            mono = audio_io.resample(audio[:, 0], rate, RATE)
            a = int(round(line.start * RATE))
            b = min(n, a + len(mono))
            pan = 0.5 if line.narration else 0.5 + (0.12 if slots[line.character] % 2 else -0.12)
            dialogue[a:b, 0] += mono[: b - a] * (1 - pan) * 2
            dialogue[a:b, 1] += mono[: b - a] * pan * 2
    dialogue *= 0.8
    return dialogue


def _score(tl: Timeline, project: Path, music: dict[str, str], n: int, duck: np.ndarray) -> np.ndarray:
    """The score cues of every scene, ducked under speech (``duck``: 1 in silence, 1 - DUCK_DEPTH in speech)."""
    score = np.zeros((n, 2), np.float32)
    for span in tl.scenes:
        audio, _ = audio_io.read_wav(project / music[span.id])
        a = int(round(span.start_frame / tl.fmt.fps * RATE))
        end = int(round((span.start_frame + span.frames) / tl.fmt.fps * RATE))
        b = min(n, a + len(audio), max(end, a + 1))  # a cue ends with its scene (an uploaded piece may be longer)
        cue = audio[: b - a].copy()
        if len(audio) > b - a + RATE // 100:  # cut short: a half-second fade, not a click
            fade = min(len(cue), RATE // 2)
            cue[len(cue) - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)[:, None]
        score[a:b] += cue
    score *= (MUSIC_GAIN * duck)[:, None]
    return score


def _ducking(tl: Timeline, n: int) -> np.ndarray:
    duck = _talking(tl, n)
    duck *= -DUCK_DEPTH
    duck += 1.0
    return duck


def _effects(tl: Timeline, project: Path, effects: list[list] | None, n: int, duck: np.ndarray) -> np.ndarray:
    """The ambience bed (half level under speech, scaled to AMBIENCE_GAIN) and the sound effects (half level
    while someone speaks)."""
    bed = ambience(tl, n)
    bed *= (0.5 * AMBIENCE_GAIN * duck + 0.5 * AMBIENCE_GAIN)[:, None]
    if effects:
        sfx = effects_bus(project, effects, n)
        sfx *= (0.5 + 0.5 * duck)[:, None]
        bed += sfx
        del sfx
    return bed


def stems(tl: Timeline, project: Path, voices: dict[str, str], music: dict[str, str],
          effects: list[list] | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """The mix's three buses before its loudness gain: dialogue, music (the score) and effects (ambience and
    sound effects). Their sum times the mix's ``gain`` is the film's sound, but for the limiter's few peaks."""
    n = int(round(tl.total_frames / tl.fmt.fps * RATE))
    duck = _ducking(tl, n)
    return {"dialogue": _dialogue(tl, project, voices, n), "music": _score(tl, project, music, n, duck),
            "effects": _effects(tl, project, effects, n, duck)}  # fmt: skip


def mix(tl: Timeline, project: Path, voices: dict[str, str], music: dict[str, str],
        effects: list[list] | None = None) -> tuple[np.ndarray, dict]:  # fmt: skip
    n = int(round(tl.total_frames / tl.fmt.fps * RATE))
    # sum the buses in place: a long film is hundreds of MB a track, so no more full-size arrays than needed
    duck = _ducking(tl, n)
    total = _dialogue(tl, project, voices, n)
    score = _score(tl, project, music, n, duck)
    total += score
    del score
    bed = _effects(tl, project, effects, n, duck)
    total += bed
    del bed, duck
    gain = 1.0
    loudness = integrated_lufs(total, RATE)
    for _ in range(3):  # gain to target and limit peaks, until the measured loudness is on target
        if not np.isfinite(loudness):
            if np.abs(total).max() > 1e-4:
                raise RenderError(
                    "the loudness meter could not measure the mix", "run again with --debug and report it"
                )
            break  # a silent film stays silent
        if abs(loudness - TARGET_LUFS) <= 0.1:
            break
        step = float(10 ** ((TARGET_LUFS - loudness) / 20))
        total *= np.float32(step)
        gain *= step
        _limit(total)
        loudness = integrated_lufs(total, RATE)  # measured, not assumed
    return total, {"lufs": round(float(loudness), 2), "peak": round(float(np.abs(total).max()), 4),
                   "gain": round(gain, 6)}  # fmt: skip


def _limit(x: np.ndarray) -> None:
    """Soft knee above the ceiling, in place: transparent below, never past full scale."""
    over = np.flatnonzero(np.abs(x.reshape(-1)) > CEILING)
    if not len(over):
        return
    flat = x.reshape(-1)
    peaks = flat[over]
    room = 0.99 - CEILING
    flat[over] = np.sign(peaks) * (CEILING + room * np.tanh((np.abs(peaks) - CEILING) / room))
