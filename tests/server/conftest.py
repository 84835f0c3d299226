"""A real brain server for the tests: `moviegen brain serve` in a subprocess on 127.0.0.1, with its
own MOVIEGEN_HOME and projects (the sample screenplay imported and planned), stopped at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import FIXTURES, SAMPLE


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Brain:
    url: str  # http://127.0.0.1:PORT
    env: dict
    proc: subprocess.Popen
    log: Path

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://") + "/mcp/ws"

    def cli(self, *args: str, check: bool = True, remote: bool = False) -> subprocess.CompletedProcess:
        """The real CLI on the brain's projects: through this brain with ``remote``, in-process otherwise."""
        env = {**self.env, "MOVIEGEN_BRAIN_URL": self.ws} if remote else self.env
        proc = subprocess.run(
            [sys.executable, "-m", "moviegen", *args], env=env, capture_output=True, text=True, timeout=300
        )
        if check and proc.returncode:
            raise AssertionError(proc.stderr)
        return proc


def start_brain(
    root: Path, *extra: str, env_extra: dict | None = None, host: str = "127.0.0.1", port: int | None = None
) -> Brain:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MOVIEGEN_", "NEO4J_", "OPENROUTER_", "OPENAI_COMPAT_")) and not k.endswith("_API_KEY")
    }
    env.update(MOVIEGEN_HOME=str(root / "home"), MOVIEGEN_PROJECTS_DIR=str(root / "projects"), **(env_extra or {}))
    port = port or free_port()
    log = root / f"brain-{port}-{time.time_ns()}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "moviegen", "brain", "serve", "--host", host, "--port", str(port), "--workers", "1", *extra],
        env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT,  # noqa: SIM115
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            raise RuntimeError(f"the brain did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    return Brain(url=url, env=env, proc=proc, log=log)


def stop_brain(brain: Brain) -> None:
    brain.proc.terminate()
    try:
        brain.proc.wait(30)
    except subprocess.TimeoutExpired:
        brain.proc.kill()


def sample_world(root: Path) -> None:
    """The sample screenplay imported and planned as project 'lantern-road' under ``root``."""
    source = SAMPLE if SAMPLE.exists() else FIXTURES / "lantern_road.fountain"
    env = {"MOVIEGEN_HOME": str(root / "home"), "MOVIEGEN_PROJECTS_DIR": str(root / "projects")}
    for args in (["import", str(source), "--slug", "lantern-road"], ["plan", "lantern-road"]):
        subprocess.run(
            [sys.executable, "-m", "moviegen", *args], env={**os.environ, **env}, check=True, capture_output=True
        )


@pytest.fixture(scope="module")
def brain(tmp_path_factory):
    root = tmp_path_factory.mktemp("brain")
    sample_world(root)
    b = start_brain(root)
    yield b
    stop_brain(b)


@asynccontextmanager
async def session(brain: Brain, transport: str = "ws", token: str | None = None):
    """The SDK's own client over one of the three transports."""
    from mcp.client.session import ClientSession

    headers = {"Authorization": f"Bearer {token}"} if token else None
    if transport == "ws":
        from moviegen.brain.server.ws_transport import client_streams

        async with client_streams(brain.ws, headers) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            yield s
    elif transport == "http":
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            async with streamable_http_client(brain.url + "/mcp", http_client=http) as streams:
                async with ClientSession(streams[0], streams[1]) as s:
                    await s.initialize()
                    yield s
    else:
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=sys.executable, args=["-m", "moviegen", "brain", "stdio"], env=brain.env)
        async with stdio_client(params) as (r, w), ClientSession(r, w) as s:
            await s.initialize()
            yield s
