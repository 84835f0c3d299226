"""Integrated loudness by ITU-R BS.1770-4 (EBU R128), measured with FFmpeg's
ebur128 filter through PyAV: a C implementation already loaded for encoding,
so the render path needs no SciPy. The test suite checks every film again with
an independent implementation (pyloudnorm)."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np


def integrated_lufs(audio: np.ndarray, rate: int) -> float:
    """Integrated loudness of stereo float audio shaped (n, 2); -inf for silence."""
    graph = av.filter.Graph()
    src = graph.add_abuffer(sample_rate=rate, format="fltp", layout="stereo", time_base=Fraction(1, rate))
    meter = graph.add("ebur128", "metadata=1")
    sink = graph.add("abuffersink")
    src.link_to(meter)
    meter.link_to(sink)
    graph.configure()
    planar = np.ascontiguousarray(audio.T.astype(np.float32))
    reading = "-70"  # the meter's floor: nothing loud enough to gate in

    def drain() -> None:
        nonlocal reading
        while True:
            try:
                frame = graph.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            reading = frame.metadata.get("lavfi.r128.I", reading)  # the flushed tail carries none

    for start in range(0, planar.shape[1], rate):
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(planar[:, start : start + rate]), format="fltp", layout="stereo"
        )
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        graph.push(frame)
        drain()
    graph.push(None)
    drain()
    value = float(reading)
    return value if value > -70 else float("-inf")  # the meter's floor means 'silence'
