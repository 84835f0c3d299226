"""`moviegen tui`: the studio in the terminal."""

from __future__ import annotations

import typer

tui_app = typer.Typer()


@tui_app.command()
def tui(
    light: bool = typer.Option(False, "--light", help="Start with the light theme (ctrl+t switches)."),
) -> None:
    """Open the studio: projects, story and screenplay, cast, storyboard, assistant, jobs, render."""
    from moviegen.tui.launch import open_studio

    open_studio(light)
