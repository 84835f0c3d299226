"""Story development: premise -> logline, cast, places, outline, screenplay."""

from __future__ import annotations

from pydantic import ValidationError

from moviegen.core.brain import Brain, TextRequest
from moviegen.core.errors import ProjectStateError, ProviderError, UsageError
from moviegen.core.fountain import parse
from moviegen.core.models import FilmFormat, ProjectInfo, Stage, Story
from moviegen.core.project import MAX_PREMISE, Project, ProjectStore
from moviegen.core.scenes import scenes_of
from moviegen.core.slug import slugify, validate_slug

PROMPT = """You are a screenwriter. Develop a short film from this premise.
Premise: {premise}
Answer with JSON only, matching this schema: {schema}
The screenplay field is Fountain text with 3-8 scenes and dialogue."""


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
    if project.has_screenplay() and not force:
        raise ProjectStateError(
            f"{project.slug} already has a screenplay; developing again would replace it",
            f"run 'moviegen develop {project.slug} --force' to start the story over (your edits would be lost)",
        )
    premise = validate_premise(project.info.premise or "")
    request = TextRequest(
        project_id=project.slug,
        task="story.develop",
        prompt=PROMPT.format(premise=premise, schema=Story.model_json_schema()),
        json_schema=Story.model_json_schema(),
        seed=project.info.seed,
        params={"premise": premise, "title": project.info.title},
    )
    result = brain.generate_text(request)
    try:
        story = Story.model_validate_json(result.text)
    except ValidationError as exc:
        raise ProviderError(
            f"the text provider '{result.provider}' returned a story moviegen cannot read ({exc.error_count()} problems)",
            "try again, or switch provider with MOVIEGEN_PROVIDERS__TEXT",
        ) from None
    if not scenes_of(parse(story.screenplay)):
        raise ProviderError(f"the text provider '{result.provider}' wrote a screenplay with no scenes", "try again")
    project.write_story(story)
    project.write_screenplay(story.screenplay)
    project.update(stage=Stage.DEVELOPED)
    return story
