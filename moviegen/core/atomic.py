"""Atomic, conflict-aware file writes: a compare-and-swap that holds across threads and processes.

Every write goes temp file → fsync → (lock → digest check → rename → unlock) → fsync of the folder. The lock
is an exclusive ``flock`` on the file's folder itself, opened afresh by each call, so:

- threads and processes exclude each other alike (a lock belongs to the open file description, and each call
  opens its own);
- nothing is created for it: no lock file in a project folder people read, diff and commit, and no lock file
  elsewhere whose path could differ between two processes (the folder's inode is the lock's identity);
- the kernel drops it when its holder dies, kill -9 included, so a crashed writer never blocks the next one.

Every write takes the lock, those without ``expect_digest`` too, so a plain write cannot land between another
writer's check and its rename. ``update_text`` is a read-modify-write under the same lock. One lock per folder
(not per file) is coarse, but it is held only for the check and the rename (``update_text``: the read, the
caller's function and the write of a small text file). The descriptors are close-on-exec; a bare ``fork()``
while another thread holds a lock would keep it held in the child (moviegen starts processes with spawn or
forkserver). A local file system is assumed: flock on a network share is only as good as that share's locks.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from moviegen.core.errors import ConflictError, StorageError

ABSENT = ""
"""The digest to expect of a file that does not exist yet: the write is refused if someone created it meanwhile.
(A file that was deleted since it was read never refuses a write: nothing on disk would be lost.)"""


def file_digest(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def read_text(path: Path) -> tuple[str | None, str]:
    """A file's text and the digest of exactly those bytes (one read, so the two always agree), to pass back
    as ``expect_digest``; ``(None, ABSENT)`` when the file does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, ABSENT
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}", "check the file's permissions") from exc
    return _decode(path, data), hashlib.sha256(data).hexdigest()


def write_bytes(path: Path, data: bytes, *, expect_digest: str | None = None) -> str:
    """Write ``data`` to ``path`` atomically and return its sha256.

    With ``expect_digest`` the write is refused (ConflictError) when the file on disk no longer has that digest:
    someone else changed it since it was read. The check and the rename happen under the folder's lock, so of
    two writers that read the same version, exactly one succeeds.
    """
    _make_folder(path)
    tmp = _write_temp(path, data)
    try:
        with _folder_lock(path.parent) as folder:
            _check(path, expect_digest)
            _replace(tmp, path)
            _unlock_and_sync(folder)
    except BaseException:
        _discard(tmp)
        raise
    return hashlib.sha256(data).hexdigest()


def write_text(path: Path, text: str, *, expect_digest: str | None = None) -> str:
    return write_bytes(path, text.encode("utf-8"), expect_digest=expect_digest)


def update_text(path: Path, fn: Callable[[str | None], str], *, expect_digest: str | None = None) -> str:
    """Read ``path``, write ``fn(old)`` in its place and return the new digest, all under the folder's lock, so
    no other write lands between the read and the write. ``old`` is None when the file does not exist.

    ``fn`` runs while the lock is held: keep it to parsing and editing text. If it raises, nothing is written.
    With ``expect_digest``, the file must still have that digest when it is read (ConflictError otherwise).
    If ``fn`` returns the text unchanged, the file is left as it is.
    """
    _make_folder(path)
    with _folder_lock(path.parent) as folder:
        old, digest = read_text(path)
        if expect_digest is not None and old is not None and digest != expect_digest:
            raise _conflict(path)
        new = fn(old).encode("utf-8")
        new_digest = hashlib.sha256(new).hexdigest()
        if old is not None and new_digest == digest:
            return digest
        tmp = _write_temp(path, new)
        try:
            _replace(tmp, path)
        except BaseException:
            _discard(tmp)
            raise
        _unlock_and_sync(folder)
    return new_digest


@contextmanager
def _folder_lock(folder: Path) -> Iterator[int]:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        raise StorageError(f"cannot open {folder}: {exc.strerror or exc}", "check the folder's permissions") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            raise StorageError(
                f"cannot lock {folder} for writing: {exc.strerror or exc}",
                "keep projects on a local disk (this file system refuses folder locks)",
            ) from exc
        yield fd
    finally:
        os.close(fd)  # releases the lock if it is still held


def _unlock_and_sync(folder: int) -> None:
    """Let the next writer in, then make the rename durable (fsync of the folder; best effort)."""
    fcntl.flock(folder, fcntl.LOCK_UN)
    try:
        os.fsync(folder)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename itself has happened


def _check(path: Path, expect_digest: str | None) -> None:
    if expect_digest is None:
        return
    current = file_digest(path)
    if current is not None and current != expect_digest:
        raise _conflict(path)


def _conflict(path: Path) -> ConflictError:
    return ConflictError(
        f"{path.parent.name}/{path.name} changed on disk since it was read",
        "reload it, merge your change, and save again",
    )


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot write {path}: {exc.strerror or exc}", "check that the folder exists and is writable"
        ) from exc


def _write_temp(path: Path, data: bytes) -> str:
    """``data`` in a temp file beside ``path``, flushed to disk; returns the temp file's path."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StorageError(
            f"cannot write {path}: {exc.strerror or exc}", "check that the folder exists and is writable"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        _discard(tmp)
        if isinstance(exc, OSError):
            raise StorageError(
                f"cannot write {path}: {exc.strerror or exc}", "check disk space and permissions"
            ) from exc
        raise
    return tmp


def _replace(tmp: str, path: Path) -> None:
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}", "check disk space and permissions") from exc


def _discard(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StorageError(
            f"{path.name} is not UTF-8 text (byte {exc.start})", "save it as UTF-8 in your editor"
        ) from None
