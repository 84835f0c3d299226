"""Garbage collection and retention: the assets no render, take or export references any more, and the
renders a project's retention policy lets go.

The policy is the ``[retention]`` table of the project's moviegen.toml (``keep_renders``: the newest N render
reports are kept; ``preview_days``: renders in a format other than the project's own — previews — go after
D days; unset keeps everything). What is garbage, in order:

1. renders the policy drops: their report, film and subtitles (renders/<stem>.json, .mp4, .srt, .vtt);
2. references: every ``assets/<sha256>.<ext>`` named in any text file of the project outside assets/ and
   .moviegen/ (render reports, shots.toml, exports, the cast's files — whatever kind comes next), every
   storyboard take, and what the index's record of a referenced asset names in turn (a mix's AAC track);
3. a step the index records is kept when it is referenced, when it is one of the storyboard's current stills
   (a render reuses them; their keys come from the shot list), or when it is of a kind no render report names
   (the reports do not name music cues yet: those stay until a report names one). Every other recorded asset belonged
   only to renders that are gone: the file, its index record and any provider-cache entry naming it go;
4. files in assets/ that nothing records or references (a killed step's leftovers) go too.

Files touched in the last ``GRACE`` seconds are never collected (a take being painted writes its still before
it records it). ``collect`` holds the render lock while it plans again and removes, so no render runs meanwhile.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moviegen.core import locations
from moviegen.core.index import ProjectIndex
from moviegen.core.lock import exclusive
from moviegen.core.project import Project

ASSET = re.compile(r"assets/[0-9a-f]{64}\.[A-Za-z0-9]{1,8}")
GRACE = 3600.0  # seconds
MEDIA = {".mp4", ".mov", ".webm", ".wav", ".m4a", ".mp3", ".flac", ".png", ".jpg", ".jpeg", ".webp", ".pdf"}
TEXT_LIMIT = 32 << 20  # bytes: bigger files are not read for references
RENDER_FILES = (".json", ".mp4", ".srt", ".vtt")
REPORTED = ("frame", "voice", "segment", "mix")  # kinds of step a render report names (others: when one does)


@dataclass
class Plan:
    project: Project
    renders: list[dict[str, Any]] = field(default_factory=list)  # {stem, reason, files}
    assets: list[str] = field(default_factory=list)  # paths in the project
    records: list[str] = field(default_factory=list)  # step keys
    cache: list[str] = field(default_factory=list)  # provider-cache keys
    bytes: int = 0

    def files(self) -> list[str]:
        return [f for r in self.renders for f in r["files"]] + self.assets

    def view(self, applied: bool) -> dict[str, Any]:
        policy = self.project.info.retention
        return {"project": self.project.slug, "applied": applied, "retention": policy.model_dump(),
                "renders": self.renders, "assets": self.assets, "records": len(self.records),
                "cache_entries": len(self.cache), "files": len(self.files()), "bytes": self.bytes}  # fmt: skip


def dropped_renders(project: Project, now: float) -> list[dict[str, Any]]:
    """The renders the project's retention policy lets go, newest first."""
    policy = project.info.retention
    reports = sorted(locations.renders_dir(project.path).glob("*.json"), key=lambda p: -p.stat().st_mtime)
    out = []
    for n, report in enumerate(reports):
        stem, age_days = report.stem, (now - report.stat().st_mtime) / 86400
        reason = None
        if policy.keep_renders is not None and n >= policy.keep_renders:
            reason = f"older than the newest {policy.keep_renders} (keep_renders)"
        elif policy.preview_days is not None and stem != project.slug and age_days > policy.preview_days:
            reason = f"a preview older than {policy.preview_days:g} days (preview_days)"
        if reason:
            files = [report.with_suffix(s) for s in RENDER_FILES if report.with_suffix(s).exists()]
            out.append({"stem": stem, "reason": reason, "files": [_rel(project, f) for f in files]})
    return out


