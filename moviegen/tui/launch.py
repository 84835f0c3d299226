"""The one door from the CLI into the studio (`moviegen tui`, bare `moviegen` in a terminal)."""

from __future__ import annotations


def open_studio(light: bool = False) -> None:
    from moviegen.tui.app import create_app
    from moviegen.tui.widgets.thumbnail import detect_graphics

    detect_graphics()  # asks the terminal, which is possible only before the app takes it over
    create_app(theme="textual-light" if light else "textual-dark").run()
