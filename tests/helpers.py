"""Small measurement helpers shared by tests."""

from __future__ import annotations

import numpy as np


def fundamental_hz(samples: np.ndarray, rate: int) -> float:
    """Median pitch of voiced 40 ms frames, by autocorrelation (70-400 Hz)."""
    frame = int(0.04 * rate)
    pitches = []
    for start in range(0, len(samples) - frame, frame):
        x = samples[start : start + frame].astype(np.float64)
        if np.sqrt(np.mean(x * x)) < 0.02:
            continue
        x = x - x.mean()
        ac = np.correlate(x, x, mode="full")[frame - 1 :]
        lo, hi = int(rate / 400), int(rate / 70)
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.3 * ac[0]:
            pitches.append(rate / lag)
    return float(np.median(pitches)) if pitches else 0.0
