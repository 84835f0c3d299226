"""The HLS ladder: 360p, 720p and 1080p renditions of the film in 4-second MPEG-TS segments, and the master
playlist a player starts from.

One ffmpeg run decodes the film once and encodes every rung (split, then scale per rung). A rung is named by
the picture's short side, so a 9:16 film's 720p is 720x1280; rungs larger than the film are left out (never
upscaled), and a film smaller than the lowest rung gets one rung at its own size. Keyframes are forced every
4 s, so every segment starts with one and a player can switch rungs at any segment.

The master playlist says what each rendition really is, measured after the encode rather than promised
before it: BANDWIDTH is the peak segment bit rate and AVERAGE-BANDWIDTH the mean (RFC 8216, 4.3.4.2),
RESOLUTION the encoded size, and CODECS the H.264 profile and level read from the stream's own sequence
parameter set (``avc1.PPCCLL``) with AAC-LC audio (``mp4a.40.2``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEGMENT = 4  # seconds
MASTER = "master.m3u8"


@dataclass(frozen=True)
class Rung:
    short: int  # the short side in pixels: 360, 720, 1080
    crf: int
    maxrate: int  # kbit/s: caps the quality-targeted encode (capped CRF)
    audio: int  # kbit/s


PRESET = "veryfast"  # x264 for the ladder: what streaming ladders use; medium took 2x as long for little

LADDER = (Rung(360, 23, 1000, 96), Rung(720, 22, 3500, 128), Rung(1080, 21, 6500, 160))


def rungs_for(width: int, height: int) -> list[Rung]:
    """The rungs no larger than the film; one at the film's own size when it is smaller than them all."""
    short = min(width, height)
    return [r for r in LADDER if r.short <= short] or [Rung(short - short % 2, LADDER[0].crf, LADDER[0].maxrate,
                                                             LADDER[0].audio)]  # fmt: skip


def write_ladder(src, folder: Path, run: Callable[[list[str], float], None]) -> tuple[list[str], dict[str, Any]]:
    """Encode the rungs into ``folder`` and write the master playlist last; returns the playlists' names
    (relative to ``folder``) and the variants as the master lists them."""
    from moviegen.services.transcode import fit

    rungs = rungs_for(src.width, src.height)
    sizes = [fit(src, r.short) for r in rungs]
    split = "".join(f"[s{i}]" for i in range(len(rungs)))
    graph = ";".join([f"[0:v]split={len(rungs)}{split}"] + [
        f"[s{i}]scale={w}:{h}:flags=lanczos,format=yuv420p[v{i}]" for i, (w, h) in enumerate(sizes)])  # fmt: skip
    args = ["-i", str(src.path), "-filter_complex", graph]
    for i, (rung, name) in enumerate(zip(rungs, names(rungs), strict=True)):
        (folder / name).mkdir()
        args += ["-map", f"[v{i}]", "-c:v", "libx264", "-preset", PRESET, "-crf", str(rung.crf),
                 "-profile:v", "main" if rung.short <= 360 else "high",
                 "-maxrate", f"{rung.maxrate}k", "-bufsize", f"{rung.maxrate * 2}k",
                 "-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT})", "-sc_threshold", "0"]  # fmt: skip
        if src.audio:
            args += ["-map", "0:a:0", "-c:a", "aac", "-b:a", f"{rung.audio}k", "-ac", "2"]
        args += ["-f", "hls", "-hls_time", str(SEGMENT), "-hls_playlist_type", "vod", "-hls_segment_type", "mpegts",
                 "-hls_flags", "independent_segments", "-hls_segment_filename", str(folder / name / "seg_%03d.ts"),
                 str(folder / name / "index.m3u8")]  # fmt: skip
    run(args, src.duration)
    variants = [_measure(folder, name, src) for name in names(rungs)]
    (folder / MASTER).write_text(master_playlist(variants), encoding="utf-8")
    return [MASTER] + [v["playlist"] for v in variants], {"variants": variants}


def names(rungs: list[Rung]) -> list[str]:
    return [f"{r.short}p" for r in rungs]


def segments(playlist: Path) -> list[tuple[str, float]]:
    """(segment file, seconds) of a media playlist, in order."""
    out, seconds = [], None
    for line in playlist.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            seconds = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#") and seconds is not None:
            out.append((line, seconds))
            seconds = None
    return out


def _measure(folder: Path, name: str, src) -> dict[str, Any]:
    playlist = folder / name / "index.m3u8"
    parts = segments(playlist)
    sizes = [(folder / name / file).stat().st_size for file, _ in parts]
    total = sum(seconds for _, seconds in parts)
    peak = max(size * 8 / max(seconds, 0.001) for size, (_, seconds) in zip(sizes, parts, strict=True))
    width, height, video = _stream_of(folder / name / parts[0][0])
    return {"name": name, "playlist": f"{name}/index.m3u8", "width": width, "height": height,
            "bandwidth": math.ceil(peak), "average_bandwidth": math.ceil(sum(sizes) * 8 / max(total, 0.001)),
            "codecs": ",".join([video] + (["mp4a.40.2"] if src.audio else [])), "frame_rate": round(src.fps, 3),
            "segments": len(parts), "seconds": round(total, 3)}  # fmt: skip


def _stream_of(segment: Path) -> tuple[int, int, str]:
    """The first segment's picture size and its H.264 codec string from the sequence parameter set."""
    import av

    with av.open(str(segment)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            data = bytes(packet)
            if data:
                return stream.width, stream.height, avc1(data)
    raise ValueError(f"{segment} has no video")


def avc1(annex_b: bytes) -> str:
    """``avc1.PPCCLL`` from the first sequence parameter set (NAL type 7) of an Annex B H.264 packet."""
    at = 0
    while (at := annex_b.find(b"\x00\x00\x01", at)) != -1:
        header = annex_b[at + 3 : at + 7]
        if len(header) == 4 and header[0] & 0x1F == 7:
            return f"avc1.{header[1]:02x}{header[2]:02x}{header[3]:02x}"
        at += 3
    return "avc1.640028"  # not found (never seen from libx264): High 4.0, what a 1080p player handles


def master_playlist(variants: list[dict[str, Any]]) -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for v in sorted(variants, key=lambda v: v["bandwidth"]):
        lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={v['bandwidth']},AVERAGE-BANDWIDTH={v['average_bandwidth']},"
                     f"RESOLUTION={v['width']}x{v['height']},FRAME-RATE={v['frame_rate']:.3f},"
                     f'CODECS="{v["codecs"]}"')  # fmt: skip
        lines.append(v["playlist"])
    return "\n".join(lines) + "\n"
