"""Messages that travel up: from the brain's event follower and the panes' workers to the app, and from the app
to the screen of the project that changed."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class BrainEvent(Message):
    """One event from the brain (``job.progress``, ``screenplay.updated``, ``project.created`` …), whoever caused it."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event


class JobUpdated(Message):
    """A job's view as the brain returned it (started, cancelled, retried, listed): for the app's job book."""

    def __init__(self, view: dict[str, Any]) -> None:
        super().__init__()
        self.view = view


class ProjectChanged(Message):
    """Files of the project changed (screenplay, story, cast, shots, takes), here or by another client: the panes
    that show them read them again. ``digest`` is the screenplay's new digest when it is the screenplay."""

    def __init__(self, slug: str, what: str, digest: str | None = None) -> None:
        super().__init__()
        self.slug, self.what, self.digest = slug, what, digest
