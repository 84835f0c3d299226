"""Compose a story from a premise: cast, places, outline and a Fountain screenplay.

The genre's scene bank gives the shape; the premise's second characters get scenes of their own relation
(`relation_scenes`: met early, paid off before the end); the premise's places, era, season, weather and
objects go into the headings, a caption, the opening lines and one line per scene (`details`).
"""

from __future__ import annotations

import hashlib
import random
import re

from moviegen.brain.providers.story_writer import details
from moviegen.brain.providers.story_writer.banks import BANKS, PLACES
from moviegen.brain.providers.story_writer.cast import CASTS
from moviegen.brain.providers.story_writer.casting import cast_story, other_keys
from moviegen.brain.providers.story_writer.premise import Premise, read_premise
from moviegen.brain.providers.story_writer.relation_scenes import CREATURE_ACTIONS, RELATION_SCENES
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
    "race": "{lead}{a} {trait} {hero} has one night to {goal}{tail}.",
    "mystery": "{lead}{a} {trait} {hero} reopens what everyone wants closed and must {goal}{tail}.",
    "heart": "{lead}{a} {trait} {hero} gets one last chance to {goal}{tail}.",
    "comedy": "{lead}one small lie snowballs until {a} {trait} {hero} must {goal} in front of everyone{tail}.",
    "wonder": "{lead}far from home, {a} {trait} {hero} must {goal}{tail}.",
    "family": "{lead}{a} {trait} {hero} must {goal} — and face the family that stayed{tail}.",
}
_TAILS = {
    "threat": ", while {obstacle} {stands} in the way",
    "force": " in the teeth of {obstacle}",
    "deadline": " before {obstacle}",
    "place": " through {obstacle}",
    "flaw": " and get past {obstacle}",
}


