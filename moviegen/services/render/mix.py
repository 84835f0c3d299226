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


def _talking(tl: Timeline, n: int) -> np.ndarray:
    """1 while someone speaks, 0 otherwise, with 150 ms ramps (the ducking key)."""
    key = np.zeros(n, np.float32)
    for cut in tl.shots:
        for line in cut.lines:
            a = int(line.start * RATE)
            b = min(n, int((line.start + line.duration) * RATE))
            key[a:b] = 1.0
    return np.clip(moving_average(key, int(0.15 * RATE)) * 1.6, 0, 1)


def moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred box filter in O(n) (a running sum), same length as x."""
    if width <= 1:
        return x.astype(np.float32)
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    half = width // 2
    idx = np.arange(len(x))
    lo, hi = np.clip(idx - half, 0, len(x)), np.clip(idx - half + width, 0, len(x))
    return ((c[hi] - c[lo]) / width).astype(np.float32)


def _noise(n: int, seed: int, smooth: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = moving_average(rng.standard_normal(n).astype(np.float32), smooth)
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


def mix(tl: Timeline, project: Path, voices: dict[str, str], music: dict[str, str]) -> tuple[np.ndarray, dict]:
    n = int(round(tl.total_frames / tl.fmt.fps * RATE))
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
    score = np.zeros((n, 2), np.float32)
    for span in tl.scenes:
        audio, _ = audio_io.read_wav(project / music[span.id])
        a = int(round(span.start_frame / tl.fmt.fps * RATE))
        b = min(n, a + len(audio))
        score[a:b] += audio[: b - a]
    duck = 1.0 - DUCK_DEPTH * _talking(tl, n)
    total = (
        dialogue * 0.8
        + score * (MUSIC_GAIN * duck)[:, None]
        + ambience(tl, n) * AMBIENCE_GAIN * (0.5 + 0.5 * duck)[:, None]
    )
    for _ in range(2):  # gain to target, limit peaks, then trim the gain the limiter took
        loudness = integrated_lufs(total, RATE)
        if not np.isfinite(loudness):
            if np.abs(total).max() > 1e-4:
                raise RenderError(
                    "the loudness meter could not measure the mix", "run again with --debug and report it"
                )
            break  # a silent film stays silent
        total *= np.float32(10 ** ((TARGET_LUFS - loudness) / 20))
        total = _limit(total)
    loudness = integrated_lufs(total, RATE)  # measured, not assumed
    return total.astype(np.float32), {"lufs": round(float(loudness), 2), "peak": round(float(np.abs(total).max()), 4)}


def _limit(x: np.ndarray) -> np.ndarray:
    """Soft knee above the ceiling: transparent below, never past full scale."""
    mag = np.abs(x)
    over = mag > CEILING
    if not over.any():
        return x
    room = 0.99 - CEILING
    squashed = CEILING + room * np.tanh((mag[over] - CEILING) / room)
    out = x.copy()
    out[over] = np.sign(x[over]) * squashed
    return out
