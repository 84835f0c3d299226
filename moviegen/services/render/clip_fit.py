"""A generated clip fitted to its shot: scaled to cover the frame and centre-cropped, then timed to the shot's
planned length — trimmed when longer; when shorter, slowed by up to ``MAX_SLOWDOWN`` and then held on its last
frame. The clip's own motion replaces the shot's camera move."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image

from moviegen.services.render.encode import encode_frames

MAX_SLOWDOWN = 1.5  # slower than this and motion looks wrong: hold the last frame for the rest


def source_times(frames: int, fps: int, clip_seconds: float) -> list[float]:
    """For each output frame, the time in the clip it shows."""
    wanted = frames / fps
    stretch = 1.0 if clip_seconds >= wanted else min(MAX_SLOWDOWN, wanted / max(clip_seconds, 1e-6))
    last = max(0.0, clip_seconds - 1e-3)
    return [min(i / fps / stretch, last) for i in range(frames)]


def _decode(clip: Path, width: int, height: int) -> tuple[list[float], list[tuple[np.ndarray, ...]]]:
    """Every frame of the clip (its time and its YUV planes at the shot's size, covering and centred)."""
    times, planes = [], []
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            image = frame.to_image()
            scale = max(width / image.width, height / image.height)
            w, h = max(width, round(image.width * scale)), max(height, round(image.height * scale))
            image = image.resize((w, h), Image.BILINEAR)
            left, top = (w - width) // 2, (h - height) // 2
            image = image.crop((left, top, left + width, top + height))
            yuv = av.VideoFrame.from_image(image).reformat(format="yuv420p")
            y, u, v = (np.frombuffer(p, np.uint8).reshape(-1, p.line_size) for p in yuv.planes)
            planes.append((np.ascontiguousarray(y[:height, :width]), np.ascontiguousarray(u[: height // 2, : width // 2]),
                           np.ascontiguousarray(v[: height // 2, : width // 2])))  # fmt: skip
            times.append(float(frame.time) if frame.time is not None else len(times) / float(stream.average_rate or 24))
    if not planes:
        raise ValueError(f"the clip {clip.name} has no frames")
    return times, planes


def encode_clip_segment(
    clip_path: Path,
    *,
    width: int,
    height: int,
    fps: int,
    frames: int,
    camera_move: str = "hold",
    preset: str = "veryfast",
    crf: int = 21,
    threads: int = 1,
    captions: list[tuple[int, int, str]] | None = None,
    action: str = "",
) -> bytes:
    times, planes = _decode(clip_path, width, height)
    length = times[-1] + (times[-1] - times[-2] if len(times) > 1 else 1 / fps)
    wanted = source_times(frames, fps, length)
    marks = np.asarray(times)
    picks = [int(np.clip(np.searchsorted(marks, t + 1e-6) - 1, 0, len(planes) - 1)) for t in wanted]
    return encode_frames(lambda i: planes[picks[i]], width=width, height=height, fps=fps, frames=frames,
                         preset=preset, crf=crf, threads=threads, captions=captions, action=action)  # fmt: skip
