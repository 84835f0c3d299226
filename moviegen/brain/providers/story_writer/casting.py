"""Casting: the genre's roles, with the premise's own people written in.

The hero keeps the premise's words ('keeper with a broken leg') and name, if it gives one. The second
characters (`Premise.ally`, `Premise.threat`) take over a genre role that fits them — a threat becomes the
race's rival or the mystery's suspect, a love interest the romance's beloved, a teacher the elder — or
join as roles of their own. Their role and want say how they stand to the hero (`relations.ROLES`), so an
ally is never described as the threat.
"""

from __future__ import annotations

import random

from moviegen.brain.providers.story_writer import lexicon as lx
from moviegen.brain.providers.story_writer.cast import AGES, CASTS, FIRST_NAMES, LAST_NAMES, ROLE_AGES
from moviegen.brain.providers.story_writer.premise import Premise
from moviegen.brain.providers.story_writer.reading import Person
from moviegen.brain.providers.story_writer.relations import ROLES, THREAT
from moviegen.core.models import Character

SLOTS: dict[str, dict[str, str]] = {
    "race": {"hunted": "rival", "oppose": "rival", "race": "rival", "betrayed": "rival", "learn": "elder"},
    "mystery": {"hunted": "suspect", "oppose": "suspect", "race": "suspect", "betrayed": "suspect", "learn": "elder"},
    "heart": {"love": "beloved", "befriend": "beloved"},
    "comedy": {},
    "wonder": {},
    "family": {"learn": "elder"},
}
_VOICES = {
    "ally": ["soft, with a catch in it", "bright and quick", "low and careful", "warm, a little hoarse"],
    "threat": ["smooth and unhurried", "flat and cold", "pleasant, which is worse", "quiet, never raised"],
}


class Slots(dict):
    """Names by role for the scene templates; an unknown role falls back to the hero."""

    def __missing__(self, key: str) -> str:
        return self.get("hero", key)


def other_keys(premise: Premise) -> dict[str, str]:
    """side -> the role key the premise's ally / threat plays in this genre."""
    out = {}
    for side, person in (("ally", premise.ally), ("threat", premise.threat)):
        if person is not None:
            slot = SLOTS[premise.genre].get(person.kind)
            out[side] = slot if slot and slot not in out.values() else f"other_{side}"
    return out


def cast_story(premise: Premise, roles: list[str], rng: random.Random) -> tuple[dict[str, Character], Slots]:
    templates = {t[0]: t for t in CASTS[premise.genre]}
    firsts = rng.sample(FIRST_NAMES, len(roles))
    lasts = rng.sample(LAST_NAMES, len(roles))
    keys = other_keys(premise)
    people = {key: (premise.ally if side == "ally" else premise.threat) for side, key in keys.items()}
    cast: dict[str, Character] = {}
    slots = Slots()
    hero_first = _hero_name(premise, firsts[0])
    for role, first, last in zip(roles, firsts, lasts, strict=True):
        if role == "hero":
            first = hero_first
        person = people.get(role)
        if person is not None:
            cast[role] = _other(person, first, last, hero_first, premise, rng)
        else:
            cast[role] = _genre_role(templates[role], role, first, last, premise, rng)
        slots[role] = first
    return cast, slots


def _hero_name(premise: Premise, fallback: str) -> str:
    return premise.hero_name or fallback


def _genre_role(template, role: str, first: str, last: str, premise: Premise, rng: random.Random) -> Character:
    _, desc, want, wardrobe, trait, voice = template
    lo, hi = ROLE_AGES.get(role, (0, 4))
    age = AGES[rng.randint(lo, hi)]
    if role == "hero":
        desc = premise.hero_desc or premise.hero
        age = _age(premise.hero, rng) or age
    titled = " " in first
    return Character(
        name=(first.split(" ")[-1] if titled else first).upper(),
        full_name=first
        if titled or (role == "hero" and premise.hero_name and " " in premise.hero_name)
        else f"{first} {last}",
        role=desc.format(hero=premise.hero),
        want=want.format(goal=premise.goal),
        look=f"{age}, {wardrobe}, {trait}",
        voice=voice,
    )


def _other(person: Person, first: str, last: str, hero: str, premise: Premise, rng: random.Random) -> Character:
    role, want, trait, wardrobe = ROLES[person.kind]
    phrase = _lower_article(person.phrase)
    if person.plural and not person.creature:
        group = phrase if not phrase.startswith(("a ", "an ")) else "the " + phrase.split(" of ")[-1]
        phrase = f"the leader of {phrase}" if person.side == THREAT else f"one of {group}"
    elif noun_is_group(person.head):
        phrase = f"the face of {phrase}"
    age = _age(person.phrase, rng) or AGES[rng.randint(1, 4)]
    look = f"{_strip_article(person.phrase)}, {trait}" if person.creature else f"{age}, {wardrobe}, {trait}"
    return Character(
        name=first.upper(),
        full_name=first if person.creature else f"{first} {last}",
        role=role.format(other=phrase, hero=hero, prize=premise.prize),
        want=want.format(hero=hero, prize=premise.prize),
        look=look,
        voice="silent; it does not speak" if person.creature else rng.choice(_VOICES[person.side]),
    )


def noun_is_group(head: str) -> bool:
    return head in lx.GROUPS


_NUMBERS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90})


def _age(phrase: str, rng: random.Random) -> str:
    """An age the premise implies: 'a ten-year-old goatherd' -> 'a child', 'an old keeper' -> '70s'."""
    words = {w.lower().strip("'’") for w in phrase.split()}
    for w in words:
        if w.endswith("-year-old"):
            head = w.split("-")[0]
            years = int(head) if head.isdigit() else _NUMBERS.get(head, 0)
            if years:
                return "a child" if years < 13 else "teens" if years < 20 else f"{years // 10 * 10}s"
    if words & {"teenage", "teen", "teenager", "student", "students", "pupil", "pupils"}:
        return "teens"
    if words & (lx.CHILDREN | {"kids", "twins"}):
        return "a child"
    if words & (lx.ELDERS | {"old", "elderly", "retired", "aging", "ageing"}):
        return AGES[rng.randint(4, 5)]
    return ""


def _lower_article(phrase: str) -> str:
    first, _, rest = phrase.partition(" ")
    return f"{first.lower()} {rest}".strip() if first.lower() in lx.DETERMINERS else phrase


def _strip_article(phrase: str) -> str:
    first, _, rest = phrase.partition(" ")
    return rest if first.lower() in lx.DETERMINERS and rest else phrase
