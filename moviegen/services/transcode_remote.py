"""A transcode preset as a step on another machine: the Celery executor's ``transcode`` queue.

Brain side (``on_runner``): the film goes to the step by content — linked into the project's assets/ under
its hash (a hard link where the file system allows, else a copy), so the runner puts it in the shared store
like any step's input. Worker side (``run_step``): in the worker's own folder, where its task has fetched the
film by hash, the preset is written with the same ffmpeg arguments as a local transcode (transcode.make), and
every file it wrote — the HLS ladder's playlists and segments too — is content-addressed into assets/, which the
task puts in the store. Back on the brain, the runner has brought them into the project's assets/ (each checked
against its hash); they are linked under their names into a hidden folder that is renamed into place: the same
whole-or-nothing ``exports/transcodes/<preset>/`` as a local transcode, with the same result.

Progress is per preset (0 and 100 %; ffmpeg's own stays on the worker), and a cancel takes effect when the
preset's step ends (a step not started yet is revoked).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from pathlib import Path, PurePosixPath
from typing import Any

from moviegen.core.errors import JobCancelledError, NotFoundError, RenderError, UsageError
from moviegen.core.project import Project


def on_runner(project: Project, src, preset, runner, cancel: threading.Event | None) -> dict[str, Any]:
    """One preset of ``src`` made by a step of ``runner``, put in place in the project; what a local one returns."""
    from moviegen.services.transcode import _swap, output_dir, placed

    _stop_if(cancel, project)
    job = {"project": str(project.path), "slug": project.slug, "preset": preset.name,
           "film": content_addressed(project.path, src.path, "mp4"),
           "source": {"width": src.width, "height": src.height, "fps": src.fps, "duration": src.duration,
                      "audio": src.audio, "poster_at": src.poster_at}}  # fmt: skip
    [(_, result)] = list(runner.run([("transcode", job)]))
    _stop_if(cancel, project)
    final = output_dir(project, preset.name)
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{preset.name}.", suffix=".part", dir=final.parent))
    work.chmod(0o755)
    try:
        for entry in result["files"]:
            name, asset = entry["name"], project.path / entry["asset"]
            if not _safe_name(name) or not asset.is_file():
                raise RenderError(f"the {preset.name} step returned a file it did not make ({name})",
                                  "run the transcode again")  # fmt: skip
            target = work / name
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(asset, target)
        _swap(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return placed(project, preset.name, result["names"], result.get("details") or {})


def run_step(job: dict[str, Any], root: Path) -> dict[str, Any]:
    """On a worker: the preset of the film ``job`` names, every file it wrote content-addressed under ``root``."""
    from moviegen.services.transcode import PRESETS, Source, make

    preset = PRESETS.get(job.get("preset", ""))
    if preset is None:
        raise UsageError(f"'{job.get('preset')}' is not a transcode preset", f"use one of {', '.join(PRESETS)}")
    src = Source(path=root / job["film"], **job["source"])
    if not src.path.is_file():
        raise NotFoundError(f"the film {job['film']} is not on this worker", "run the transcode again")
    work = Path(tempfile.mkdtemp(prefix=f".transcode-{preset.name}.", dir=root))
    try:
        names, details = make(src, preset, work, job["slug"], lambda done: None, None)
        files = []
        for path in sorted(p for p in work.rglob("*") if p.is_file()):
            ext = path.suffix.lstrip(".") or "bin"
            files.append(
                {"name": path.relative_to(work).as_posix(), "asset": content_addressed(root, path, ext, move=True)}
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"made": [f["asset"] for f in files], "files": files, "names": names, "details": details}


def content_addressed(root: Path, path: Path, ext: str, move: bool = False) -> str:
    """``assets/<sha256>.<ext>`` under ``root`` holding the bytes of ``path`` (linked, copied or moved there;
    an asset that exists already holds them)."""
    with path.open("rb") as fh:
        sha = hashlib.file_digest(fh, "sha256").hexdigest()
    rel = f"assets/{sha}.{ext}"
    target = root / rel
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")
        if move:
            shutil.move(path, part)
        else:
            _link_or_copy(path, part)
        os.replace(part, target)  # whole or not at all
    return rel


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(source, target)


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and all(p not in ("", ".", "..") for p in parts)


def _stop_if(cancel: threading.Event | None, project: Project) -> None:
    if cancel is not None and cancel.is_set():
        raise JobCancelledError(f"the transcode of {project.slug} was cancelled", "start it again when you want it")
