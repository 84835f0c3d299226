"""Reading a premise: who, with whom, against what, for what, where and when, and in which genre.

`read_premise` chunks the text (`phrases`), finds who does what to whom (`events`), and reads the hero, the
second characters and their side, the goal and the obstacle from that (`reading`). It also gathers the
premise's concrete nouns — places, weather, seasons, times of day, eras and objects — so the writer can put
them on the page. Rules and word lists only: deterministic and fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moviegen.brain.providers.story_writer import lexicon as lx
from moviegen.brain.providers.story_writer.events import chain, events, merge_appositions
from moviegen.brain.providers.story_writer.phrases import Chunk, chunk, sentences
from moviegen.brain.providers.story_writer.reading import Person, Reader
from moviegen.brain.providers.story_writer.words import NOUNS, noun_kind, singular, verb_base

GENRES: dict[str, tuple[str, ...]] = {
    g: tuple(k.replace("_", " ") for k in keys.split())
    for g, keys in {
        "race": "race races flood storm escape chase before deadline countdown fire hunt rescue survive avalanche "
        "bomb outrun last",
        "mystery": "murder missing disappear secret detective clue body stolen thief investigat vanish truth lie "
        "lies ghost haunted",
        "heart": "love falls_for wedding heart date ex- letters reunite kiss romance",
        "comedy": "accidentally hapless chaos wrong mix-up pretend prank ridiculous goat talent_show disaster "
        "bakes cake cat dog",
        "wonder": "robot planet space ai_ android star moon mars alien future time_machine dragon magic witch "
        "spell portal",
        "family": "father mother sister brother daughter son grandmother grandfather inherit funeral family home widow",
    }.items()
}
NOUN_CATEGORIES = ("place", "weather", "season", "time", "era", "thing", "figure")
_WEATHER_ADJECTIVES = {"foggy": "fog", "rainy": "rain", "snowy": "snow", "stormy": "storm", "misty": "mist",
                       "windy": "wind", "icy": "ice", "dusty": "dust", "flooded": "flood", "frozen": "ice"}  # fmt: skip


@dataclass
class Premise:
    text: str
    hero: str = "stranger"  # 'courier', 'retired astronaut'
    hero_name: str = ""  # 'Nadia', when the premise names the hero
    hero_desc: str = ""  # 'keeper with a broken leg': the hero with what the premise says of them
    pronoun: str = ""  # 'he', 'she', 'they' or '' when the premise does not say
    verb: str = ""
    obstacle: str = ""
    obstacle_kind: str = ""  # 'threat', 'force', 'deadline', 'place', 'flaw' or ''
    obstacle_line: str = ""  # the obstacle as a logline says it: 'the oxygen runs out'
    goal_object: str = ""  # what the goal acts on: "the valley's last beacon"
    goal: str = ""
    prize: str = ""  # the object at stake, if any: 'beacon'
    places: list[str] = field(default_factory=list)
    genre: str = "family"
    scores: dict[str, int] = field(default_factory=dict)
    ally: Person | None = None  # the second character on the hero's side: 'a shy orphan' (teach)
    threat: Person | None = None  # the one in the way: 'a bounty killer' (hunted)
    nouns: dict[str, list[str]] = field(default_factory=dict)  # category -> nouns as written, in order
    settings: list[str] = field(default_factory=list)  # 'A blizzard buries the mountain pass.'
    locales: list[tuple[str, str]] = field(default_factory=list)  # ('EXT', 'MOUNTAIN PASS')


def read_premise(text: str) -> Premise:
    clean = " ".join(text.split()).strip().rstrip(".!?")
    p = Premise(text=clean)
    lower = clean.lower()
    evs, nps = [], []
    for i, tokens in enumerate(sentences(clean)):
        chunks = merge_appositions(chunk(tokens))
        evs += events(chunks, i)
        nps += [c for c in chunks if c.kind == "NP"]
    reader = Reader(evs, nps)
    if reader.hero is not None:
        p.hero = reader.hero.core.lower()
        p.hero_name = reader.hero.name
        if p.hero_name and p.hero in (p.hero_name.lower(), p.hero_name.lower().split(" ")[-1]):
            p.hero = reader.hero.core  # 'Mr Smith' is all the premise says of him
        p.hero_desc = _describe(reader, p.hero, clean)
        p.verb = next((e.base for e in evs if reader.is_hero(e.subj)), "")
    p.hero = p.hero or "stranger"
    p.pronoun = reader.pronoun
    p.goal = reader.goal_text() or "set things right"
    p.ally, p.threat = reader.best("ally"), reader.best("threat")
    p.obstacle, p.obstacle_kind, p.obstacle_line = reader.obstacle()
    goal = reader.goal_event
    p.goal_object = goal.obj.text if goal is not None and goal.obj is not None and goal.obj.kind == "NP" else ""
    p.settings = reader.settings()
    p.nouns = _nouns(nps, evs, p)
    p.prize = _prize(reader, p)
    p.places = [n.lower() for n in p.nouns.get("place", [])]
    p.locales = _locales(nps)
    p.scores = {g: sum(lower.count(k) for k in keys) for g, keys in GENRES.items()}
    best = max(p.scores.items(), key=lambda kv: kv[1])
    p.genre = best[0] if best[1] > 0 else ("race" if p.obstacle else "family")
    return p


def _describe(reader: Reader, hero: str, text: str) -> str:
    """The hero with a 'with' phrase or a relative clause the premise gives them."""
    for e in reader.evs:
        if e.clause == "rel" and e.subj is reader.hero:
            return f"{hero} who {e.raw}"
    if reader.hero is not None:
        m = re.search(re.escape(reader.hero.text) + r" (with [^,.;]+?)(?=,|\.|;| and | who |$)", text)
        if m:
            return f"{hero} {m.group(1)}"
    return hero


def _nouns(nps, evs, p: Premise) -> dict[str, list[str]]:
    """The premise's concrete nouns by category, people and abstractions left out."""
    out: dict[str, list[str]] = {c: [] for c in NOUN_CATEGORIES}
    seen: set[str] = set()
    people = {x.head for x in (p.ally, p.threat) if x is not None}

    def put(word: str, category: str) -> None:
        key = singular(word)
        if key and key not in seen and len(key) > 1:
            seen.add(key)
            out[category].append(word)

    words: list[tuple[str, bool]] = []
    for np in nps:
        for i, w in enumerate(np.words):
            joined = i > 0 and words and words[-1][0][:1].isupper() and words[-1][0].lower() not in lx.DETERMINERS
            if w[:1].isupper() and joined:
                words[-1] = (f"{words[-1][0]} {w}", False)  # 'South Pole', 'Harbour Strangler'
            else:
                words.append((w, i == 0 and not w[:1].isupper()))
    chained = [x for e in evs for x in chain(e)]
    for e in chained:  # 'to sword-fight': the noun half of a compound verb
        for w in e.verb.words:
            if "-" in w:
                words.append((w, False))
    hero_head = singular(p.hero.split(" ")[-1]) if p.hero else ""
    for n, (word, first) in enumerate(words):
        modifier = n + 1 < len(words) and not words[n + 1][1] and not word.endswith(("'s", "’s", "'"))
        if modifier and word.lower().endswith(("y", "al", "ic")) and singular(word) not in NOUNS:
            continue  # 'smoky streets', 'a serial arsonist'
        if singular(word) == hero_head:
            continue
        if " " in word:
            kind = noun_kind(word.split()[-1])
            put(word, "figure" if kind in ("person", "group") else "place" if kind in ("place", "thing") else kind)
            continue
        if re.fullmatch(r"\d{1,2}(st|nd|rd|th)-century", word.lower()):
            put(word.lower(), "era")
            continue
        if _adjective(word.lower()):
            continue
        for part in word.split("-"):
            low = part.lower().removesuffix("'s").removesuffix("’s").rstrip("'’")
            skip = low in lx.DETERMINERS or low in lx.PRONOUNS or low in lx.PREPOSITIONS or low in lx.ADVERBS
            if not low or skip or (first and low in lx.TITLES):
                continue
            if low in _WEATHER_ADJECTIVES:
                put(_WEATHER_ADJECTIVES[low], "weather")
                continue
            kind = noun_kind(low)
            proper = part[:1].isupper() and not first and singular(low) not in NOUNS | lx.CRIMINALS
            if proper and singular(low) != p.hero_name.lower() and low not in lx.TITLES:
                kind = "place" if kind in ("person", "thing") else kind  # 'in Manchester'
            if kind in ("person", "group") or low in lx.ADJECTIVES or singular(low) in lx.ABSTRACT:
                continue
            if kind == "creature" and singular(low) in people:
                continue
            participle = low.endswith("ed") and not low.endswith("eed") and len(low) > 4
            if kind == "thing" and (verb_base(low) and low.endswith("ing") or participle or _adjective(low)):
                continue
            if kind == "thing" and part[:1].isupper() and not part.isupper() and singular(low) != p.hero_name.lower():
                kind = "place"
            put(low if not part[:1].isupper() else part, kind if kind in NOUN_CATEGORIES else "thing")
    return out


