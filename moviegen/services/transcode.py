"""Transcodes of the last render for where the film goes next: the web, phones, editors, a podcast feed, a
preview, a poster, and an HLS ladder for a streaming player.

Presets are data (``PRESETS``): a name, what it is for, and the ffmpeg arguments made from the film's own
size, so nothing is ever scaled up (a 720p preset of a 360p film stays 360p: a larger file, no sharper).
Each preset writes one folder, ``exports/transcodes/<preset>/``, made in a hidden temporary folder beside it
and renamed into place when ffmpeg has finished, so a folder people see is always whole: a cancelled, failed
or killed transcode leaves the previous one as it was (its temporary folder is swept on the next run).

ffmpeg is the binary imageio-ffmpeg ships (a known build with libx264, ProRes, libwebp and the HLS muxer, the
same on every machine), else the one on PATH. It reports progress on a pipe (``-progress pipe:1``); a cancel
kills it at once, and it dies with the process that started it.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moviegen.core import locations
from moviegen.core.errors import JobCancelledError, MoviegenError, ProjectStateError, RenderError, UsageError
from moviegen.core.project import Project

Progress = Callable[[str, int, int], None]  # (preset, done, total): done of total percent


@dataclass(frozen=True)
class Source:
    """What the presets need to know of the film."""

    path: Path
    width: int
    height: int
    fps: float
    duration: float
    audio: str | None  # the audio codec, None without a sound track
    poster_at: float  # seconds: where the poster frame and the preview come from


@dataclass(frozen=True)
class Preset:
    name: str
    about: str
    ext: str  # the output file's extension ("" for a folder of files: hls)
    args: Callable[[Source], list[str]]  # ffmpeg arguments between the input and the output file
    needs_audio: bool = False
    seconds: Callable[[Source], float] = lambda src: src.duration  # the output's length, for the progress
    start: Callable[[Source], float] = lambda src: 0.0  # where in the film it starts (a seek before decoding)


@dataclass
class TranscodeOptions:
    """What a transcode job was started with (kept with the job for a retry)."""

    presets: list[str] = field(default_factory=list)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def fit(src: Source, short_side: int) -> tuple[int, int]:
    """The film's size with its short side at most ``short_side`` (never larger than it is), both even."""
    scale = min(1.0, short_side / min(src.width, src.height))
    return _even(src.width * scale), _even(src.height * scale)


def _h264(src: Source, short_side: int, crf: int = 21) -> list[str]:
    w, h = fit(src, short_side)
    return ["-vf", f"scale={w}:{h}:flags=lanczos,format=yuv420p", "-c:v", "libx264", "-profile:v", "high",
            "-preset", "medium", "-crf", str(crf), *_aac(src), "-movflags", "+faststart"]  # fmt: skip


def _aac(src: Source, bitrate: str = "160k") -> list[str]:
    if src.audio is None:
        return ["-an"]
    return ["-c:a", "copy"] if src.audio == "aac" else ["-c:a", "aac", "-b:a", bitrate]


def _vertical(src: Source) -> list[str]:
    """9:16 for phones: the whole picture across the width, over a blurred, darkened fill of itself (nothing is
    cropped away: not a face at the edge, not a burned-in subtitle). A film that is already 9:16 only scales.
    The fill is blurred at an eighth of the size and scaled back up: the same look, a fraction of the work."""
    w = _even(min(1080, src.width))
    h = _even(w * 16 / 9)
    graph = (f"[0:v]split[bg][fg];[bg]scale={w}:{h}:force_original_aspect_ratio=increase,crop={w}:{h},"
             f"scale={_even(w / 8)}:{_even(h / 8)},gblur=sigma=3,scale={w}:{h}:flags=bicubic,eq=brightness=-0.12[back];"
             f"[fg]scale={w}:{h}:force_original_aspect_ratio=decrease:force_divisible_by=2:flags=lanczos[front];"
             f"[back][front]overlay=(W-w)/2:(H-h)/2,format=yuv420p[v]")  # fmt: skip
    return ["-filter_complex", graph, "-map", "[v]", "-map", "0:a?", "-c:v", "libx264", "-profile:v", "high",
            "-preset", "medium", "-crf", "21", *_aac(src), "-movflags", "+faststart"]  # fmt: skip


def _prores(src: Source) -> list[str]:
    audio = ["-c:a", "pcm_s16le"] if src.audio else ["-an"]
    return ["-c:v", "prores_ks", "-profile:v", "0", "-vendor", "apl0", "-pix_fmt", "yuv422p10le", *audio]


def preview_window(src: Source) -> tuple[float, float]:
    """(start, length) of the animated preview: six seconds from the poster's moment, inside the film."""
    length = min(6.0, src.duration)
    return max(0.0, min(src.poster_at - length / 2, src.duration - length)), length


