"""The console entry point. `moviegen tui` (and bare `moviegen` in a terminal) opens the studio without
loading the command-line parser: the studio's first screen comes sooner (typer and the commands' modules
cost ~0.2 s). Everything else goes to the typer app in moviegen.cli.main."""

from __future__ import annotations

import sys


def _studio_args(args: list[str]) -> bool | None:
    """True/False (light theme) when the arguments only ask for the studio; None otherwise."""
    if not args:
        return False if sys.stdin.isatty() and sys.stdout.isatty() else None
    if args[0] == "tui" and set(args[1:]) <= {"--light"}:
        return "--light" in args[1:]
    return None


def run() -> None:
    light = _studio_args(sys.argv[1:])
    if light is None:
        from moviegen.cli.main import run as run_cli

        run_cli()
        return
    from moviegen.core.errors import MoviegenError

    try:
        from moviegen.tui.launch import open_studio

        open_studio(light)
    except MoviegenError as exc:
        from moviegen.cli.output import error_panel

        error_panel(exc.message, exc.hint)
        sys.exit(exc.exit_code)