def plan(project: Project, image_provider: str, *, now: float | None = None, grace: float = GRACE) -> Plan:
    """What ``collect`` would remove now, removing nothing. ``image_provider``: the one painting the project's
    stills (the storyboard's current stills are found by their keys, which name it)."""
    now = time.time() if now is None else now
    result = Plan(project=project, renders=dropped_renders(project, now))
    dropped = {f for r in result.renders for f in r["files"]}
    named = _named_in_files(project, dropped)
    named_before = named | {a for f in dropped if f.endswith(".json") for a in _named_in(project.path / f)}
    index = ProjectIndex(project.path)
    try:
        steps = index.db.execute("SELECT key, kind, asset, meta FROM steps").fetchall()
        named |= {t["asset"] for t in index.takes()}
        cache = index.db.execute("SELECT key, result FROM provider_cache WHERE result LIKE '%assets/%'").fetchall()
    finally:
        index.close()
    metas = {}
    for _, _, asset, meta in steps:
        metas.setdefault(asset, set()).update(ASSET.findall(meta))
    referenced, todo = set(), list(named)
    while todo:  # what a referenced asset's record names is referenced too
        asset = todo.pop()
        if asset not in referenced:
            referenced.add(asset)
            todo += metas.get(asset, ())
    named_before |= named
    reported = set(REPORTED) | {kind for _, kind, asset, _ in steps if asset in named_before}  # and new kinds
    board = storyboard_keys(project, image_provider)
    if board is None:
        reported.discard("frame")  # the storyboard cannot be read: every still stays
    kept = referenced | {asset for key, kind, asset, _ in steps
                         if (kind not in reported and kind != "film") or key in (board or ())}  # fmt: skip
    garbage = set()
    for path in _asset_files(project):
        rel = _rel(project, path)
        if rel not in kept and now - _mtime(path) > grace:
            garbage.add(rel)
            result.bytes += _size(path)
    result.assets = sorted(garbage)
    result.records = sorted(key for key, kind, asset, _ in steps
                            if asset in garbage or asset in dropped or not (project.path / asset).exists())  # fmt: skip
    result.cache = sorted(key for key, text in cache if set(ASSET.findall(text)) & garbage)
    result.bytes += sum(_size(project.path / f) for f in dropped)
    return result


def collect(project: Project, image_provider: str, *, now: float | None = None, grace: float = GRACE) -> Plan:
    """Remove what ``plan`` lists (planned again under the render lock): index records first, in one
    transaction, then the files; a crash in between leaves files that the next collection finds."""
    with exclusive(locations.render_lock(project.path), f"a render of {project.slug}"):
        result = plan(project, image_provider, now=now, grace=grace)
        index = ProjectIndex(project.path)
        try:
            index.db.execute("BEGIN IMMEDIATE")
            index.db.executemany("DELETE FROM steps WHERE key=?", [(k,) for k in result.records])
            index.db.executemany("DELETE FROM provider_cache WHERE key=?", [(k,) for k in result.cache])
            index.db.execute("COMMIT")
        finally:
            index.close()
        for rel in result.files():
            (project.path / rel).unlink(missing_ok=True)
    return result


def storyboard_keys(project: Project, image_provider: str) -> set[str] | None:
    """The index keys of the storyboard's current stills (each shot's approved take and first painting, as the
    shot list and cast now ask for them): a render reuses them, though no file names them. None when the shot
    list cannot be read."""
    from moviegen.core.errors import MoviegenError
    from moviegen.services.storyboard import Frames

    if not locations.shots_file(project.path).exists():
        return set()
    try:
        frames = Frames.of(project, image_provider)
        cuts = frames.timeline.shots  # the approved take, and the first painting (take 1 has no row in takes)
        return {frames.key(frames.request(cut, take)) for cut in cuts for take in (None, 1)}
    except (MoviegenError, OSError, ValueError):
        return None


def _named_in_files(project: Project, skip: set[str]) -> set[str]:
    """Every asset path named in the project's text files (outside assets/ and .moviegen/, and ``skip``)."""
    named: set[str] = set()
    root = project.path
    for folder, dirs, files in os.walk(root):
        if Path(folder) == root:
            dirs[:] = [d for d in dirs if d not in ("assets", locations.state_dir(root).name)]
        for name in files:
            path = Path(folder) / name
            if path.suffix.lower() in MEDIA or _rel(project, path) in skip or _size(path) > TEXT_LIMIT:
                continue
            named |= _named_in(path)
    return named


def _named_in(path: Path) -> set[str]:
    try:
        return set(ASSET.findall(path.read_text(encoding="utf-8", errors="ignore")))
    except OSError:
        return set()


def _asset_files(project: Project) -> list[Path]:
    folder = locations.assets_dir(project.path)
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _rel(project: Project, path: Path) -> str:
    return path.relative_to(project.path).as_posix()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
