"""Messages that travel up to the screen: a pane changed the project's files."""

from __future__ import annotations

from textual.message import Message


class ProjectChanged(Message):
    """Files of the project changed (screenplay, cast, shots, takes): other panes read them again."""

    def __init__(self, slug: str, what: str, source=None) -> None:
        super().__init__()
        self.slug, self.what, self.source = slug, what, source

    @property
    def control(self):
        """The pane that made the change (it has already shown it), or None for a change made elsewhere."""
        return self.source
