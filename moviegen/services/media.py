"""What a media file is: streams, duration, picture size, frame rate, loudness, a thumbnail and its colours."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import numpy as np

from moviegen.core.errors import NotFoundError, UsageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}


def inside(root: Path, relative: str) -> Path:
    """``relative`` resolved inside ``root``; anything that escapes it is refused."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise UsageError(f"'{relative}' is outside the project", "give a path inside the project, e.g. renders/x.mp4")
    if not path.is_file():
        raise NotFoundError(f"no file '{relative}' in the project", "see renders/ and assets/ for what exists")
    return path


def analyze(path: Path, thumb_width: int = 320) -> dict[str, Any]:
    if path.suffix.lower() in IMAGE_SUFFIXES:
        from PIL import Image

        with Image.open(path) as im:
            im = im.convert("RGB")
            return {
                "kind": "image", "width": im.width, "height": im.height, "streams": [],
                **_picture_facts(im, thumb_width),
            }  # fmt: skip
    import av

    try:
        container = av.open(str(path))
    except av.FFmpegError as exc:
        raise UsageError(f"'{path.name}' is not a media file moviegen can read: {exc}") from None
    with container:
        streams = []
        for s in container.streams:
            info: dict[str, Any] = {"index": s.index, "type": s.type, "codec": s.codec_context.name}
            if s.type == "video":
                info.update(width=s.codec_context.width, height=s.codec_context.height,
                            fps=float(s.average_rate) if s.average_rate else None, frames=s.frames)  # fmt: skip
            elif s.type == "audio":
                info.update(sample_rate=s.codec_context.sample_rate, channels=s.codec_context.channels)
            streams.append(info)
        duration = float(container.duration / 1_000_000) if container.duration else None
        out: dict[str, Any] = {"kind": "video" if container.streams.video else "audio", "duration": duration}
        out["streams"] = streams
        video = container.streams.video[0] if container.streams.video else None
        if video is not None:
            out.update(width=video.codec_context.width, height=video.codec_context.height,
                       fps=float(video.average_rate) if video.average_rate else None)  # fmt: skip
            target = (duration or 0) * 0.1
            container.seek(int(target * 1_000_000))
            frame = next(container.decode(video=0))
            out.update(_picture_facts(frame.to_image(), thumb_width))
    if any(s["type"] == "audio" for s in streams):
        out["loudness_lufs"] = _loudness(path)
    return out


def _picture_facts(im, thumb_width: int) -> dict[str, Any]:
    thumb = im.copy()
    thumb.thumbnail((thumb_width, thumb_width * 4))
    buf = io.BytesIO()
    thumb.save(buf, "JPEG", quality=80)
    small = np.asarray(im.convert("RGB").resize((64, 36)).quantize(5).convert("RGB")).reshape(-1, 3)
    colours, counts = np.unique(small, axis=0, return_counts=True)
    order = np.argsort(-counts)
    return {
        "thumbnail_jpeg_base64": base64.b64encode(buf.getvalue()).decode(),
        "dominant_colours": [
            {
                "hex": "#" + "".join(f"{int(c):02x}" for c in colours[i]),
                "share": round(float(counts[i] / counts.sum()), 3),
            }
            for i in order
        ],
    }


def _loudness(path: Path) -> float | None:
    import av

    from moviegen.services.render.loudness import integrated_lufs

    chunks = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="stereo", rate=48000)
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1, 2))
    if not chunks:
        return None
    value = integrated_lufs(np.concatenate(chunks), 48000)
    return round(value, 2) if np.isfinite(value) else None
