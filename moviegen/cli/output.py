"""Output helpers: data to stdout, messages and errors to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.panel import Panel

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def note(message: str) -> None:
    err.print(message)


def error_panel(message: str, hint: str | None, title: str = "error") -> None:
    body = f"[bold]{_escape(message)}[/bold]"
    if hint:
        body += f"\n[dim]→ {_escape(hint)}[/dim]"
    err.print(Panel(body, title=f"[red]{title}[/red]", title_align="left", border_style="red", expand=False))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
