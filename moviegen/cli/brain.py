"""The brain as a service: serve, stdio, tools; tokens."""

from __future__ import annotations

import typer

from moviegen.cli.output import emit_json, note, out

brain_app = typer.Typer(help="Run the brain as an MCP server, or list its tools.", no_args_is_help=True)
token_app = typer.Typer(help="Service tokens for workers and scripts (stored hashed).", no_args_is_help=True)

DEFAULT_PORT = 8002
TLS_CERT_HELP = "Serve HTTPS/WSS with this PEM certificate (chain); needs --tls-key."
TLS_KEY_HELP = "The certificate's private key (PEM, unencrypted)."
INSECURE_HELP = "Allow serving off loopback without TLS (tokens then cross the network in clear text)."
PROCESSES_HELP = "Brain processes sharing the port (SO_REUSEPORT); above 1 needs MOVIEGEN_REDIS_URL for events."
EXECUTOR_HELP = "Where render steps run: local (a process pool here) or celery (moviegen worker, MOVIEGEN_REDIS_URL)."


def _executor(executor: str | None) -> None:
    """``--executor`` as the setting (MOVIEGEN_EXECUTOR, which a daemon's brain inherits), Redis checked now."""
    import os

    from moviegen.core.errors import UsageError
    from moviegen.core.settings import get_settings, reset_settings

    if executor is None:
        return
    if executor not in ("local", "celery"):
        raise UsageError(f"'{executor}' is not an executor", "use --executor local or --executor celery")
    os.environ["MOVIEGEN_EXECUTOR"] = executor
    reset_settings()
    if executor == "celery":
        from moviegen.workers.celery_app import check_redis, redis_url

        check_redis(redis_url(get_settings()))


def _tls(cert: str | None, key: str | None) -> tuple[str, str] | None:
    from moviegen.core.errors import UsageError

    if (cert is None) != (key is None):
        raise UsageError("--tls-cert and --tls-key go together", "give both PEM files, or neither")
    return (cert, key) if cert and key else None


@brain_app.command("serve")
def serve(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind; anything but loopback requires tokens, and TLS or --insecure."
    ),
    port: int = typer.Option(DEFAULT_PORT, "--port", min=1, max=65535, help="Port."),
    require_token: bool = typer.Option(False, "--require-token", help="Require a token even on loopback."),
    max_message: int = typer.Option(4 << 20, "--max-message", min=1024, help="Largest WebSocket message, bytes."),
    workers: int = typer.Option(0, "--workers", "-w", min=0, help="Render worker processes (0 = one per core)."),
    tls_cert: str = typer.Option(None, "--tls-cert", metavar="FILE", help=TLS_CERT_HELP),
    tls_key: str = typer.Option(None, "--tls-key", metavar="FILE", help=TLS_KEY_HELP),
    insecure: bool = typer.Option(False, "--insecure", help=INSECURE_HELP),
    executor: str = typer.Option(None, "--executor", help=EXECUTOR_HELP),
    processes: int = typer.Option(1, "--processes", min=1, max=64, help=PROCESSES_HELP),
) -> None:
    """Serve MCP over WebSocket (/mcp/ws) and streamable HTTP (/mcp), in the foreground. Wrong tokens are
    rate-limited per address (MOVIEGEN_LOGIN_ATTEMPTS within MOVIEGEN_LOGIN_WINDOW s, then blocked for
    MOVIEGEN_LOGIN_COOLDOWN s)."""
    from moviegen.brain.server.run import check_bind, check_secrets
    from moviegen.brain.server.run import serve as run_server
    from moviegen.core.settings import get_settings

    tls = _tls(tls_cert, tls_key)
    _executor(executor)
    # a busy port or a secret others may read is reported before any worker process starts
    check_bind(host, port, require_token, tls, insecure)
    check_secrets(get_settings().home, tls[1] if tls else None)
    scheme = "wss" if tls else "ws"
    note(f"brain serving at {scheme}://{f'[{host}]' if ':' in host else host}:{port}/mcp/ws"
         + (f" ({processes} processes)" if processes > 1 else ""))  # fmt: skip
    run_server(host, port, require_token=require_token, max_message_bytes=max_message, workers=workers, tls=tls,
               insecure=insecure, processes=processes)  # fmt: skip


@brain_app.command("stdio")
def stdio() -> None:
    """Serve MCP over stdin/stdout, for MCP clients that launch the server themselves."""
    from moviegen.brain.server.run import serve_stdio

    serve_stdio()


