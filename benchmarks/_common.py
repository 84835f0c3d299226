"""Helpers for the benchmark scripts: medians of repeated runs, a temp world."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "samples" / "lantern_road.fountain"
if not SAMPLE.exists():
    SAMPLE = ROOT / "tests" / "fixtures" / "lantern_road.fountain"


def median_time(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def world() -> dict[str, str]:
    """Environment for a throwaway MOVIEGEN_HOME and projects dir."""
    base = Path(tempfile.mkdtemp(prefix="moviegen-bench-"))
    return {**os.environ, "MOVIEGEN_HOME": str(base / "home"), "MOVIEGEN_PROJECTS_DIR": str(base / "projects")}


def moviegen(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("moviegen")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "moviegen"]
    proc = subprocess.run([*cmd, *args], env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"moviegen {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def brain_server(env: dict[str, str], workers: int = 1, extra: tuple[str, ...] = ()) -> Iterator[dict[str, str]]:
    """`moviegen brain serve` on 127.0.0.1 for the block (its log beside MOVIEGEN_HOME), stopped after it;
    yields the environment a client uses to reach it (MOVIEGEN_BRAIN_URL set)."""
    import httpx

    port = free_port()
    log = open(Path(env["MOVIEGEN_HOME"]).parent / f"brain-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "moviegen", "brain", "serve", "--port", str(port),
                             "--workers", str(workers), *extra], env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the brain did not start; see {log.name}")
            time.sleep(0.1)
        yield {**env, "MOVIEGEN_BRAIN_URL": f"ws://127.0.0.1:{port}/mcp/ws"}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
