"""The offline story writer: a procedural writer, not a language model.

It reads the premise with rules and word lists — the hero, the second characters
and whether each is an ally or the threat, the goal, the obstacle, the places,
weather, season, era and objects, and a genre by keywords — then builds the story
from the genre's structure and scene banks, scenes for each relation, and lines
that carry the premise's nouns. Deterministic for a (premise, seed). Configure a
language model for real prose.
"""

from __future__ import annotations

from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.brain import TextRequest, TextResult
from moviegen.core.errors import ProviderError

NAME = "story-writer"


class StoryWriter:
    def generate(self, request: TextRequest) -> TextResult:
        if request.task != "story.develop":
            raise ProviderError(
                f"the offline story writer cannot do '{request.task}'; it only develops stories from a premise",
                "configure a language model provider for free-form text",
            )
        from moviegen.brain.providers.story_writer.writer import develop

        premise = str(request.params.get("premise", ""))
        story = develop(premise, seed=request.seed, title=request.params.get("title"))
        return TextResult(text=story.model_dump_json(), provider=NAME)


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
