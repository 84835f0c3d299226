"""What commands share: settings, the project store and a brain (created lazily)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moviegen.core.brain import Brain
    from moviegen.core.project import Project, ProjectStore


class State:
    debug = False


def store() -> ProjectStore:
    from moviegen.core.project import ProjectStore
    from moviegen.core.settings import get_settings

    return ProjectStore(get_settings().projects_dir)


def start_project(premise: str, *, seed: int | None, reuse: bool = False, **options) -> Project:
    """A project for a premise, with the user's settings for what the command line left open."""
    from moviegen.core.settings import get_settings
    from moviegen.services.story import start_project as start

    settings = get_settings()
    seed = settings.seed if seed is None else seed
    return start(store(), premise, fmt=settings.default_format(), seed=seed, reuse=reuse, **options)


@lru_cache(maxsize=1)
def brain() -> Brain:
    from moviegen.brain.local import LocalBrain

    return LocalBrain()


@lru_cache(maxsize=1)
def remote():
    """The brain server to use (MOVIEGEN_BRAIN_URL, or a running `moviegen up`), else None: work in-process."""
    from moviegen.brain.daemon import brain_url

    url, token = brain_url()
    if url is None:
        return None
    from moviegen.brain.remote import RemoteBrain

    return RemoteBrain(url, token)
