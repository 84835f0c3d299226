"""The offline music provider: a small additive synthesizer that writes a score cue.

Mood picks the mode and chord progression; key and tempo come from the film so
cues belong together. Pads, bass, plucked arpeggios and (for tension) a low
pulse — all vectorised numpy, deterministic for a seed.
"""

from __future__ import annotations

import numpy as np

from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.brain import AudioResult, MusicRequest
from moviegen.core.errors import ProviderError

NAME = "score-synth"
_NOTES = {
    "C": 0,
    "C#": 1,
    "DB": 1,
    "D": 2,
    "D#": 3,
    "EB": 3,
    "E": 4,
    "F": 5,
    "F#": 6,
    "GB": 6,
    "G": 7,
    "G#": 8,
    "AB": 8,
    "A": 9,
    "A#": 10,
    "BB": 10,
    "B": 11,
}
_MAJOR = [0, 2, 4, 5, 7, 9, 11]
_MINOR = [0, 2, 3, 5, 7, 8, 10]
# mood -> (scale, progression of scale degrees, arpeggio density 0..1, pulse)
MOODS: dict[str, tuple[list[int], list[int], float, bool]] = {
    "tense": (_MINOR, [0, 0, 5, 4], 0.5, True),
    "melancholy": (_MINOR, [0, 5, 2, 6], 0.35, False),
    "mysterious": (_MINOR, [0, 3, 0, 4], 0.45, False),
    "warm": (_MAJOR, [0, 4, 5, 3], 0.6, False),
    "triumphant": (_MAJOR, [0, 3, 4, 0], 0.8, True),
}


def _hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def _chord(tonic: int, scale: list[int], degree: int) -> list[int]:
    notes = []
    for step in (0, 2, 4):
        idx = degree + step
        notes.append(tonic + scale[idx % 7] + 12 * (idx // 7))
    return notes


def _tone(freq: float, n: int, sr: int, harmonics: tuple[float, ...], phase: float = 0.0) -> np.ndarray:
    t = np.arange(n, dtype=np.float32) / np.float32(sr)
    out = np.zeros(n, np.float32)
    for k, amp in enumerate(harmonics, 1):
        out += np.float32(amp) * np.sin(np.float32(2 * np.pi * freq * k) * t + np.float32(phase * k))
    return out


def _envelope(n: int, sr: int, attack: float, release: float) -> np.ndarray:
    env = np.ones(n, np.float32)
    a, r = min(n, int(attack * sr)), min(n, int(release * sr))
    if a:
        env[:a] = np.linspace(0, 1, a)
    if r:
        env[n - r :] *= np.linspace(1, 0, r)
    return env


def synthesize(req: MusicRequest) -> np.ndarray:
    """Stereo float32 array of shape (samples, 2)."""
    if not 0 < req.duration <= 1800:
        raise ProviderError(f"a music cue of {req.duration:.1f} s is out of range", "ask for 0-1800 seconds")
    key = _NOTES.get(req.key.upper())
    if key is None:
        raise ProviderError(f"unknown key '{req.key}'", "use a note name such as C, D, F# or Bb")
    scale, progression, density, pulse = MOODS.get(req.mood, MOODS["warm"])
    sr = req.sample_rate
    rng = np.random.default_rng(req.seed)
    n = int(round(req.duration * sr))
    out = np.zeros((n, 2), np.float32)
    beat = 60.0 / max(40, min(req.tempo, 180))
    bar = int(round(4 * beat * sr))
    tonic = 48 + key
    for b, start in enumerate(range(0, n, bar)):
        length = min(bar + int(0.6 * sr), n - start)  # let each chord ring into the next
        chord = _chord(tonic, scale, progression[b % len(progression)])
        env = _envelope(length, sr, 0.8 * beat, 1.2 * beat)
        for i, note in enumerate(chord):
            for side, detune in ((0, -0.04), (1, 0.04)):
                out[start : start + length, side] += (
                    0.09 * env * _tone(_hz(note + 12 + detune), length, sr, (1, 0.35, 0.12), i)
                )
        bass = _tone(_hz(chord[0] - 12), length, sr, (1, 0.3)) * _envelope(length, sr, 0.05, 1.0 * beat)
        out[start : start + length] += 0.12 * bass[:, None]
        eighth = int(beat * sr / 2)
        for e in range(8):
            if rng.random() > density:
                continue
            s0 = start + e * eighth
            if s0 >= n:
                break
            m = min(int(1.5 * beat * sr), n - s0)
            note = chord[int(rng.integers(0, 3))] + 24
            pluck = _tone(_hz(note), m, sr, (1, 0.5, 0.25, 0.12)) * np.exp(-np.arange(m) / (0.35 * sr))
            pan = 0.5 + 0.35 * (rng.random() - 0.5) * 2
            out[s0 : s0 + m, 0] += 0.06 * pluck * (1 - pan)
            out[s0 : s0 + m, 1] += 0.06 * pluck * pan
        if pulse:
            for hit in (0, 1):
                s0 = start + int(hit * beat * sr * 0.5)
                m = min(int(0.3 * sr), n - s0)
                if m <= 0:
                    continue
                t = np.arange(m) / sr
                thump = np.sin(2 * np.pi * (55 - 25 * t / 0.3) * t) * np.exp(-t / 0.08)
                out[s0 : s0 + m] += 0.18 * thump[:, None]
    fade = min(n, int(0.5 * sr))
    out[:fade] *= np.linspace(0, 1, fade)[:, None]
    out[n - fade :] *= np.linspace(1, 0, fade)[:, None]
    peak = np.abs(out).max()
    if peak > 0:
        out *= 0.5 / peak
    return out.astype(np.float32)


class ScoreSynth:
    def generate(self, request: MusicRequest) -> AudioResult:
        audio = synthesize(request)
        return AudioResult(pcm=audio.tobytes(), sample_rate=request.sample_rate, channels=2, provider=NAME)


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(NAME, "music", ScoreSynth, offline=True, description="additive score synthesizer (offline)")
    )
