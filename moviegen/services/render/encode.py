"""Video: per-shot H.264 segments from a still + camera move, then one MP4 with AAC.

Frames are produced in YUV 4:2:0 directly: the still is converted once, and each
frame is a sub-pixel crop of the three planes (Pillow's resampler with a float
box). Segments are encoded without B-frames, so the final film is a remux of
their packets — no second encode — plus the mixed audio.
"""

from __future__ import annotations

import io
import os
import tempfile
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from moviegen.services.render import camera


def _planes(still: Image.Image) -> tuple[Image.Image, Image.Image, Image.Image]:
    w, h = still.size
    w, h = w - w % 2, h - h % 2
    frame = av.VideoFrame.from_image(still.crop((0, 0, w, h))).reformat(format="yuv420p")
    y, u, v = (np.frombuffer(p, np.uint8).reshape(-1, p.line_size) for p in frame.planes)
    return (
        Image.fromarray(np.ascontiguousarray(y[:h, :w])),
        Image.fromarray(np.ascontiguousarray(u[: h // 2, : w // 2])),
        Image.fromarray(np.ascontiguousarray(v[: h // 2, : w // 2])),
    )


def _caption_mask(text: str, width: int, height: int, top: bool = False) -> tuple[np.ndarray, int]:
    """An alpha mask (0..1) for one caption, and the row where it starts (bottom third, or top)."""
    size = max(14, height // (34 if top else 22))
    font = ImageFont.load_default(size=size)
    words, lines, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if font.getlength(trial) > width * 0.8 and line:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    band_h = int(size * 1.35 * len(lines) + size * 0.6)
    mask = Image.new("L", (width, band_h), 0)
    d = ImageDraw.Draw(mask)
    for i, ln in enumerate(lines[:3]):
        x = (width - font.getlength(ln)) / 2
        d.text(
            (x, size * 0.3 + i * size * 1.35), ln, font=font, fill=255, stroke_width=max(2, size // 9), stroke_fill=96
        )
    return np.asarray(mask, np.float32) / 255.0, (int(height * 0.04) if top else int(height * 0.93) - band_h)


def encode_segment(
    still_path: Path,
    *,
    width: int,
    height: int,
    fps: int,
    frames: int,
    camera_move: str,
    preset: str = "veryfast",
    crf: int = 21,
    threads: int = 1,
    captions: list[tuple[int, int, str]] | None = None,
    action: str = "",
) -> bytes:
    still = Image.open(still_path).convert("RGB")
    ys, us, vs = _planes(still)
    sw, sh = ys.size
    cache: dict[tuple, tuple] = {}

    def planes(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        crop = camera.box(camera_move, i / max(1, frames - 1), sw, sh)
        if crop not in cache:  # a held camera reuses the frame it already made
            cache.clear()
            x0, y0, x1, y1 = crop
            half = (x0 / 2, y0 / 2, x1 / 2, y1 / 2)
            cache[crop] = (
                np.asarray(ys.resize((width, height), Image.BILINEAR, box=crop)),
                np.asarray(us.resize((width // 2, height // 2), Image.BILINEAR, box=half)),
                np.asarray(vs.resize((width // 2, height // 2), Image.BILINEAR, box=half)),
            )
        return cache[crop]

    return encode_frames(planes, width=width, height=height, fps=fps, frames=frames, preset=preset, crf=crf,
                         threads=threads, captions=captions, action=action)  # fmt: skip


def encode_frames(
    planes,
    *,
    width: int,
    height: int,
    fps: int,
    frames: int,
    preset: str = "veryfast",
    crf: int = 21,
    threads: int = 1,
    captions: list[tuple[int, int, str]] | None = None,
    action: str = "",
) -> bytes:
    """An H.264 segment (no B-frames: the film is a remux of segments) of ``frames`` frames, frame i's YUV
    4:2:0 planes from ``planes(i)``, with burned captions (start frame, end frame, text) and an action line."""
    masks = [(a, b, *_caption_mask(text, width, height)) for a, b, text in (captions or [])]
    if action:  # the storyboard's action line, held at the top for the whole shot
        masks.append((0, frames, *_caption_mask(action, width, height, top=True)))
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.codec_context.thread_count = threads
        stream.options = {"preset": preset, "crf": str(crf), "x264-params": "bframes=0"}
        for i in range(frames):
            y, u, v = planes(i)
            for a, b, mask, top in masks:
                if a <= i < b:
                    y, u, v = _burn(y, u, v, mask, top)
            frame = av.VideoFrame.from_ndarray(
                np.concatenate([y.ravel(), u.ravel(), v.ravel()]).reshape(-1, width), format="yuv420p"
            )
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def _burn(y: np.ndarray, u: np.ndarray, v: np.ndarray, mask: np.ndarray, top: int):
    y, u, v = y.copy(), u.copy(), v.copy()
    h = min(mask.shape[0], y.shape[0] - top)
    region = y[top : top + h].astype(np.float32)
    y[top : top + h] = (region * (1 - mask[:h]) + 235 * mask[:h]).astype(np.uint8)
    cm = mask[: h - h % 2 : 2, ::2]
    for plane in (u, v):
        sub = plane[top // 2 : top // 2 + cm.shape[0]].astype(np.float32)
        plane[top // 2 : top // 2 + cm.shape[0]] = (sub * (1 - cm[: sub.shape[0]]) + 128 * cm[: sub.shape[0]]).astype(
            np.uint8
        )
    return y, u, v


def encode_aac(audio: np.ndarray, sample_rate: int, bit_rate: int = 160_000) -> bytes:
    """Stereo float32 (n, 2) to AAC in an MP4 (.m4a) container."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        sound = out.add_stream("aac", rate=sample_rate, layout="stereo")
        sound.bit_rate = bit_rate
        sound.options = {"aac_coder": "fast"}
        planar = np.ascontiguousarray(audio.T.astype(np.float32))
        block = 1024
        for start in range(0, planar.shape[1], block):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, start : start + block]), format="fltp", layout="stereo"
            )
            frame.sample_rate = sample_rate
            frame.pts = start
            frame.time_base = Fraction(1, sample_rate)
            for packet in sound.encode(frame):
                out.mux(packet)
        for packet in sound.encode():
            out.mux(packet)
    return buf.getvalue()


def mux_film(segments: list[tuple[Path, int]], audio_track: Path, fps: int, target: Path) -> None:
    """Concatenate H.264 segments (path, frames) and an AAC track by remuxing; write atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".mp4", dir=target.parent)
    os.close(fd)
    try:
        with (
            av.open(tmp, "w", format="mp4", options={"movflags": "+faststart"}) as out,
            av.open(str(audio_track)) as sound_in,
        ):
            with av.open(str(segments[0][0])) as first:
                video = out.add_stream_from_template(first.streams.video[0])
            sound = out.add_stream_from_template(sound_in.streams.audio[0])
            offset = Fraction(0)
            for path, frames in segments:
                with av.open(str(path)) as seg:
                    src = seg.streams.video[0]
                    shift = int(offset / src.time_base)
                    for packet in seg.demux(src):
                        if packet.dts is None:
                            continue
                        packet.pts += shift
                        packet.dts += shift
                        packet.stream = video
                        out.mux(packet)
                offset += Fraction(frames, fps)
            for packet in sound_in.demux(sound_in.streams.audio[0]):
                if packet.dts is None:
                    continue
                packet.stream = sound
                out.mux(packet)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
