"""One writer at a time: an advisory lock file that names its holder."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from moviegen.core.errors import ConflictError


@contextmanager
def exclusive(path: Path, what: str, wait: float = 0.0) -> Iterator[None]:
    """Hold ``path`` locked for the block, or fail naming who holds it: at once, or after ``wait`` seconds of
    trying (for a holder that is about to finish, such as a development that has just stored its pause).

    The kernel drops the lock when the holder exits, however it exits (kill -9
    included), so a stale lock file never blocks anyone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "another process"
                raise ConflictError(
                    f"{what} is already running (process {holder})",
                    "wait for it to finish, or stop it; finished work is kept either way",
                )
            time.sleep(0.02)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
