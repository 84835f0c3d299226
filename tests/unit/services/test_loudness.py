from __future__ import annotations

import numpy as np
import pyloudnorm
import pytest

from moviegen.services.render.loudness import integrated_lufs


@pytest.mark.parametrize("seconds", [0.7, 5.0, 12.34, 61.02])
def test_ebur128_agrees_with_pyloudnorm_for_any_length(seconds):
    rng = np.random.default_rng(1)
    n = int(seconds * 48000)
    t = np.arange(n) / 48000
    audio = np.stack([0.2 * np.sin(2 * np.pi * 440 * t) * (1 + np.sin(t)), 0.05 * rng.standard_normal(n)], 1)
    ours = integrated_lufs(audio.astype(np.float32), 48000)
    reference = pyloudnorm.Meter(48000).integrated_loudness(audio)
    assert abs(ours - reference) < 0.2, (ours, reference)


def test_silence_is_minus_infinity():
    assert integrated_lufs(np.zeros((48000 * 3, 2), np.float32), 48000) == float("-inf")
