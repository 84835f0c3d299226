"""Starting the brain: uvicorn for WebSocket/HTTP, the SDK's stdio transport, the tool list."""

from __future__ import annotations

import socket

from moviegen.core.errors import UsageError


def _brain():
    from moviegen.brain.local import LocalBrain

    return LocalBrain()


def check_bind(host: str, port: int, require_token: bool) -> bool:
    from moviegen.brain.server.auth import is_loopback

    if not is_loopback(host):
        require_token = True  # off loopback the door always asks
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                "is a brain already running ('moviegen status')? or choose another port with --port",
            ) from None
    return require_token


def serve(host: str, port: int, *, require_token: bool = False, max_message_bytes: int = 4 << 20, runner_factory=None):
    import uvicorn

    from moviegen.brain.server.app import create_app

    require_token = check_bind(host, port, require_token)
    app = create_app(
        _brain(), require_token=require_token, max_message_bytes=max_message_bytes, runner_factory=runner_factory
    )
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", ws_max_size=max_message_bytes, lifespan="on",
        timeout_graceful_shutdown=30, backlog=4096, ws_ping_interval=20, ws_ping_timeout=20,
        ws_per_message_deflate=False,  # JSON-RPC frames are small; compressing them cost ~10 % of the CPU
    )  # fmt: skip
    uvicorn.Server(config).run()


def serve_stdio(runner_factory=None) -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    from moviegen.brain.server.events import EventBus
    from moviegen.brain.server.jobs import JobManager
    from moviegen.brain.server.tools import build_server

    brain = _brain()
    events = EventBus()
    mcp = build_server(brain, JobManager(brain, events, runner_factory), events)
    server = mcp._lowlevel_server

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)


def list_tools() -> list[dict]:
    import anyio

    from moviegen.brain.server.events import EventBus
    from moviegen.brain.server.jobs import JobManager
    from moviegen.brain.server.tools import build_server

    brain = _brain()
    events = EventBus()
    mcp = build_server(brain, JobManager(brain, events), events)
    tools = anyio.run(mcp.list_tools)
    return [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools]
