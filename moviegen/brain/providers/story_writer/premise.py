"""Reading a premise: who, against what, for what, where, and in which genre."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

GENRES: dict[str, tuple[str, ...]] = {
    "race": (
        "race",
        "races",
        "flood",
        "storm",
        "escape",
        "chase",
        "before",
        "deadline",
        "countdown",
        "fire",
        "hunt",
        "rescue",
        "survive",
        "avalanche",
        "bomb",
        "outrun",
        "last",
    ),
    "mystery": (
        "murder",
        "missing",
        "disappear",
        "secret",
        "detective",
        "clue",
        "body",
        "stolen",
        "thief",
        "investigat",
        "vanish",
        "truth",
        "lie",
        "lies",
        "ghost",
        "haunted",
    ),
    "heart": ("love", "falls for", "wedding", "heart", "date", "ex-", "letters", "reunite", "kiss", "romance"),
    "comedy": (
        "accidentally",
        "hapless",
        "chaos",
        "wrong",
        "mix-up",
        "pretend",
        "prank",
        "ridiculous",
        "goat",
        "talent show",
        "disaster",
        "bakes",
        "cake",
        "cat",
        "dog",
    ),
    "wonder": (
        "robot",
        "planet",
        "space",
        "ai ",
        "android",
        "star",
        "moon",
        "mars",
        "alien",
        "future",
        "time machine",
        "dragon",
        "magic",
        "witch",
        "spell",
        "portal",
    ),
    "family": (
        "father",
        "mother",
        "sister",
        "brother",
        "daughter",
        "son",
        "grandmother",
        "grandfather",
        "inherit",
        "funeral",
        "family",
        "home",
        "widow",
    ),
}

PLACE_WORDS = (
    "valley",
    "road",
    "bridge",
    "tower",
    "lighthouse",
    "harbor",
    "harbour",
    "city",
    "village",
    "station",
    "ship",
    "forest",
    "desert",
    "island",
    "school",
    "hospital",
    "market",
    "moon",
    "mars",
    "train",
    "kitchen",
    "bakery",
    "office",
    "river",
    "mountain",
    "farm",
    "theater",
    "theatre",
    "library",
    "museum",
    "hotel",
    "diner",
    "garage",
    "lab",
    "laboratory",
    "observatory",
    "church",
    "castle",
    "mine",
    "beach",
    "airport",
    "rooftop",
    "subway",
    "orchard",
    "vineyard",
    "studio",
    "workshop",
    "cafe",
    "café",
    "greenhouse",
)

_VERB_ENDINGS = ("s", "es")
_BASE_VERBS = {
    "inherit",
    "find",
    "discover",
    "try",
    "race",
    "must",
    "fight",
    "open",
    "build",
    "steal",
    "search",
    "hunt",
    "travel",
    "plan",
    "return",
    "meet",
    "learn",
    "swap",
    "run",
    "chase",
    "hide",
    "fall",
    "win",
}
_NOT_VERBS = {
    "is",
    "has",
    "was",
    "his",
    "hers",
    "its",
    "this",
    "always",
    "perhaps",
    "towns",
    "sons",
    "days",
    "years",
    "parents",
    "friends",
    "sisters",
    "brothers",
    "twins",
    "robots",
    "thieves",
    "kids",
}


@dataclass
class Premise:
    text: str
    hero: str = "stranger"  # 'courier', 'retired astronaut'
    verb: str = ""
    obstacle: str = ""
    goal: str = ""
    prize: str = ""  # the object at stake, if any: 'beacon'
    places: list[str] = field(default_factory=list)
    genre: str = "family"
    scores: dict[str, int] = field(default_factory=dict)


def read_premise(text: str) -> Premise:
    clean = " ".join(text.split()).strip().rstrip(".!?")
    words = clean.split(" ")
    p = Premise(text=clean)
    lower = clean.lower()
    # hero: leading noun phrase up to the first verb-looking word
    start = 1 if words and words[0].lower() in ("a", "an", "the", "two", "three", "four") else 0
    for i in range(start + 1, min(len(words), start + 5)):
        w = re.sub(r"[^a-z\-]", "", words[i].lower())
        if w.endswith("ly") and len(w) > 4:
            p.hero = " ".join(words[start:i]).lower()
            continue
        if (
            w in _BASE_VERBS
            or w.endswith(_VERB_ENDINGS)
            and w not in _NOT_VERBS
            and len(w) > 3
            and not w.endswith("ss")
        ):
            p.hero = p.hero if p.hero != "stranger" else " ".join(words[start:i]).lower()
            p.verb = w
            rest = " ".join(words[i + 1 :])
            if " to " in f" {rest} ":
                before, _, after = f" {rest} ".partition(" to ")
                p.obstacle, p.goal = before.strip(), after.strip()
            else:
                p.goal = rest.strip()
            break
    if not p.verb:
        p.hero = " ".join(words[start : start + 2]).lower() or "stranger"
        p.goal = clean
    p.goal = p.goal.split(",")[0].split(" before ")[0].strip() or "set things right"
    p.prize = _prize(p.goal)
    p.places = [w for w in PLACE_WORDS if re.search(rf"\b{w}s?\b", lower)]
    p.scores = {g: sum(lower.count(k) for k in keys) for g, keys in GENRES.items()}
    best = max(p.scores.items(), key=lambda kv: kv[1])
    p.genre = best[0] if best[1] > 0 else ("race" if p.obstacle else "family")
    return p


def _prize(goal: str) -> str:
    words = [re.sub(r"[^a-z'\-]", "", w.lower()) for w in goal.split()]
    words = [w for w in words if w and w not in ("the", "a", "an", "her", "his", "their", "its", "of", "to", "and")]
    if not words:
        return "promise"
    last = words[-1]
    return last.split("'")[0] if last not in PLACE_WORDS or len(words) == 1 else last