def _preview(src: Source, gif: bool) -> list[str]:
    w = _even(min(480, src.width))
    window = ["-t", f"{preview_window(src)[1]:.3f}"]
    if gif:
        graph = (f"fps=10,scale={w}:-2:flags=lanczos,split[a][b];[a]palettegen=stats_mode=diff[p];"
                 f"[b][p]paletteuse=dither=bayer:bayer_scale=3")  # fmt: skip
        return [*window, "-vf", graph, "-an", "-loop", "0", "-f", "gif"]
    return [*window, "-vf", f"fps=10,scale={w}:-2:flags=lanczos", "-an", "-c:v", "libwebp_anim",
            "-quality", "70", "-compression_level", "4", "-loop", "0", "-f", "webp"]  # fmt: skip


def _poster(src: Source) -> list[str]:
    return ["-frames:v", "1", "-an", "-q:v", "2", "-update", "1", "-f", "image2"]


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("web720", "H.264 high + AAC, 720p (never larger than the film), fast start", "mp4",
           lambda s: _h264(s, 720)),
    Preset("web1080", "H.264 high + AAC, 1080p (never larger than the film), fast start", "mp4",
           lambda s: _h264(s, 1080)),
    Preset("vertical", "9:16 for phones: the whole picture over a blurred fill of itself, H.264 + AAC", "mp4",
           _vertical),
    Preset("prores", "ProRes 422 Proxy + PCM in a QuickTime .mov, for editors", "mov", _prores),
    Preset("audio", "the soundtrack alone as AAC (.m4a; copied, not re-encoded)", "m4a",
           lambda s: ["-vn", *_aac(s), "-movflags", "+faststart"], needs_audio=True),
    Preset("wav", "the soundtrack alone as 16-bit PCM WAV", "wav", lambda s: ["-vn", "-c:a", "pcm_s16le"],
           needs_audio=True),
    Preset("preview", "an animated WebP: 6 s, 480 px wide, 10 fps, looping", "webp", lambda s: _preview(s, False),
           seconds=lambda s: preview_window(s)[1], start=lambda s: preview_window(s)[0]),
    Preset("gif", "the animated preview as a GIF (one palette per film)", "gif", lambda s: _preview(s, True),
           seconds=lambda s: preview_window(s)[1], start=lambda s: preview_window(s)[0]),
    Preset("poster", "one full-size JPEG frame: the first shot with a character, else a third of the way in",
           "jpg", _poster, seconds=lambda s: 0.0, start=lambda s: s.poster_at),
    Preset("hls", "HLS ladder 360p/720p/1080p (none above the film's size), 4 s segments, master.m3u8", "",
           lambda s: []),
)}  # fmt: skip


# ------------------------------------------------------------------ running
def transcode(project: Project, presets: list[str], *, on_progress: Progress | None = None,
              cancel: threading.Event | None = None, runner: Any = None) -> dict[str, Any]:  # fmt: skip
    """Transcode the project's last render into each preset, one after another; returns what each wrote. With a
    ``runner`` whose steps run on other machines (the Celery executor: ``runner.remote``), each preset is a step
    on its ``transcode`` queue (transcode_remote.py); else ffmpeg runs here."""
    unknown = [p for p in presets if p not in PRESETS]
    if unknown or not presets:
        raise UsageError(f"'{unknown[0] if unknown else ''}' is not a transcode preset",
                         f"use one of {', '.join(PRESETS)}")  # fmt: skip
    src = source(project)
    report = on_progress or (lambda preset, done, total: None)
    results = []
    for name in dict.fromkeys(presets):
        preset = PRESETS[name]
        if preset.needs_audio and src.audio is None:
            raise ProjectStateError(f"{src.path.name} has no sound track to make '{name}' of",
                                    f"render {project.slug} again: 'moviegen render {project.slug}'")  # fmt: skip
        report(name, 0, 100)
        if getattr(runner, "remote", False):
            from moviegen.services.transcode_remote import on_runner

            results.append(on_runner(project, src, preset, runner, cancel))
        else:
            results.append(_one(project, src, preset, lambda done, n=name: report(n, done, 100), cancel))
        report(name, 100, 100)
    return {"project": project.slug, "film": _rel(project, src.path), "presets": results}


def source(project: Project) -> Source:
    """The last render, probed: its size, rate, length, sound, and the poster's moment."""
    import av

    from moviegen.services.export.timeline_otio import last_render

    try:
        report_path, report = last_render(project)
    except ProjectStateError:
        raise ProjectStateError(f"{project.slug} has no render yet, so there is nothing to transcode",
                                f"render it first: 'moviegen render {project.slug}'") from None  # fmt: skip
    film = report_path.with_suffix(".mp4")
    if not film.exists():
        raise ProjectStateError(f"the last render's film {film.name} is missing",
                                f"render it again: 'moviegen render {project.slug}'")  # fmt: skip
    try:
        with av.open(str(film)) as container:
            video = container.streams.video[0]
            audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
            duration = float(container.duration or 0) / 1_000_000
            width, height, fps = video.width, video.height, float(video.average_rate or report["fps"])
    except (av.error.FFmpegError, IndexError) as exc:
        raise RenderError(
            f"cannot read {film.name}: {exc}", f"render it again: 'moviegen render {project.slug}'"
        ) from None
    duration = duration or float(report.get("duration") or 0)
    return Source(film, width, height, fps, duration, audio, poster_time(project, report, duration))


