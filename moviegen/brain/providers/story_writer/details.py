"""The premise's own nouns on the page: places for scene headings, a caption, and one line per scene.

A premise's places become locations ('the flooded streets of Venice' -> EXT. FLOODED STREETS); its named
places, era and season a caption over the first scene ('Paris, the 17th century.'); its 'when'/'after'
clauses the first action lines ('A blizzard buries the mountain pass.'); its time of day the headings; and
every other concrete noun — weather, objects, days — one action or dialogue line in a later scene, so
what the premise is made of reaches the screenplay.
"""

from __future__ import annotations

import random
import re

from moviegen.brain.providers.story_writer import lexicon as lx
from moviegen.brain.providers.story_writer.words import singular

Line = tuple[str, str | None, str]

# category -> templates; a template starting with a role and ':' is a dialogue line
TEMPLATES: dict[str, list[str]] = {
    "place": ["{hero} looks out over the {noun}, then back at the job in hand.",
              "hero: I know every inch of the {noun}. That's the trouble.",
              "other: Nobody comes out to the {noun} unless they have to."],
    "weather": ["Outside: the {noun}, worse by the minute.", "{hero} squints into the {noun} and keeps going.",
                "other: Nobody in their right mind goes out in the {noun}."],
    "season": ["hero: By the end of {noun} this will be over, one way or another.",
               "The light has the thin, stubborn look of {noun}."],
    "time": ["hero: {Noun}. That's all the time we have.", "{hero} checks the clock. {Noun}, near enough."],
    "era": ["A calendar on the wall: {noun}.", "hero: This is {noun}. Nobody has ever tried it."],
    "thing": ["{hero} checks the {noun} again. Still there.", "hero: We don't leave without the {noun}.",
              "The {noun} sits between them. Neither of them mentions it.", "other: Is that the {noun}?"],
    "figure": ["{hero} pins an old photograph to the wall: the {noun}.", "other: People still talk about the {noun}."],
    "proper": ["hero: This is {noun}. Things go differently here.", "A sign, half hidden: {noun}."],
}  # fmt: skip


def caption(nouns: dict[str, list[str]], proper: list[str]) -> str:
    """'Paris, the 17th century.' — named places, then the era, then the season."""
    parts = [*proper[:2]]
    for era in nouns.get("era", [])[:1]:
        parts.append(_era(era))
    for season in nouns.get("season", [])[:1]:
        parts.append(season if season[:1].isupper() else season.title() if not parts else season)
    text = ", ".join(parts)
    return text[0].upper() + text[1:] + "." if text else ""


def _era(word: str) -> str:
    if re.fullmatch(r"\d{1,2}(st|nd|rd|th)-century", word):
        return "the " + word.replace("-", " ")
    return "the " + word if word.endswith("s") else word


def heading_time(nouns: dict[str, list[str]]) -> str:
    """The premise's time of day as a heading time; the most particular one ('midnight' over 'night')."""
    times = [n.lower() for n in nouns.get("time", []) if n.lower() in lx.HEADING_TIMES]
    times.sort(key=lambda t: t in ("night", "tonight"))
    return lx.HEADING_TIMES[times[0]] if times else ""


def queue(nouns: dict[str, list[str]], proper: list[str], used: str) -> list[tuple[str, str]]:
    """(category, noun) still to be put on the page: everything not already in `used` text."""
    out = []
    seen = {singular(w) for w in re.findall(r"[a-z0-9'’]+", used.lower())}
    for category in ("weather", "thing", "figure", "time", "place", "season", "era"):
        for noun in nouns.get(category, []):
            if noun in proper or all(singular(w) in seen for w in noun.lower().split()):
                continue
            out.append((category if not noun[:1].isupper() or category != "place" else "proper", noun))
    return out


def line(category: str, noun: str, rng: random.Random, hero: bool, other: bool) -> tuple[str, Line | str]:
    """('action', text) or ('dialogue', (role, None, text)) carrying the noun, for a scene with or without
    the hero and another speaker in it; {hero} slots are left for the writer."""

    def fits(t: str) -> bool:
        return (hero or ("{hero}" not in t and not t.startswith("hero:"))) and (other or not t.startswith("other:"))

    options = [t for t in TEMPLATES[category] if fits(t)] or [
        t.replace("{hero} ", "Someone ").replace("hero: ", "") for t in TEMPLATES[category] if ":" not in t[:6]
    ]
    template = rng.choice(options)
    display = _era(noun) if category == "era" else noun
    text = template.replace("{noun}", display).replace("{Noun}", display[:1].upper() + display[1:])
    role, sep, said = text.partition(": ")
    if sep and role in ("hero", "other"):
        return "dialogue", (role, None, said)
    return "action", text
