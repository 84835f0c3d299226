"""A project's assets/ folder and the shared store, brought level (moviegen assets push / pull).

``push`` uploads every asset of the folder the store lacks, each checked against its name first (a damaged file
is listed, never uploaded). ``pull`` downloads what the project references but its folder lacks: the assets its
index records (render steps, storyboard takes, what a recorded step names in turn) and those named in its text
files (render reports, shots.toml, the cast's sheets and models, exports), so a project copied without its media
(a git clone, a bundle of a big film) gets exactly what it uses. An asset the store does not hold either is
listed as missing: a render makes it again. The index itself is never touched: it is the project's, not the
store's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moviegen.core import locations
from moviegen.core.errors import NotFoundError
from moviegen.core.index import ProjectIndex
from moviegen.services.retention import ASSET, MEDIA, TEXT_LIMIT
from moviegen.workers.assets import EXT, SHA, AssetStore, CorruptAssetError

Progress = Callable[[int, int, str, int], None]  # done, total, the asset just handled, its bytes


def folder_assets(project_path: Path) -> list[Path]:
    """The files of assets/ named ``<sha256>.<ext>`` (temp files and strangers left out), in name order."""
    folder = locations.assets_dir(project_path)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and _split(p.name) is not None)


def referenced(project_path: Path) -> set[str]:
    """Every ``assets/<sha>.<ext>`` the project uses: recorded in its index or named in its text files."""
    named: set[str] = set()
    if locations.index_db(project_path).exists():
        index = ProjectIndex(project_path)
        try:
            for asset, meta in index.db.execute("SELECT asset, meta FROM steps").fetchall():
                named.add(asset)
                named.update(ASSET.findall(meta or ""))
            named.update(t["asset"] for t in index.takes())
        finally:
            index.close()
    skip = {"assets", locations.state_dir(project_path).name}
    for folder, dirs, files in os.walk(project_path):
        if Path(folder) == project_path:
            dirs[:] = [d for d in dirs if d not in skip]
        for name in files:
            path = Path(folder) / name
            if path.suffix.lower() in MEDIA:
                continue
            try:
                if path.stat().st_size <= TEXT_LIMIT:
                    named.update(ASSET.findall(path.read_text(encoding="utf-8", errors="ignore")))
            except OSError:
                continue
    return {a for a in named if isinstance(a, str) and a.startswith("assets/") and _split(a[7:]) is not None}


def push(project_path: Path, store: AssetStore, progress: Progress | None = None) -> dict[str, Any]:
    """Upload what the store lacks; returns what was uploaded, already there, and damaged."""
    files = folder_assets(project_path)
    uploaded, present, corrupt, sent = [], 0, [], 0
    for n, path in enumerate(files, 1):
        sha, ext = _split(path.name)
        rel = f"assets/{path.name}"
        size = path.stat().st_size
        if store.has(sha, ext):
            present += 1
        else:
            try:
                store.put(path, ext, sha=sha)
            except CorruptAssetError:
                corrupt.append(rel)
            else:
                uploaded.append(rel)
                sent += size
        if progress:
            progress(n, len(files), rel, size)
    return {"store": store.describe(), "files": len(files), "uploaded": uploaded, "present": present,
            "corrupt": corrupt, "bytes": sent}  # fmt: skip


def pull(project_path: Path, store: AssetStore, progress: Progress | None = None) -> dict[str, Any]:
    """Download what the project references and its folder lacks; returns what came, what was there already,
    what the store lacks too (missing) and what it holds damaged (corrupt: refused, nothing written)."""
    wanted = sorted(referenced(project_path))
    lacking = [rel for rel in wanted if not (project_path / rel).is_file()]
    downloaded, missing, corrupt, received = [], [], [], 0
    for n, rel in enumerate(lacking, 1):
        sha, ext = _split(rel[len("assets/") :])
        target = project_path / rel
        size = 0
        try:
            store.get(sha, ext, target)
        except NotFoundError:
            missing.append(rel)
        except CorruptAssetError:
            corrupt.append(rel)
        else:
            downloaded.append(rel)
            size = target.stat().st_size
            received += size
        if progress:
            progress(n, len(lacking), rel, size)
    return {"store": store.describe(), "referenced": len(wanted), "downloaded": downloaded,
            "present": len(wanted) - len(lacking), "missing": missing, "corrupt": corrupt, "bytes": received}  # fmt: skip


def _split(name: str) -> tuple[str, str] | None:
    sha, dot, ext = name.partition(".")
    return (sha, ext) if dot and SHA.match(sha) and EXT.match(ext) else None
