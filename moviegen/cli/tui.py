"""`moviegen tui`: the studio in the terminal."""

from __future__ import annotations

import typer

tui_app = typer.Typer()


@tui_app.command()
def tui(
    light: bool = typer.Option(False, "--light", help="Start with the light theme (ctrl+t switches)."),
) -> None:
    """Open the studio: projects, story and screenplay, cast, storyboard, assistant, jobs, render."""
    open_studio(light)


def open_studio(light: bool = False) -> None:
    from moviegen.tui.app import create_app
    from moviegen.tui.widgets.thumbnail import detect_graphics

    detect_graphics()  # asks the terminal, which is possible only before the app takes it over
    create_app(theme="textual-light" if light else "textual-dark").run()
