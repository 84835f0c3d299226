"""What every pane shares: its project (set by the screen, with where the project stood when it was opened),
the brain to call, and background calls that never touch widgets from their thread and never take the app
down — a failure becomes an error dialog. A call superseded by a newer one of its group (``exclusive``) does not
show its answer: the newer call's answer is the one that holds (a develop that returns its pause after the
approval of that pause has started would show the pause again)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.containers import Vertical
from textual.worker import get_current_worker

from moviegen.core.errors import MoviegenError


class Pane(Vertical):
    WATCHES: frozenset[str] = frozenset()  # what changes this pane shows: screenplay, story, shots, takes, cast

    def __init__(self, slug: str, status: dict[str, Any] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.slug = slug
        self.status = status or {}

    @property
    def brain(self):
        """The studio's one brain (moviegen.core.api.StudioAPI): in-process or the running brain server."""
        return self.app.brain

    def reload(self) -> None:
        """Read the project again (after a change made here or elsewhere)."""

    def changed(self, what: str, digest: str | None) -> None:
        """The brain announced a change this pane shows (``what`` is in WATCHES)."""
        self.reload()

    def job_changed(self, view: dict[str, Any], ended: bool) -> None:
        """A job of this project changed (the app's job book has the new view); ``ended``: it has just ended."""

    def background(
        self, call: Callable[[], Any], done: Callable[[Any], None] | None = None, *, group: str, exclusive: bool = True
    ) -> None:
        self.run_worker(
            partial(self._call, call, done), thread=True, group=group, exclusive=exclusive, exit_on_error=False
        )

    def _call(self, call: Callable[[], Any], done: Callable[[Any], None] | None) -> None:
        try:
            result = call()
        except MoviegenError as exc:
            self.app.call_from_thread(self.app.show_error, exc)
            return
        except Exception as exc:  # noqa: BLE001 - one failing call never takes the studio down
            self.app.call_from_thread(self.app.show_error, MoviegenError(f"{type(exc).__name__}: {exc}"))
            return
        if done is not None and not get_current_worker().is_cancelled:  # superseded by a newer call of its group
            self.app.call_from_thread(done, result)
