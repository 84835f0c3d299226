"""The project bundle: the whole project in one archive with a manifest of checksums, for ``moviegen import``
to restore exactly (``bundle_import``), ready to render again with everything reused.

The archive is a plain (uncompressed) POSIX tar, ``exports/<slug>-<YYYYMMDD-HHMMSS>.moviegen.tar``: nearly all
of a rendered project's bytes are PNG, MP4 and AAC that compression would only spend time on, and a plain tar
can be read member by member (the importer reads it twice: once to verify, once to write). Its members are the
project's files as they are on disk, each with its modification time (the newest render report is the "last
render"), then ``manifest.json``: the format and its version, the moviegen that made it, the project (id,
slug, title), when, and every file with its size, sha256 (of exactly the bytes in the archive, hashed as they
are written) and modification time (so a changed header is caught as surely as a changed byte of a file).

What goes in: every file of the project folder (moviegen.toml, story/, screenplay.fountain, shots.toml,
assets/, renders/, anything a person put there), and from ``.moviegen/`` what cannot be made again from the
files: the project index (finished steps, which a render reuses by their keys; takes; jobs; the cost ledger
and provider cache), the knowledge store (documents and links people stored, past runs, besides the story's
own documents) and story development's checkpoints (a stage paused for approval). Each database is copied
with SQLite's backup API into a snapshot (consistent while the brain writes to it), never as a live file.
What stays out: ``exports/`` (the bundles among them), hidden files (``.*``: partial writes, a ``.git``), the
render checkpoints (a render resumes from the index's steps anyway), the vector index files and voice samples
(rebuilt on use), lock files. A render holds the project's render lock, and so does bundling: a bundle never
catches a render halfway.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from moviegen import __version__
from moviegen.core import locations
from moviegen.core.errors import StorageError
from moviegen.core.lock import exclusive
from moviegen.core.project import Project

FORMAT, VERSION = "moviegen-bundle", 1
MANIFEST = "manifest.json"
SUFFIX = ".moviegen.tar"
STATE = ".moviegen"
DATABASES = ("index.sqlite", "knowledge.sqlite", "story.sqlite")  # under .moviegen/, as backup snapshots
STATE_FILES = (".gitignore",)
LEFT_OUT = ("exports",)  # top-level folders not bundled


def write_bundle(project: Project) -> Path:
    """Bundle the project into exports/ (written to a temporary name, then renamed) and return its path."""
    folder = locations.exports_dir(project.path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{project.slug}-{time.strftime('%Y%m%d-%H%M%S')}{SUFFIX}"
    with exclusive(locations.render_lock(project.path), f"a render of {project.slug}"):
        with tempfile.TemporaryDirectory(prefix=".bundle-", dir=folder) as scratch:
            entries = project_files(project.path) + snapshots(project.path, Path(scratch))
            partial = Path(scratch) / path.name
            try:
                with open(partial, "wb") as out:
                    _write_tar(out, project, entries)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(partial, path)
            except OSError as exc:
                raise StorageError(f"cannot write {path}: {exc.strerror or exc}",
                                   f"check the free space and permissions of {folder}") from exc  # fmt: skip
    return path


def project_files(root: Path) -> list[tuple[str, Path]]:
    """(name in the bundle, file on disk) of every ordinary file of the project, sorted by name: no hidden
    file or folder, nothing in exports/, no symbolic link (it may point out of the project)."""
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (here == root and d in LEFT_OUT)]
        for name in files:
            path = here / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def snapshots(root: Path, scratch: Path) -> list[tuple[str, Path]]:
    """Consistent copies of the project's databases in ``scratch`` (SQLite's backup API: a snapshot even while
    another connection writes), and the state files kept as they are."""
    state = locations.state_dir(root)
    out = [(f"{STATE}/{name}", state / name) for name in STATE_FILES if (state / name).is_file()]
    for name in DATABASES:
        live = state / name
        if not live.is_file():
            continue
        copy = scratch / name
        source = sqlite3.connect(live, timeout=30)
        try:
            target = sqlite3.connect(copy)
            try:
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file: no -wal beside it
            finally:
                target.close()
        except sqlite3.Error as exc:
            raise StorageError(f"cannot copy {live}: {exc}", "check the file, or run 'moviegen reindex'") from exc
        finally:
            source.close()
        os.utime(copy, ns=(live.stat().st_atime_ns, live.stat().st_mtime_ns))
        out.append((f"{STATE}/{name}", copy))
    return sorted(out)


def _write_tar(out: BinaryIO, project: Project, entries: list[tuple[str, Path]]) -> None:
    files = []
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in entries:
            with open(path, "rb") as src:
                stat = os.fstat(src.fileno())
                reader = _Hashing(src)
                tar.addfile(_member(name, stat.st_size, stat.st_mtime), reader)
            files.append({"path": name, "bytes": stat.st_size, "sha256": reader.sha256.hexdigest(),
                          "mtime": stat.st_mtime})  # fmt: skip
        manifest = json.dumps(_manifest(project, files), indent=2).encode("utf-8")
        tar.addfile(_member(MANIFEST, len(manifest), time.time()), _Hashing(io.BytesIO(manifest)))


def _manifest(project: Project, files: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "moviegen": __version__,
        "project": {"id": project.info.id, "slug": project.slug, "title": project.info.title},
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": files,
    }


def _member(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode, info.type = size, mtime, 0o644, tarfile.REGTYPE
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _Hashing:
    """A file read through: what tarfile copies into the archive is what the manifest's digest is of."""

    def __init__(self, src: BinaryIO) -> None:
        self.src, self.sha256 = src, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.src.read(size)
        self.sha256.update(data)
        return data


def safe_name(name: str) -> bool:
    """Whether an archive member's name stays inside the folder it is extracted into: relative, no '..', no
    empty or '.' parts, no backslash or NUL (another system's separator, or a C string's end)."""
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        return False
    parts = PurePosixPath(name).parts
    return all(part not in ("", ".", "..") for part in parts) and name.split("/") == list(parts)
