"""Single words of a premise: plural to singular, a verb's base form, and what kind of noun a word is."""

from __future__ import annotations

import re
from functools import lru_cache

from moviegen.brain.providers.story_writer import lexicon as lx
from moviegen.brain.providers.story_writer.relations import HERO_VERBS, OTHER_VERBS

VERBS = lx.VERBS | set(HERO_VERBS) | set(OTHER_VERBS)

NOUNS = lx.PEOPLE | lx.CREATURES | lx.PLACES | lx.WEATHER | lx.SEASONS | lx.TIMES | lx.ABSTRACT
_HEADS = lx.PEOPLE - lx.GROUPS - {"ally", "host", "seller", "king", "cook", "pilot"}  # not 'totally', 'smoking'
_COMPOUND_HEADS = {n: {p for p in _HEADS if len(p) == n} for n in range(4, 1 + max(map(len, _HEADS)))}
_PERSON_SUFFIXES = ("er", "or", "ist", "ian", "man", "woman", "men", "ess", "ee", "ier", "herd", "smith")


_IRREGULAR_PLURALS = {"children": "child", "men": "man", "women": "woman", "people": "person", "kids": "kid",
                      "twins": "twin", "parents": "parent", "friends": "friend", "soldiers": "soldier",
                      "villagers": "villager", "townspeople": "person", "police": "officer"}  # fmt: skip


@lru_cache(maxsize=4096)
def singular(word: str) -> str:
    w = word.lower().removesuffix("'s").removesuffix("’s").rstrip("'’")
    if w in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[w]
    if w in NOUNS or len(w) < 4:
        return w
    if w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith("men"):
        return w[:-3] + "man"
    if w.endswith("children"):
        return w[:-3]
    if w.endswith(("ches", "shes", "sses", "xes", "zes")):
        return w[:-2]
    if w.endswith("ves") and w[:-3] + "f" in NOUNS:
        return w[:-3] + "f"
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


@lru_cache(maxsize=4096)
def verb_base(word: str) -> str | None:
    """'teaches' -> 'teach', 'kidnapped' -> 'kidnap', 'sword-fight' -> 'fight'; None if not a verb we know."""
    w = word.lower().split("-")[-1]
    if w in lx.IRREGULAR:
        return lx.IRREGULAR[w]
    if w in VERBS:
        return w
    candidates = []
    if w.endswith("ies"):
        candidates.append(w[:-3] + "y")
    if w.endswith("es"):
        candidates.append(w[:-2])
    if w.endswith("s"):
        candidates.append(w[:-1])
    for suffix in ("ed", "ing"):
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            candidates += [stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else stem]
            if stem.endswith("i"):
                candidates.append(stem[:-1] + "y")
    return next((c for c in candidates if c in VERBS), None)


@lru_cache(maxsize=4096)
def noun_kind(word: str) -> str:
    """person, creature, group, place, weather, season, time, era or thing."""
    w = singular(word)
    if re.fullmatch(r"\d{3,4}s?|\d{1,2}(st|nd|rd|th)-century|\d{1,2}(st|nd|rd|th)", w):
        return "era"
    for kind, words in (("group", lx.GROUPS), ("weather", lx.WEATHER), ("season", lx.SEASONS), ("time", lx.TIMES)):
        if w in words or word.lower() in words:
            return kind
    if w in lx.CREATURES and w not in ("ghost", "robot", "android", "alien", "giant"):
        return "creature"
    if w in lx.PEOPLE or word.lower() in lx.PEOPLE:
        return "person"
    if w in lx.PLACES:
        return "place"
    if w in lx.CREATURES:
        return "creature"
    if w in lx.CRIMINALS:
        return "person"
    if any(w[-n:] in heads for n, heads in _COMPOUND_HEADS.items() if len(w) > n + 2):
        return "person"  # 'lifeguard', 'housekeeper', 'stepmother'
    if w.endswith(_PERSON_SUFFIXES) and w not in lx.NOT_PEOPLE and len(w) > 4 and not verb_base(w):
        return "person"
    return "thing"
