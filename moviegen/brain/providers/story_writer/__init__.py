"""The offline story writer: a procedural writer, not a language model.

It reads the premise with rules and word lists — the hero, the second characters
and whether each is an ally or the threat, the goal, the obstacle, the places,
weather, season, era and objects, and a genre by keywords — then builds the story
from the genre's structure and scene banks, scenes for each relation, and lines
that carry the premise's nouns. Deterministic for a (premise, seed). Configure a
language model for real prose.
"""

from __future__ import annotations

import json
import re

from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.brain import TextRequest, TextResult
from moviegen.core.errors import ProviderError

NAME = "story-writer"


STAGES = ("logline", "characters", "places", "outline", "screenplay")


class StoryWriter:
    """Answers ``story.develop`` (the whole story) and ``story.<stage>`` (one stage of it). Every stage is cut
    from the one story the writer makes of (premise, seed); a redo arrives with another seed. A screenplay asked
    for characters it did not make itself (written by a model, or by another redo) has its cue names replaced by
    those, in order. It reads no notes: a director's note needs a language model."""

    def generate(self, request: TextRequest) -> TextResult:
        stage = request.task.removeprefix("story.")
        if request.task != "story.develop" and stage not in STAGES:
            raise ProviderError(
                f"the offline story writer cannot do '{request.task}'; it only develops stories from a premise",
                "configure a language model provider for free-form text",
            )
        from moviegen.brain.providers.story_writer.writer import develop

        premise = str(request.params.get("premise", ""))
        story = develop(premise, seed=request.seed, title=request.params.get("title"))
        if request.task == "story.develop":
            return TextResult(text=story.model_dump_json(), provider=NAME)
        return TextResult(text=json.dumps(_stage(story, stage, request.params.get("characters"))), provider=NAME)


def _stage(story, stage: str, names: list[str] | None) -> dict:
    if stage == "logline":
        return {"title": story.title, "logline": story.logline}
    if stage == "characters":
        return {"characters": [c.model_dump(exclude={"elevenlabs_voice"}) for c in story.characters]}
    if stage == "places":
        return {"locations": [p.model_dump() for p in story.locations]}
    if stage == "outline":
        return {"outline": story.outline}
    return {"screenplay": _recast(story, names) if names else story.screenplay}


def _recast(story, names: list[str]) -> str:
    """The screenplay with its characters' names (cues, introductions, mentions) swapped for ``names``, in
    order; characters beyond the list take its names again from the start."""
    ours = list(story.characters)
    text = story.screenplay
    swaps = {c.name: names[i % len(names)] for i, c in enumerate(ours) if c.name != names[i % len(names)]}
    swaps.update({old.title(): new.title() for old, new in list(swaps.items())})
    if not swaps:
        return text
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(swaps, key=len, reverse=True))) + r")\b")
    return pattern.sub(lambda m: swaps[m.group(1)], text)  # one pass: a new name is never swapped again


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(
            NAME,
            "text",
            StoryWriter,
            offline=True,
            description="procedural story writer (offline; not a language model)",
        )
    )
