"""Compose a story from a premise: cast, places, outline and a Fountain screenplay."""

from __future__ import annotations

import hashlib
import random
import re

from moviegen.brain.providers.story_writer.banks import BANKS, PLACES
from moviegen.brain.providers.story_writer.cast import AGES, CASTS, FIRST_NAMES, LAST_NAMES, ROLE_AGES
from moviegen.brain.providers.story_writer.premise import Premise, read_premise
from moviegen.core.fountain import Element, ElementType, Screenplay, write
from moviegen.core.models import Character, Location, Story

_T = ElementType
_DEFAULT_PLACE = {
    "race": "VALLEY",
    "mystery": "HARBOUR",
    "heart": "SEASIDE",
    "comedy": "TOWN HALL",
    "wonder": "STATION",
    "family": "FARMHOUSE",
}
_REMOTE = {"voice": 1}  # roles heard over a radio unless the scene is at their own place
_ENTRANCES = ["is already here", "looks up", "waits, arms folded", "turns at the sound", "steps out of the shadows"]
_LOGLINES = {
    "race": "With {obstacle} closing in, a {trait} {hero} has one night to {goal}.",
    "mystery": "A {trait} {hero} reopens a case everyone wants closed and must uncover {goal}.",
    "heart": "A {trait} {hero} gets one last chance to {goal} before the morning train.",
    "comedy": "One small lie snowballs until a {trait} {hero} must {goal} in front of everyone.",
    "wonder": "Far from home, a {trait} {hero} follows a signal no one believes in to {goal}.",
    "family": "Back home after years away, a {trait} {hero} must {goal} — and face the sibling who stayed.",
}


class _Slots(dict):
    def __missing__(self, key: str) -> str:
        return self.get("hero", key)


def develop(premise_text: str, seed: int = 7, title: str | None = None) -> Story:
    premise = read_premise(premise_text)
    digest = hashlib.sha256(f"{seed}\x00{premise.text.lower()}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    bank = BANKS[premise.genre]
    scenes = _choose_scenes(bank, rng)
    roles = list(dict.fromkeys(r for s in scenes for r in s["cast"]))  # type: ignore[attr-defined]
    if "hero" not in roles:
        roles.insert(0, "hero")
    cast, slots = _cast(premise, roles, rng)
    places = _places(premise, rng)
    slots.update(
        goal=premise.goal,
        obstacle=premise.obstacle or "the odds",
        prize=premise.prize,
        place=places[0].name.split(" ")[0].title(),
        hero_role=premise.hero,
    )
    fill = lambda text: str(text).format_map(slots)  # noqa: E731
    outline = [fill(s["beat"]) for s in scenes]
    screenplay = _screenplay(scenes, cast, places, fill, title or _title(premise), rng)
    hero_template = next(c for c in CASTS[premise.genre] if c[0] == "hero")
    logline = _LOGLINES[premise.genre].format(
        obstacle=premise.obstacle or "time running out", trait=hero_template[4], hero=premise.hero, goal=premise.goal
    )
    logline = re.sub(r"\b([Aa]) ([aeiouAEIOU])", r"\1n \2", logline)
    return Story(
        title=title or _title(premise),
        logline=logline[0].upper() + logline[1:],
        characters=list(cast.values()),
        locations=places,
        outline=outline,
        screenplay=write(screenplay),
    )


def _choose_scenes(bank: list, rng: random.Random) -> list:
    count = rng.randint(max(3, len(bank) - 2), min(8, len(bank)))
    middle = sorted(rng.sample(range(1, len(bank) - 1), count - 2))
    return [bank[0], *(bank[i] for i in middle), bank[-1]]


def _cast(premise: Premise, roles: list[str], rng: random.Random) -> tuple[dict[str, Character], _Slots]:
    templates = {t[0]: t for t in CASTS[premise.genre]}
    firsts = rng.sample(FIRST_NAMES, len(roles))
    lasts = rng.sample(LAST_NAMES, len(roles))
    cast: dict[str, Character] = {}
    slots = _Slots()
    for role, first, last in zip(roles, firsts, lasts, strict=True):
        _, desc, want, wardrobe, trait, voice = templates[role]
        lo, hi = ROLE_AGES.get(role, (0, 4))
        age = AGES[rng.randint(lo, hi)]
        cue = first.upper()
        cast[role] = Character(
            name=cue,
            full_name=f"{first} {last}",
            role=desc.format(hero=premise.hero),
            want=want.format(goal=premise.goal),
            look=f"{age}, {wardrobe}, {trait}",
            voice=voice,
        )
        slots[role] = first
    return cast, slots


def _places(premise: Premise, rng: random.Random) -> list[Location]:
    token = (premise.places[0] if premise.places else _DEFAULT_PLACE[premise.genre]).upper()
    prize = premise.prize.upper()
    return [
        Location(
            name=f"{setting}. " + name.format(PLACE=token, PRIZE=prize), description=desc.format(prize=premise.prize)
        )
        for setting, name, desc in PLACES[premise.genre]
    ]


def _title(premise: Premise) -> str:
    words = [w for w in premise.goal.replace("'s", "").split() if w.lower() not in ("a", "an", "the", "to", "of")]
    tail = " ".join(words[-2:]).title() if words else premise.prize.title()
    return f"The {tail}" if not tail.lower().startswith("the ") else tail


def _screenplay(
    scenes: list, cast: dict[str, Character], places: list[Location], fill, title: str, rng: random.Random
) -> Screenplay:
    els: list[Element] = []
    introduced: set[str] = set()
    for n, scene in enumerate(scenes):
        place = places[scene["place"] % len(places)]
        setting, _, name = place.name.partition(". ")
        els.append(Element(type=_T.SCENE_HEADING, text=f"{setting}. {name} - {scene['time']}"))
        remote = {r for r in scene["cast"] if r in _REMOTE and scene["place"] != _REMOTE[r]}
        for role in scene["cast"]:
            if role not in introduced and role in cast and role not in remote:
                c = cast[role]
                els.append(Element(type=_T.ACTION, text=f"{c.full_name.upper()} ({c.look}) {rng.choice(_ENTRANCES)}."))
                introduced.add(role)
        els.extend(Element(type=_T.ACTION, text=fill(a)) for a in scene["action"])
        for role, paren, text in scene["lines"]:
            speaker = cast.get(role) or cast["hero"]
            cue = f"{speaker.name} (V.O.)" if role in remote else speaker.name
            els.append(Element(type=_T.CHARACTER, text=cue))
            if paren:
                els.append(Element(type=_T.PARENTHETICAL, text=f"({fill(paren)})"))
            els.append(Element(type=_T.DIALOGUE, text=fill(text)))
        if n < len(scenes) - 1 and rng.random() < 0.3:
            els.append(Element(type=_T.TRANSITION, text="CUT TO:"))
    els.append(Element(type=_T.TRANSITION, text="FADE OUT."))
    title_page = [("Title", title), ("Credit", "Written by"), ("Author", "moviegen story writer (offline, procedural)")]
    return Screenplay(title_page=title_page, elements=els)
