"""A program under a pseudo-terminal: write keys, wait (select, no polling) until given text is in its output."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], cols: int = 120, rows: int = 40) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env={**env, "TERM": "xterm-256color"},
            start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.buffer = b""
        self.log = bytearray()  # everything written since start (or since the last mark())

    def mark(self) -> None:
        self.log = bytearray()

    def send(self, data: bytes) -> None:
        self.buffer = b""
        os.write(self.master, data)

    def wait_for(self, text: str, timeout: float = 30.0) -> float:
        """Seconds until ``text`` appears in what the program wrote since the last send (or start)."""
        needle = text.encode()
        deadline = time.perf_counter() + timeout
        while needle not in self.buffer:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"'{text}' never appeared")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 1 << 16)
                except OSError:
                    raise TimeoutError(f"the program ended before '{text}' appeared") from None
                self.buffer += chunk
                self.log += chunk
        return time.perf_counter()

    def drain(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.log += os.read(self.master, 1 << 16)
                except OSError:
                    return

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.master)