def develop(premise_text: str, seed: int = 7, title: str | None = None) -> Story:
    premise = read_premise(premise_text)
    digest = hashlib.sha256(f"{seed}\x00{premise.text.lower()}".encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    keys = other_keys(premise)
    extra = _relation_scenes(premise, keys)
    scenes = _choose_scenes(BANKS[premise.genre], rng, room=8 - len(extra))
    scenes = _insert(scenes, extra)
    roles = list(dict.fromkeys(["hero", *(r for s in scenes for r in s["cast"])]))  # type: ignore[attr-defined]
    cast, slots = cast_story(premise, roles, rng)
    places, locales = _places(premise)
    short_obstacle = premise.threat.phrase if premise.threat else premise.obstacle
    if premise.obstacle_kind not in ("threat", "force"):
        short_obstacle = "the odds"  # 'nobody gets through {obstacle} tonight' needs something in the way
    slots.update(
        goal=premise.goal,
        obstacle=short_obstacle or "the odds",
        prize=premise.prize,
        place=places[0].name.split(". ")[-1].split(" ")[0].title(),
        hero_role=premise.hero,
    )
    fill = lambda text: str(text).format_map(slots)  # noqa: E731
    outline = [fill(s["beat"]) for s in scenes]
    title = title or _title(premise)
    screenplay = _screenplay(premise, scenes, cast, places, locales, fill, title, rng)
    return Story(
        title=title,
        logline=_logline(premise, cast["hero"]),
        characters=list(cast.values()),
        locations=places,
        outline=outline,
        screenplay=write(screenplay),
    )


def _logline(premise: Premise, hero: Character) -> str:
    trait = next(c for c in CASTS[premise.genre] if c[0] == "hero")[4]
    who = premise.hero_desc or premise.hero
    if premise.hero_name and premise.hero_name.lower() not in who.lower():
        who = f"{who}, {premise.hero_name},"
    lead = ""
    if premise.settings and premise.obstacle_kind != "threat":
        lead = premise.settings[0].rstrip(".")
        lead = "When " + lead[0].lower() + lead[1:] + ", "
    goal = premise.goal
    tail = _TAILS.get(premise.obstacle_kind, "").format(
        obstacle=premise.obstacle_line, stands="stand" if premise.threat and premise.threat.plural else "stands"
    )
    threat = premise.threat
    if premise.obstacle_kind == "threat" and threat is not None and threat.phrase in goal:
        goal, tail = goal.replace(threat.phrase, threat.full, 1), ""  # 'stop the poacher who hunts ...'
    if lead and premise.obstacle_kind == "force":
        tail = ""
    named = premise.hero_name and who == premise.hero_name  # 'Mr Smith goes to Washington'
    a, trait = ("", "") if named else ("a", trait)
    text = _LOGLINES[premise.genre].format(lead=lead, a=a, trait=trait, hero=who, goal=goal, tail=tail)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\b([Aa]) ([aeiouAEIOU])", r"\1n \2", text)
    return text[0].upper() + text[1:]


def _relation_scenes(premise: Premise, keys: dict[str, str]) -> list[tuple[str, dict]]:
    """[(where, scene)]: the primary relation's meet ('early') and turn ('late'), the other's meet ('middle')."""
    people = [(side, p) for side, p in (("ally", premise.ally), ("threat", premise.threat)) if p is not None]
    people.sort(key=lambda sp: (-sp[1].strength, sp[0] != "ally"))
    out = []
    for n, (side, person) in enumerate(people[:2]):
        meet, turn = (_as_role(s, keys[side]) for s in RELATION_SCENES[person.kind])
        out.append(("early" if n == 0 else "middle", meet))
        if n == 0:
            out.append(("late", turn))
    return out


def _as_role(scene: dict, key: str) -> dict:
    """A copy of a relation scene with its 'other' played by the role `key`."""
    swap = lambda text: text.replace("{other}", "{" + key + "}") if isinstance(text, str) else text  # noqa: E731
    return {
        **scene,
        "cast": [key if r == "other" else r for r in scene["cast"]],
        "beat": swap(scene["beat"]),
        "action": [swap(a) for a in scene["action"]],
        "lines": [(key if r == "other" else r, swap(p), swap(t)) for r, p, t in scene["lines"]],
    }


def _choose_scenes(bank: list, rng: random.Random, room: int = 8) -> list:
    count = rng.randint(max(3, len(bank) - 2), min(8, len(bank)))
    count = max(2, min(count, room))
    middle = sorted(rng.sample(range(1, len(bank) - 1), count - 2))
    return [bank[0], *(bank[i] for i in middle), bank[-1]]


def _insert(scenes: list, extra: list[tuple[str, dict]]) -> list:
    out = list(scenes)
    for where, scene in extra:
        at = {"early": 1, "middle": max(1, len(out) // 2 + 1), "late": len(out) - 1}[where]
        out.insert(at, scene)
    return out


def _places(premise: Premise) -> tuple[list[Location], list[int]]:
    """The genre's locations, then the premise's own; and the indexes of the premise's (for place -1, -2)."""
    token = (premise.places[0] if premise.places else _DEFAULT_PLACE[premise.genre]).upper()
    prize = premise.prize.upper()
    places = [
        Location(
            name=f"{setting}. " + name.format(PLACE=token, PRIZE=prize), description=desc.format(prize=premise.prize)
        )
        for setting, name, desc in PLACES[premise.genre]
    ]
    names = {p.name.split(". ", 1)[1] for p in places}
    locales = []
    for setting, name in premise.locales:
        if name not in names:
            locales.append(len(places))
            places.append(Location(name=f"{setting}. {name}", description=f"{name.lower()}, as the premise has it"))
            names.add(name)
    return places, locales


def _title(premise: Premise) -> str:
    """'The Last Beacon': what the goal acts on, else the thing at stake."""
    words = [w for w in premise.goal_object.split() if not re.search(r"['’]s?$", w)]
    words = [w for w in words if w.lower() not in ("a", "an", "the", "her", "his", "their", "its", "my", "our")]
    tail = " ".join(words[-3:]) if words else premise.prize
    return "The " + " ".join(w[:1].upper() + w[1:] for w in tail.split())


def _screenplay(
    premise: Premise, scenes: list, cast: dict[str, Character], places: list[Location], locales: list[int],
    fill, title: str, rng: random.Random,
) -> Screenplay:  # fmt: skip
    mute = {role for role, c in cast.items() if c.voice.startswith("silent")}
    others = [r for r in cast if r.startswith("other_") or r in other_keys(premise).values()]
    proper = [n for n in premise.nouns.get("place", []) if n[:1].isupper()]
    blocks: list[list[Element]] = []
    introduced: set[str] = set()
    for n, scene in enumerate(scenes):
        index = scene["place"]
        if index < 0:
            index = locales[min(-index - 1, len(locales) - 1)] if locales else -index - 1
        place = places[index % len(places)]
        setting, _, name = place.name.partition(". ")
        time = (details.heading_time(premise.nouns) if n == 0 else "") or scene["time"]
        els = [Element(type=_T.SCENE_HEADING, text=f"{setting}. {name} - {time}")]
        if n == 0:
            opening = [details.caption(premise.nouns, proper), *premise.settings]
            els += [Element(type=_T.ACTION, text=t) for t in opening if t]
        remote = {r for r in scene["cast"] if r in _REMOTE and scene["place"] != _REMOTE[r]}
        for role in scene["cast"]:
            if role not in introduced and role in cast and role not in remote:
                c = cast[role]
                els.append(Element(type=_T.ACTION, text=f"{c.full_name.upper()} ({c.look}) {rng.choice(_ENTRANCES)}."))
                introduced.add(role)
        els.extend(Element(type=_T.ACTION, text=fill(a)) for a in scene["action"])
        for role, paren, text in scene["lines"]:
            els += _line(role, paren, text, cast, remote, mute, fill, rng)
        blocks.append(els)
    _add_details(premise, scenes, blocks, cast, others, mute, proper, fill, rng)
    els = []
    for n, block in enumerate(blocks):
        els += block
        if n < len(blocks) - 1 and rng.random() < 0.3:
            els.append(Element(type=_T.TRANSITION, text="CUT TO:"))
    els.append(Element(type=_T.TRANSITION, text="FADE OUT."))
    title_page = [("Title", title), ("Credit", "Written by"), ("Author", "moviegen story writer (offline, procedural)")]
    return Screenplay(title_page=title_page, elements=els)


def _line(role, paren, text, cast, remote, mute, fill, rng) -> list[Element]:
    speaker = cast.get(role) or cast["hero"]
    if role in mute:
        return [Element(type=_T.ACTION, text=fill(rng.choice(CREATURE_ACTIONS).replace("{other}", "{" + role + "}")))]
    cue = f"{speaker.name} (V.O.)" if role in remote else speaker.name
    out = [Element(type=_T.CHARACTER, text=cue)]
    if paren:
        out.append(Element(type=_T.PARENTHETICAL, text=f"({fill(paren)})"))
    out.append(Element(type=_T.DIALOGUE, text=fill(text)))
    return out


def _add_details(premise, scenes, blocks, cast, others, mute, proper, fill, rng) -> None:
    """One line per scene (after the first) carrying a premise noun the page does not have yet."""
    used = " ".join(e.text for block in blocks for e in block)
    todo = details.queue(premise.nouns, proper, used)
    n = 1 if len(blocks) > 1 else 0
    while todo and n < len(blocks) * 2:
        at = n % len(blocks)
        category, noun = todo.pop(0)
        here = scenes[at]["cast"]
        present = [r for r in here if r in others] or [r for r in here if r != "hero"]
        kind, made = details.line(category, noun, rng, "hero" in here, bool(present))
        if kind == "action":
            blocks[at].append(Element(type=_T.ACTION, text=fill(made)))
        else:
            role, paren, text = made  # type: ignore[misc]
            blocks[at] += _line("hero" if role == "hero" else present[0], paren, text, cast, set(), mute, fill, rng)
        n += 1
