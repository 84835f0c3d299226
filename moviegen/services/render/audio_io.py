"""16-bit PCM WAV in and out (intermediate audio assets), and resampling."""

from __future__ import annotations

import io
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np


def wav_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """float32 samples, shape (n,) or (n, channels), to WAV bytes."""
    data = audio if audio.ndim == 2 else audio[:, None]
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(samples as float32 (n, channels), sample rate)."""
    with wave.open(str(path), "rb") as w:
        channels, rate = w.getnchannels(), w.getframerate()
        raw = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return (raw.reshape(-1, channels).astype(np.float32) / 32767.0), rate


def resample(mono: np.ndarray, source: int, target: int) -> np.ndarray:
    """Mono float32 resampled with FFmpeg's swresample."""
    if source == target:
        return mono.astype(np.float32)
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(mono.astype(np.float32))[None, :], format="flt", layout="mono"
    )
    frame.sample_rate, frame.pts, frame.time_base = source, 0, Fraction(1, source)
    out = [f.to_ndarray()[0] for f in resampler.resample(frame)] + [f.to_ndarray()[0] for f in resampler.resample(None)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)
