"""Progress events: what long work tells whoever listens (CLI bars, TUI, web page)."""

from __future__ import annotations

import time
from collections.abc import Callable

from pydantic import BaseModel, Field


class Event(BaseModel):
    kind: str  # 'stage.start', 'stage.progress', 'stage.done', 'render.done', 'warning'
    project: str
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    at: float = Field(default_factory=time.time)


EventSink = Callable[[Event], None]


def ignore(_: Event) -> None:
    """A sink for callers that do not listen."""