def poster_time(project: Project, report: dict[str, Any], duration: float) -> float:
    """The middle of the first shot that has a character in it (the shot list says who is in each shot),
    else a third of the way in."""
    from moviegen.core import shotlist

    try:
        cast = {s.id for s in shotlist.load(locations.shots_file(project.path)) if s.characters}
    except MoviegenError:
        cast = set()
    fps = float(report.get("fps") or 24)
    for shot in report.get("shots", []):
        if shot.get("id") in cast and shot.get("frames"):
            return min(duration, (shot["start_frame"] + shot["frames"] / 2) / fps)
    return duration / 3


def output_dir(project: Project, preset: str) -> Path:
    return locations.exports_dir(project.path) / "transcodes" / preset


def _one(project: Project, src: Source, preset: Preset, progress: Callable[[int], None],
         cancel: threading.Event | None) -> dict[str, Any]:  # fmt: skip
    """One preset into a temporary folder, then renamed into place."""
    final = output_dir(project, preset.name)
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(f".{preset.name}.*.part"):  # left by a process that was killed mid-way
        shutil.rmtree(stale, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix=f".{preset.name}.", suffix=".part", dir=final.parent))
    work.chmod(0o755)  # mkdtemp's is private; the folder people open is not
    try:
        names, details = make(src, preset, work, project.slug, progress, cancel)
        _swap(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return placed(project, preset.name, names, details)


def make(src: Source, preset: Preset, work: Path, slug: str, progress: Callable[[int], None],
         cancel: threading.Event | None) -> tuple[list[str], dict[str, Any]]:  # fmt: skip
    """Write one preset of ``src`` into the folder ``work``: the names of the files it wrote, and details."""
    if preset.name == "hls":
        from moviegen.services.transcode_hls import write_ladder

        return write_ladder(src, work, lambda args, secs: run_ffmpeg(args, secs, progress, cancel))
    names = [f"{slug}-{preset.name}.{preset.ext}"]
    seek = ["-ss", f"{preset.start(src):.3f}"] if preset.start(src) else []
    run_ffmpeg([*seek, "-i", str(src.path), *preset.args(src), str(work / names[0])], preset.seconds(src),
               progress, cancel)  # fmt: skip
    return names, {}


def placed(project: Project, preset: str, names: list[str], details: dict[str, Any]) -> dict[str, Any]:
    """What a finished preset's folder holds: each file's path in the project, size and sha256."""
    final = output_dir(project, preset)
    files = [_file(project, final / name) for name in names]
    return {"preset": preset, "dir": _rel(project, final), "files": files, **details}


def _swap(work: Path, final: Path) -> None:
    """Put the finished folder in place of the previous one (renames only; the old one is removed after)."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.old.part")
        final.rename(old)
    work.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _file(project: Project, path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"path": _rel(project, path), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def _rel(project: Project, path: Path) -> str:
    return path.relative_to(project.path).as_posix()


# ------------------------------------------------------------------ ffmpeg
def ffmpeg_exe() -> str:
    """The ffmpeg binary: imageio-ffmpeg's (a dependency), else the one on PATH."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found:
            return found
    raise MoviegenError("ffmpeg is not installed, so the film cannot be transcoded",
                        "pip install imageio-ffmpeg (it brings its own ffmpeg), or install ffmpeg")  # fmt: skip


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: ffmpeg gets SIGKILL when the thread that started it ends (a brain killed with -9 included)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def run_ffmpeg(args: list[str], seconds: float, progress: Callable[[int], None],
               cancel: threading.Event | None) -> None:  # fmt: skip
    """Run ffmpeg with ``args``, reporting percent done of ``seconds`` of output; a set ``cancel`` kills it."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-progress", "pipe:1",
           "-stats_period", "0.25", *args]  # fmt: skip
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)  # fmt: skip
        watcher = threading.Thread(target=_watch, args=(proc, cancel), daemon=True) if cancel else None
        if watcher:
            watcher.start()
        last = -1
        try:
            for line in proc.stdout:
                key, _, value = line.strip().partition("=")
                if key == "out_time_us" and value.lstrip("-").isdigit() and seconds > 0:
                    done = max(0, min(99, int(int(value) / 1e6 / seconds * 100)))
                    if done != last:
                        last = done
                        progress(done)
            code = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if cancel is not None and cancel.is_set():
            raise JobCancelledError("the transcode was cancelled", "start it again: nothing half-written was kept")
        if code != 0:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip().splitlines()
            raise RenderError(f"ffmpeg failed ({code}): {said[-1] if said else 'no message'}",
                              "run it again with --debug; if it fails the same way, report it")  # fmt: skip


def _watch(proc: subprocess.Popen, cancel: threading.Event) -> None:
    while proc.poll() is None:
        if cancel.wait(0.1):
            proc.kill()
            return
