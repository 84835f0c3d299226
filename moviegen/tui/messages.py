"""Messages that travel up to the screen: a pane changed the project's files."""

from __future__ import annotations

from textual.message import Message


class ProjectChanged(Message):
    """Files of the project changed (screenplay, cast, shots, takes): other panes read them again."""

    def __init__(self, slug: str, what: str) -> None:
        super().__init__()
        self.slug, self.what = slug, what
