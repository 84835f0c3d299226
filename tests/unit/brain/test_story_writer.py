from __future__ import annotations

import re

import pytest

from moviegen.brain.local import LocalBrain
from moviegen.brain.providers.registry import registry
from moviegen.brain.providers.story_writer.premise import read_premise
from moviegen.brain.providers.story_writer.writer import develop
from moviegen.core.brain import TextRequest
from moviegen.core.errors import ProviderError
from moviegen.core.fountain import parse
from moviegen.core.scenes import scenes_of

PREMISES = [
    "A courier races a flood to relight the valley's last beacon",
    "A detective investigates the disappearance of the town's only clockmaker",
    "A hapless baker accidentally enters a goat into the national talent show",
    "A lonely robot follows a strange signal to the far side of the moon",
    "Two sisters inherit their mother's crumbling farmhouse and one last recipe",
    "A shy painter falls for the ferry captain who keeps missing their dates",
]


def test_deterministic_for_a_seed_and_different_across_seeds():
    assert develop(PREMISES[0], 7) == develop(PREMISES[0], 7)
    assert develop(PREMISES[0], 7).screenplay != develop(PREMISES[0], 8).screenplay


@pytest.mark.parametrize("premise", PREMISES)
def test_story_shape(premise):
    story = develop(premise, 7)
    scenes = scenes_of(parse(story.screenplay))
    assert 3 <= len(scenes) <= 8
    assert 2 <= len(story.characters) <= 6
    assert all(c.look and c.voice and c.want for c in story.characters)
    speakers = {b.character for s in scenes for b in s.dialogue}
    assert speakers <= {c.name for c in story.characters}
    assert len(story.outline) == len(scenes)
    assert story.logline and story.title


def _lines(premise: str) -> set[str]:
    story = develop(premise, 7)
    names = [c.name.title() for c in story.characters]
    text = {b.text for s in scenes_of(parse(story.screenplay)) for b in s.beats}
    return {re.sub("|".join(names), "NAME", t) for t in text}


def test_different_premises_give_different_stories_not_swapped_nouns():
    genres = {read_premise(p).genre for p in PREMISES}
    assert len(genres) == 6
    bodies = [_lines(p) for p in PREMISES]
    for i in range(len(bodies)):
        for j in range(i + 1, len(bodies)):
            shared = len(bodies[i] & bodies[j]) / min(len(bodies[i]), len(bodies[j]))
            assert shared < 0.1, (PREMISES[i], PREMISES[j], shared)


def test_premise_is_read_for_hero_goal_and_obstacle():
    p = read_premise(PREMISES[0])
    assert (p.hero, p.obstacle, p.goal, p.prize, p.genre) == (
        "courier",
        "a flood",
        "relight the valley's last beacon",
        "beacon",
        "race",
    )
    story = develop(PREMISES[0], 7)
    assert "flood" in story.logline and "beacon" in story.logline


def test_named_for_what_it_is():
    spec = registry().get("text", "story-writer")
    assert spec.offline and "not a language model" in spec.description
    result = LocalBrain().generate_text(TextRequest(task="story.develop", prompt="", params={"premise": PREMISES[1]}))
    assert result.provider == "story-writer"
    assert "offline, procedural" in parse(develop(PREMISES[1]).screenplay).title_page[2][1]


def test_refuses_tasks_it_cannot_do():
    with pytest.raises(ProviderError) as err:
        LocalBrain().generate_text(TextRequest(task="chat", prompt="hello"))
    assert "only develops stories" in err.value.message and err.value.hint