def _locales(nps: list[Chunk]) -> list[tuple[str, str]]:
    """(INT or EXT, NAME) for each place the premise names, in order, without repeats."""
    out: dict[str, str] = {}
    for np in nps:
        if not np.words or np.kind_of != "place" and noun_kind(np.words[-1]) != "place":
            continue
        words = [w for w in np.words if w.lower() not in lx.DETERMINERS and not re.search(r"['’]s?$|\d", w)]
        if words and words[0][:1].isupper() and all(w[:1].isupper() for w in words):
            continue  # a named place goes in the caption
        name = " ".join(w for w in words if not w[:1].isupper()).upper()
        if name and name not in out:
            out[name] = "INT" if singular(np.words[-1]) in lx.INDOORS else "EXT"
    return [(setting, name) for name, setting in out.items()]


def _adjective(word: str) -> bool:
    return (
        word.endswith(("ful", "less", "ous", "ive", "ish", "ese", "ian"))
        and len(word) > 5
        or bool(re.fullmatch(r"[a-z]+-year-old|\d+(st|nd|rd|th)", word))
    )


def _prize(reader: Reader, p: Premise) -> str:
    """The thing at stake: the goal's object if it is a thing (or a place), else the premise's first thing."""
    nouns = {c: [n.lower() for n in p.nouns.get(c, [])] for c in ("thing", "place")}
    for category in ("thing", "place"):
        for e in chain(reader.goal_event):
            for c in (e.obj, *[np for _, np in e.comps]):
                if c is not None and c.kind == "NP" and c.words and c.words[-1].lower() in nouns[category]:
                    return c.words[-1].lower()
    return nouns["thing"][0] if nouns["thing"] else "promise"
