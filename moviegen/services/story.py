"""Story development: premise -> logline, cast, places, outline, screenplay."""

from __future__ import annotations

from moviegen.core.brain import Brain, TextRequest, TextResult
from moviegen.core.errors import UsageError
from moviegen.core.models import FilmFormat, ProjectInfo, Story
from moviegen.core.project import MAX_PREMISE, Project, ProjectStore
from moviegen.core.slug import slugify, validate_slug


def validate_premise(premise: str) -> str:
    premise = " ".join(premise.split())
    if len(premise) > MAX_PREMISE:
        raise UsageError(
            f"the premise is {len(premise):,} characters; the limit is {MAX_PREMISE:,}",
            "a premise is a sentence or a paragraph; put longer material in story/ after 'moviegen new'",
        )
    if len(premise) < 8 or len(premise.split()) < 3:
        raise UsageError(
            "the premise is empty or too short to make a story from",
            'write a sentence: who wants what, and what stands in the way, e.g. "A courier races a flood to relight a beacon"',
        )
    return premise


def start_project(
    store: ProjectStore,
    premise: str,
    *,
    fmt: FilmFormat,
    seed: int,
    title: str | None = None,
    slug: str | None = None,
    narration: bool = False,
    reuse: bool = False,
) -> Project:
    """A new project folder for a premise (or, with ``reuse``, the existing one of that name)."""
    clean = validate_premise(premise)
    name = title or " ".join(clean.split()[:6])
    slug = validate_slug(slug) if slug else slugify(name)
    if reuse and store.exists(slug):
        return store.open(slug)
    info = ProjectInfo(slug=slug, title=name, premise=clean, seed=seed, format=fmt, narration=narration)
    return store.create(info)


def develop(project: Project, brain: Brain, *, force: bool = False) -> Story:
    """Develop the whole story without pausing (the staged graph of :mod:`moviegen.services.story_flow`)."""
    from moviegen.services import story_flow

    where = story_flow.develop(project, writer(brain), force=force)
    return Story.model_validate(where)


def writer(brain: Brain):
    """The brain's text router as story development calls it."""

    def write(request: TextRequest, check=None) -> TextResult:
        return brain.generate_text(request, check=check)

    return write
