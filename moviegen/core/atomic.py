"""Atomic, conflict-aware file writes: temp file, fsync, rename."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from moviegen.core.errors import ConflictError, StorageError


def file_digest(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def write_bytes(path: Path, data: bytes, *, expect_digest: str | None = None) -> str:
    """Write ``data`` to ``path`` atomically and return its sha256.

    With ``expect_digest`` the write is refused (ConflictError) when the file on
    disk no longer has that digest: someone else changed it since it was read.
    """
    if expect_digest is not None:
        current = file_digest(path)
        if current is not None and current != expect_digest:
            raise ConflictError(
                f"{path.name} changed on disk since it was opened",
                "reload it, merge your change, and save again",
            )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StorageError(
            f"cannot write {path}: {exc.strerror or exc}",
            "check that the folder exists and is writable",
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}", "check disk space and permissions") from exc
    return hashlib.sha256(data).hexdigest()


def write_text(path: Path, text: str, *, expect_digest: str | None = None) -> str:
    return write_bytes(path, text.encode("utf-8"), expect_digest=expect_digest)