@brain_app.command("tools")
def tools(
    json_out: bool = typer.Option(False, "--json", help="Print every tool with its input schema as JSON."),
) -> None:
    """List every tool the brain offers, with its arguments."""
    from moviegen.brain.server.run import list_tools

    listed = list_tools()
    if json_out:
        emit_json(listed)
        return
    for tool in listed:
        args = ", ".join(
            f"{name}{'' if name in tool['input_schema'].get('required', []) else '?'}"
            for name in tool["input_schema"].get("properties", {})
        )
        first = (tool["description"] or "").strip().splitlines()[0] if tool["description"] else ""
        out.print(f"[bold]{tool['name']}[/bold]({args})  [dim]{first}[/dim]")


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="What the token is for, e.g. render-farm."),
    role: str = typer.Option("service", "--role", help="service, admin, producer, director, writer or viewer."),
    project: list[str] = typer.Option(None, "--project", "-p", help="Limit to these projects (default: all)."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Create a token. It is shown once; only its hash is kept."""
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core import locations

    bound = None
    if project:  # bound to each project's identity: a project deleted and re-made under its name is not included
        from moviegen.brain.local import LocalBrain

        local = LocalBrain()
        bound = [(slug, local.identity(slug)) for slug in project]
    token = TokenStore(locations.home_dir() / "tokens.json").create(name, role, bound)
    if json_out:
        emit_json({"name": name, "role": role, "projects": project or ["*"], "token": token})
        return
    out.print(token)
    note(f"token '{name}' ({role}) created; it is not stored anywhere readable — keep it now")


@token_app.command("list")
def token_list(json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Tokens by name, role and projects (never the tokens themselves)."""
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core import locations

    listed = TokenStore(locations.home_dir() / "tokens.json").list()
    if json_out:
        emit_json(listed)
        return
    for t in listed:
        out.print(f"{t['name']}  {t['role']}  {', '.join(t['projects'])}")


@token_app.command("revoke")
def token_revoke(name: str = typer.Argument(..., help="The token's name.")) -> None:
    """Revoke a token by name."""
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core import locations
    from moviegen.core.errors import NotFoundError

    if not TokenStore(locations.home_dir() / "tokens.json").revoke(name):
        raise NotFoundError(f"no token named '{name}'", "see 'moviegen token list'")
    note(f"token '{name}' revoked")


daemon_app = typer.Typer()


@daemon_app.command()
def up(
    host: str = typer.Option(
        "127.0.0.1", "--host", help="Address to bind (anything but loopback requires tokens, and TLS or --insecure)."
    ),
    port: int = typer.Option(DEFAULT_PORT, "--port", min=1, max=65535, help="Port."),
    workers: int = typer.Option(0, "--workers", "-w", min=0, help="Render worker processes (0 = one per core)."),
    tls_cert: str = typer.Option(None, "--tls-cert", metavar="FILE", help=TLS_CERT_HELP),
    tls_key: str = typer.Option(None, "--tls-key", metavar="FILE", help=TLS_KEY_HELP),
    insecure: bool = typer.Option(False, "--insecure", help=INSECURE_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the daemon's address as JSON."),
    executor: str = typer.Option(None, "--executor", help=EXECUTOR_HELP),
    processes: int = typer.Option(1, "--processes", min=1, max=64, help=PROCESSES_HELP),
) -> None:
    """Start the brain (and its render workers) in the background; with --tls-cert/--tls-key at https/wss."""
    from moviegen.brain import daemon
    from moviegen.brain.server.processes import check_shared

    _executor(executor)
    check_shared(processes)  # Redis is checked now, not in the background brain's log
    record, started = daemon.up(host, port, workers, tls=_tls(tls_cert, tls_key), insecure=insecure,
                                processes=processes)  # fmt: skip
    if json_out:
        emit_json({**record, "started_now": started})
        return
    if record.get("recovered_stale_pid_file") and started:
        note("a stale pid file was left by a brain that is gone; replaced it")
    out.print(f"brain {'started' if started else 'already running'} at {record['ws']} (pid {record['pid']})")
    note(f"log: {daemon.log_file()}; stop with 'moviegen down'")


@daemon_app.command()
def down(json_out: bool = typer.Option(False, "--json", help="Print what was stopped as JSON.")) -> None:
    """Stop the background brain and everything it started; running renders stop at a step (interrupted, resumable
    with 'moviegen job retry')."""
    from moviegen.brain import daemon

    record = daemon.down()
    if json_out:
        emit_json({"stopped": record})
        return
    if record is None:
        out.print("no brain was running")
    elif record.get("killed"):
        out.print(
            f"brain killed (pid {record['pid']}): it did not stop within 5 s; its running jobs show as interrupted"
        )
    else:
        out.print(f"brain stopped (pid {record['pid']}) in {record['stop_seconds']} s")


@daemon_app.command()
def logs(
    lines: int = typer.Option(50, "--lines", "-n", min=1, help="How many lines from the end."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines (Ctrl-C to stop)."),
) -> None:
    """Show the background brain's log."""
    import time

    from moviegen.brain import daemon

    for line in daemon.tail(lines):
        out.print(line, markup=False, highlight=False)
    if follow:
        with open(daemon.log_file(), errors="replace") as f:
            f.seek(0, 2)
            while True:
                line = f.readline()
                if line:
                    out.print(line.rstrip("\n"), markup=False, highlight=False)
                else:
                    time.sleep(0.2)
