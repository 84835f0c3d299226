"""What commands share: settings, the project store and a brain (created lazily)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moviegen.core.brain import Brain
    from moviegen.core.project import ProjectStore


class State:
    debug = False


def store() -> ProjectStore:
    from moviegen.core.project import ProjectStore
    from moviegen.core.settings import get_settings

    return ProjectStore(get_settings().projects_dir)


@lru_cache(maxsize=1)
def brain() -> Brain:
    from moviegen.brain.local import LocalBrain

    return LocalBrain()
