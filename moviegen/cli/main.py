"""The moviegen command. Heavy libraries are imported inside commands, never here."""

from __future__ import annotations

import os
import sys

import typer

from moviegen import __version__
from moviegen.cli.assets import assets_app
from moviegen.cli.audit import audit_app
from moviegen.cli.batch import batch_app
from moviegen.cli.brain import brain_app, daemon_app, token_app
from moviegen.cli.cast import cast_app
from moviegen.cli.context import State
from moviegen.cli.costs import costs_app
from moviegen.cli.exports import exports_app
from moviegen.cli.film import film_app
from moviegen.cli.jobs import job_app, jobs_app
from moviegen.cli.memory import memory_app
from moviegen.cli.people import login_app, user_app  # also adds project share/unshare/members
from moviegen.cli.projects import project_app, projects_app
from moviegen.cli.schedule import schedule_app
from moviegen.cli.stats import stats_app
from moviegen.cli.story import story_app
from moviegen.cli.transcode import transcode_app
from moviegen.cli.tui import tui_app
from moviegen.cli.uploads import uploads_app
from moviegen.cli.webhooks import webhook_app
from moviegen.cli.workers import workers_app

app = typer.Typer(
    name="moviegen",
    help="moviegen — a terminal-first AI film studio. A premise in, a subtitled film out.",
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(projects_app)
app.add_typer(story_app)
app.add_typer(uploads_app)
app.add_typer(film_app)
app.add_typer(batch_app)
app.add_typer(memory_app)
app.add_typer(brain_app, name="brain")
app.add_typer(token_app, name="token")
app.add_typer(daemon_app)
app.add_typer(jobs_app)
app.add_typer(costs_app)
app.add_typer(exports_app)
app.add_typer(transcode_app)
app.add_typer(assets_app, name="assets")
app.add_typer(job_app, name="job")
app.add_typer(tui_app)
app.add_typer(project_app, name="project")
app.add_typer(stats_app)
app.add_typer(audit_app)
app.add_typer(webhook_app, name="webhook")
app.add_typer(cast_app, name="cast")
app.add_typer(workers_app)
app.add_typer(user_app, name="user")
app.add_typer(login_app)
app.add_typer(schedule_app, name="schedule")


CA_HELP = "Trust this CA (or self-signed certificate) file for a wss:// brain instead of the system's store."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"moviegen {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    ca: str = typer.Option(None, "--ca", metavar="FILE", envvar="MOVIEGEN_BRAIN_CA", help=CA_HELP),
) -> None:
    """moviegen — a terminal-first AI film studio. Bare `moviegen` in a terminal opens the studio (TUI)."""
    State.debug = debug or os.environ.get("MOVIEGEN_DEBUG", "").lower() in ("1", "true", "yes")
    if ca:  # read where the brain is found (moviegen.brain.daemon.remote_brain), the studio's too
        os.environ["MOVIEGEN_BRAIN_CA"] = ca
    if ctx.invoked_subcommand is None:  # in a terminal, moviegen.cli.entry has opened the studio already
        typer.echo(ctx.get_help())
        raise typer.Exit()


def run() -> None:
    """Console entry point: the one place errors become messages and exit codes."""
    from moviegen.cli.output import error_panel

    suggestion = _did_you_mean(sys.argv[1:])
    if suggestion:
        error_panel(suggestion, "see 'moviegen --help' for every command", title="usage")
        sys.exit(2)
    from moviegen.cli import context

    try:
        try:
            app(prog_name="moviegen")  # typer reports its own usage errors (exit 2)
        finally:
            context.close()  # render workers and connections end with the command
    except KeyboardInterrupt:
        error_panel("interrupted", "run the same command again: finished work is kept and resumed", title="stopped")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the boundary
        from moviegen.core.errors import MoviegenError

        if State.debug:
            raise
        if isinstance(exc, MoviegenError):
            error_panel(exc.message, exc.hint)
            sys.exit(exc.exit_code)
        error_panel(f"internal error: {type(exc).__name__}: {exc}", "run again with --debug and report the traceback")
        sys.exit(1)


def _did_you_mean(args: list[str]) -> str | None:
    """'moviegen rendr x' -> "no command 'rendr'. Did you mean 'render'?"."""
    import difflib

    words = [a for a in args if not a.startswith("-")]
    if not words:
        return None
    commands = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    if words[0] in commands or args[0] != words[0]:
        return None
    close = difflib.get_close_matches(words[0], commands, n=1, cutoff=0.6)
    return f"no command '{words[0]}'" + (f". Did you mean '{close[0]}'?" if close else "")
