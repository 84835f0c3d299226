"""Starting the brain: uvicorn for WebSocket/HTTP, the SDK's stdio transport, the tool list."""

from __future__ import annotations

import gc
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from moviegen.core.errors import UsageError


def _brain(workers: int = 1):
    from moviegen.brain.local import LocalBrain

    # its render workers at a lower CPU priority: the server's own answers (and a studio beside it) come first
    return LocalBrain(workers=workers, nice=5, mode="brain server")


def check_bind(
    host: str,
    port: int,
    require_token: bool,
    tls: tuple[str, str] | None = None,
    insecure: bool = False,
    reuse_port: bool = False,
) -> bool:
    """Whether tokens are required, once the address is free and safe to serve on: off loopback the door
    always asks for a token, and a token sent without TLS can be read by anyone on the way, so a brain off
    loopback without ``tls`` (cert, key) is refused unless ``insecure``. With ``reuse_port`` the address may
    be held by sibling processes that share it (SO_REUSEPORT, processes.py)."""
    from moviegen.brain.server.auth import is_loopback

    if tls is not None:
        check_tls(*tls)
    if not is_loopback(host):
        require_token = True  # off loopback the door always asks
        if tls is None and not insecure:
            raise UsageError(
                f"refusing to serve on {host} without TLS: tokens would cross the network in clear text",
                "pass --tls-cert FILE --tls-key FILE, bind to 127.0.0.1, or add --insecure on a network you trust",
            )
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                "is a brain already running ('moviegen status')? or choose another port with --port",
            ) from None
    return require_token


def check_tls(cert: str, key: str) -> None:
    """A certificate and key uvicorn can serve with, or one line saying what is wrong with them."""
    import ssl

    for what, path in (("certificate", cert), ("key", key)):
        if not Path(path).is_file():
            raise UsageError(f"no TLS {what} at {path}", "give --tls-cert and --tls-key as PEM files")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(
            f"cannot serve TLS with {cert} and {key}: {getattr(exc, 'reason', None) or exc}",
            "give a PEM certificate (chain) and its unencrypted private key",
        ) from None


SECRET_FILES = ("tokens.json", "users.json", "sessions.json", "jwt.key")  # in MOVIEGEN_HOME (auth.py, people.py)


def check_secrets(home: Path, tls_key: str | None = None) -> None:
    """Refuse to serve while a file holding secrets (token and refresh-token hashes, password hashes, the JWT
    signing key, the TLS private key) can be read or written by anyone but its owner: one line and the fix."""
    import stat

    # the brain's own files: its owner's alone; a TLS key may be group-readable (Debian's ssl-cert group), not more
    checks = [(home / name, 0o077) for name in SECRET_FILES] + ([(Path(tls_key), 0o007)] if tls_key else [])
    for path, others in checks:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & others:
            raise UsageError(f"{path} holds secrets and others may read it (mode {mode:04o})",
                             f"chmod 600 {path}, then start the brain again")  # fmt: skip


STOP_GRACE = 2.0  # seconds uvicorn waits for open connections on a stop; the brain's own close follows


def serve(
    host: str,
    port: int,
    *,
    require_token: bool = False,
    max_message_bytes: int = 4 << 20,
    workers: int = 0,
    tls: tuple[str, str] | None = None,
    insecure: bool = False,
    processes: int = 1,
    reuse_port: bool = False,
):
    """Serve until SIGTERM/SIGINT: then running jobs stop at a step (recorded as interrupted, resumable) and
    every process the brain started ends with it (its LocalBrain owns them and is closed on the way out).
    With ``tls`` (certificate file, key file) it serves HTTPS and WSS only. With ``processes`` > 1, that many
    brain processes share the port (processes.py); ``reuse_port``: this is one of them. With MOVIEGEN_REDIS_URL
    set, events and job cancels are shared through Redis with every other brain on it (workers/events_redis.py)."""
    import uvicorn

    from moviegen.brain.server.app import create_app
    from moviegen.brain.server.processes import check_shared, serve_processes

    options = {"host": host, "port": port, "require_token": require_token, "max_message_bytes": max_message_bytes,
               "workers": workers, "tls": tls, "insecure": insecure}  # fmt: skip
    require_token = check_bind(host, port, require_token, tls, insecure, reuse_port)
    from moviegen.core.settings import get_settings

    check_secrets(get_settings().home, tls[1] if tls else None)
    if processes > 1:
        return serve_processes(processes, options)
    redis_url = check_shared(1)
    with _stop_on_signals():
        brain = _brain(workers)
        relay = None
        try:
            if redis_url:
                from moviegen.workers.events_redis import share_events

                relay = share_events(brain, redis_url)
            brain.warm()  # the render workers boot while the server starts
            app = create_app(brain, require_token=require_token, max_message_bytes=max_message_bytes)
            config = uvicorn.Config(
                app, host=host, port=port, log_level="warning", ws_max_size=max_message_bytes, lifespan="on",
                timeout_graceful_shutdown=STOP_GRACE, backlog=4096, ws_ping_interval=20, ws_ping_timeout=20,
                ws_per_message_deflate=False,  # JSON-RPC frames are small; compressing them cost ~10 % of the CPU
                # a request head within 5 s and 16 KiB, else 408/431 (uvicorn's own protocols wait forever)
                http="moviegen.brain.server.door:HttpProtocol", ws="moviegen.brain.server.door:WebSocketProtocol",
                ssl_certfile=tls[0] if tls else None, ssl_keyfile=tls[1] if tls else None,
            )  # fmt: skip
            uvicorn.Server(config).run(sockets=[_shared_socket(host, port)] if reuse_port else None)
        finally:
            brain.close()  # the app's lifespan closed it already, unless uvicorn never started or was forced out
            if relay is not None:  # after the brain: its last events (jobs interrupted) reach the others
                from moviegen.workers.events_redis import unshare_events

                unshare_events(brain, relay)
            # serve() is the process's last act: the interpreter's final collection of a heap that has held
            # renders took 1.5-2 s of the stop; frozen objects are skipped, the OS takes the memory back
            gc.freeze()


def _shared_socket(host: str, port: int) -> socket.socket:
    """The port, bound with SO_REUSEPORT beside this brain's sibling processes (uvicorn listens on it)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """SIGTERM and SIGINT stop the brain cleanly and it exits 0, having stopped what it started.

    uvicorn handles both while it serves (a graceful shutdown), then raises the signal again under the
    handler it found, so that the process dies of it. Under Python's default SIGTERM handler that death
    is immediate: ``finally`` blocks never run. Under this one the signal (that one, or one that comes
    before uvicorn listens) becomes SystemExit, so they do. A second signal while stopping is ignored:
    the stop is bounded and under way, and ``moviegen down`` kills the process group if it ever is not."""

    def stop(signum, frame) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve_stdio() -> None:
    import anyio
    from mcp.server.stdio import stdio_server

    from moviegen.brain.server.tools import build_server

    brain = _brain(1)
    server = build_server(brain)._lowlevel_server

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    try:
        anyio.run(main)
    finally:
        brain.close()


def list_tools() -> list[dict]:
    import anyio

    from moviegen.brain.server.tools import build_server

    brain = _brain(1)
    try:
        tools = anyio.run(build_server(brain).list_tools)
    finally:
        brain.close()
    return [{"name": t.name, "description": t.description, "input_schema": t.input_schema} for t in tools]
