"""From events to a reading: the hero, who else matters and on which side, what the hero wants, and what
stands in the way.

The hero is the subject of the first main clause (or, in a premise with no main verb, its first person).
Everyone else is weighed by the verbs that join them to the hero (`relations`): the verb of the hero's goal
counts most, then any verb between them and the hero, then weaker cues (the subject of a 'but' clause, a
criminal's job title). The goal is the hero's wanted action ("must X", "tries to X", "has until Sunday to
X"), else the main verb's phrase; the obstacle is the threat, else a force in a 'when'/'after' clause, a
deadline, or the weather.
"""

from __future__ import annotations

from dataclasses import dataclass

from moviegen.brain.providers.story_writer import lexicon as lx
from moviegen.brain.providers.story_writer.events import Event, chain
from moviegen.brain.providers.story_writer.phrases import Chunk
from moviegen.brain.providers.story_writer.relations import GOALS, HERO_VERBS, OTHER_VERBS, SIDES, THREAT
from moviegen.brain.providers.story_writer.words import noun_kind, singular

CHARACTER_KINDS = ("person", "creature", "group")
_HOSTILE = {"flooded", "frozen", "burning", "drowned", "sinking", "haunted", "cursed", "besieged", "occupied",
            "ruined", "dying", "failing", "collapsing", "falling", "abandoned", "crumbling"}  # fmt: skip
_TIME_PREPS = {"before", "until", "after", "during", "through"}


@dataclass
class Person:
    phrase: str  # 'a shy orphan'
    head: str  # 'orphan'
    kind: str  # a relations kind: 'teach', 'hunted', ...
    strength: float
    order: int
    creature: bool = False
    plural: bool = False
    detail: str = ""  # what the premise says of them: 'who ruined her'

    @property
    def full(self) -> str:
        return f"{self.phrase} {self.detail}".strip()

    @property
    def side(self) -> str:
        return SIDES[self.kind]


class Reader:
    def __init__(self, evs: list[Event], nps: list[Chunk]):
        self.evs, self.nps = evs, nps
        self.hero = self._hero()
        self.pronoun = self._pronoun()
        self.goal_event, self.goal_score = self._want()
        self.people = self._people()

    # ---------------------------------------------------------------- who
    def _hero(self) -> Chunk | None:
        main = [e for e in self.evs if e.clause == "main" and e.subj is not None and e.subj.kind == "NP"]
        for e in main:
            if e.subj.kind_of in CHARACTER_KINDS:
                return e.subj
        for e in main[:1]:  # an unknown noun that rescues, teaches or must do something is someone
            if e.subj.kind_of == "thing" and (e.base in HERO_VERBS or e.modal or e.base in lx.WANT_VERBS):
                return e.subj
        return next((np for np in self.nps if np.kind_of in ("person", "group")), None)

    def _pronoun(self) -> str:
        if self.hero is None:
            return "they"
        after = [w.lower() for np in self.nps[self.nps.index(self.hero) + 1 :] for w in np.words[:1]]
        for e in self.evs:
            for c in (e.obj, e.subj):
                if c is not None and c.kind == "PRON":
                    after.append(c.low)
        for word in after:
            if word in ("he", "him", "his", "himself"):
                return "he"
            if word in ("she", "her", "hers", "herself"):
                return "she"
        return "they" if self.hero.plural else ""

    def is_hero(self, c: Chunk | None) -> bool:
        if c is None or self.hero is None:
            return False
        if c.kind == "PRON":
            forms = {"he": "he him himself", "she": "she her herself", "they": "they them themselves"}
            unknown = "he him she her" + (" they them" if self.hero.plural else "")
            return c.low in forms.get(self.pronoun, unknown).split()
        return c is self.hero or c.low == self.hero.low

    def resolve(self, c: Chunk | None) -> Chunk | None:
        """A pronoun that is not the hero -> the last thing of its sort the premise mentions ('it': a creature)."""
        if c is None or c.kind != "PRON" or self.is_hero(c):
            return c
        seen = [np for np in self.nps if np is not self.hero]
        if c.low == "it":
            for want in (("creature",), ("person",), ("thing",)):
                hit = [np for np in seen if np.kind_of in want and (want != ("person",) or np.head in lx.CREATURES)]
                if hit:
                    return hit[-1]
            return None
        people = [np for np in seen if np.kind_of in ("person", "group")]
        return people[-1] if people else None

    # ---------------------------------------------------------------- what for
    def _want(self) -> tuple[Event | None, int]:
        best: tuple[Event | None, int] = (None, -1)
        for e in self.evs:
            if not self.is_hero(e.subj) or e.clause not in ("main", "participle"):
                continue
            score, goal = 0, e
            if e.inf is not None and (e.base in lx.WANT_VERBS or e.base in ("have", "agree")):
                score, goal = 2, e.inf
            elif e.modal:
                score = 2
            elif e.verb.passive and e.inf is not None:
                score, goal = 1, e.inf
            if e.clause == "participle":
                score = -1
            if score > best[1]:
                best = (goal, score)
        return best

    def goal_text(self) -> str:
        e = self.goal_event
        if e is None:
            ally = self.best("ally")
            return f"save {ally.phrase}" if ally else "hold on"
        words = self._trim(e)
        if self.goal_score == 0:
            words = self._reframe(e, words)
        if self._taught(e):
            words = ["learn", "to", *words]
        return " ".join(words)

    def _taught(self, e: Event) -> bool:
        parent = next((p for p in self.evs if p.inf is e), None)
        return parent is not None and parent.verb.passive and parent.base in ("teach", "train")

    def _trim(self, e: Event) -> list[str]:
        """The goal's words without its deadline, time or agent phrases; pronouns named."""
        words = " ".join(e.words).split()
        text, cut = " ".join(words), len(words)
        events = chain(e)
        for ev in events:
            for prep, np in ev.comps:
                timely = prep in _TIME_PREPS or noun_kind(np.words[-1]) in ("era", "time", "season")
                if (timely or prep == "by") and f" {prep} {np.text}" in f" {text}":
                    cut = min(cut, len(f" {text}"[: f" {text}".index(f" {prep} {np.text}")].split()))
        words = words[:cut]
        for ev in events:
            if ev.obj is not None and ev.obj.kind == "PRON" and not self.is_hero(ev.obj):
                target = self.resolve(ev.obj)
                if target is not None:
                    words = [target.text if w.lower() == ev.obj.low else w for w in words]
        return words

    def _reframe(self, e: Event, words: list[str]) -> list[str]:
        comps = dict(e.comps)
        if e.base == "hide" and e.obj is None:
            return ["stay", "hidden", *words[1:]]
        if e.base in ("search", "look") and "for" in comps:
            return ["find", comps["for"].text]
        if e.base == "fall" and e.particle == "for" and e.obj is not None:
            return ["win", "over", *words[2:]]
        if e.base == "discover":
            that = next((x for x in self.evs if x.clause == "that" and x.subj is not None), None)
            return ["expose", that.subj.text] if that else words
        if e.base == "race" and e.inf is None and "to" in comps and e.obj is not None:
            return ["reach", comps["to"].text, "first"]
        if e.verb.passive and e.agent is not None:
            kind = OTHER_VERBS.get(e.base, "")
            goal = GOALS.get(kind, "survive").format(other=e.agent.text)
            force = next((x for x in self.evs if x.clause in ("when", "as", "after") and x.subj is not None), None)
            if goal == "survive" and force is not None:
                goal = f"survive {force.clause} {force.subj.text} {force.raw}"
            return goal.split()
        return words

    # ---------------------------------------------------------------- who else, and on which side
    def _people(self) -> list[Person]:
        found: dict[str, Person] = {}

        def add(c: Chunk | None, kind: str | None, strength: float) -> None:
            c = self.resolve(c)
            if c is None or not kind or self.is_hero(c) or c.kind_of not in CHARACTER_KINDS:
                return
            key = c.head
            old = found.get(key)
            if old is None or strength >= old.strength:
                order = old.order if old else len(found)
                creature = c.kind_of == "creature" or c.head in lx.CREATURES
                found[key] = Person(c.text, c.head, kind, strength, order, creature, c.plural, self._detail(c))

        for np in self.nps:  # everyone mentioned, weakly: a thief is a threat until a verb says otherwise
            if np is not self.hero and np.kind_of in ("person", "group") and not self.is_hero(np):
                dead = any(w.lower() in ("dead", "late", "murdered", "drowned", "lost") for w in np.words)
                add(np, "memory" if dead else "oppose" if singular(np.head) in lx.CRIMINALS else "company", 0.5)
        for e in self._all_events():
            self._weigh(e, add)
        return sorted(found.values(), key=lambda p: p.order)

    def _all_events(self) -> list[Event]:
        return [x for e in self.evs for x in chain(e)]

    def _weigh(self, e: Event, add) -> None:
        in_goal = e in chain(self.goal_event)
        strength = 3 if in_goal else 1 if e.clause == "rel" else 2  # 'who caught the Strangler': the past
        parent = next((p for p in self.evs if p.inf is e and p.verb.passive), None)
        agent = e.agent or next((np for p, np in e.comps if p == "by" and parent is not None), None)
        if self.is_hero(e.subj) or (e.subj is None and e.clause == "participle"):
            kind = HERO_VERBS.get(e.base)
            if e.base == "fall" and e.particle != "for":
                kind = None
            if e.particle == "from":  # 'hides from', 'runs from': they are what the hero flees
                kind = "hunted"
            if e.obj is not None and not e.verb.passive:
                add(e.obj, kind, strength)
            for prep, np in e.comps:
                if prep == "from":
                    add(np, "hunted" if kind in ("rescue", "protect", "hunted") or kind is None else "oppose", strength)
                elif prep == "for" and e.base in ("search", "look", "wait"):
                    add(np, "search", strength)
                elif prep == "and" and e.obj is not None:
                    add(np, kind, strength - 1)
            if agent is not None and (e.verb.passive or e.clause == "participle" or parent is not None):
                add(agent, OTHER_VERBS.get(parent.base if parent else e.base, "company"), strength)
            if e.co_subj is not None:
                rival = e.co_subj.head in lx.CRIMINALS or (e.inf is not None and e.inf.base in ("win", "beat"))
                add(e.co_subj, "race" if rival else "befriend", 2)
        elif self.is_hero(self.resolve(e.obj)) or (e.obj is not None and self.is_hero(e.obj)):
            kind = OTHER_VERBS.get(e.base)
            if e.base == "leave":
                kind = "betrayed" if e.inf is not None and e.inf.base == "die" else None
            add(e.subj, kind, 2)
        elif e.base in ("kill", "murder", "drown") and e.obj is not None and not e.verb.aux:
            add(e.obj, "memory", 1)  # 'the android that killed her partner': the partner is gone
        elif e.clause == "but":
            add(e.subj, OTHER_VERBS.get(e.base, "oppose"), 1)
        elif e.clause == "that":
            add(e.subj, "oppose", 1)
        elif e.clause == "before" and e.base == "do":
            add(e.subj, "race", 1)

    def _detail(self, c: Chunk) -> str:
        for e in self.evs:
            if e.clause == "rel" and e.subj is c and (e.verb.aux or not e.verb.words[-1].lower().endswith("ing")):
                pronoun = "that" if c.kind_of in ("group", "creature", "thing") else "who"
                return f"{pronoun} {e.raw}"
        return ""

    def best(self, side: str) -> Person | None:
        pool = [p for p in self.people if p.side == side]
        return max(pool, key=lambda p: (p.strength, -p.order)) if pool else None

    # ---------------------------------------------------------------- what stands in the way
    def obstacle(self) -> tuple[str, str, str]:
        """(phrase, kind, as the logline says it): kind is 'threat', 'force', 'deadline', 'place' or 'flaw'."""
        threat = self.best(THREAT)
        if threat is not None and threat.strength >= 1:
            return threat.full, "threat", threat.full
        for e in self.evs:
            if e.clause in ("when", "after", "as", "while", "once", "since", "before", "until"):
                force = e.agent if e.verb.passive else e.subj
                if force is not None and force.kind == "NP" and force.kind_of not in CHARACTER_KINDS:
                    if e.clause in ("before", "until"):
                        return force.text, "deadline", f"{force.text} {e.raw}"
                    return force.text, "force", force.text
        for e in chain(self.goal_event) + self._all_events():
            for prep, np in e.comps:
                if prep in ("before", "until") or prep == "from" and np.kind_of == "weather":
                    return np.text, "deadline" if prep != "from" else "force", np.text
        for np in self.nps:
            if np.kind_of == "weather" or (np.words and np.words[-1].lower() in lx.WEATHER):
                return np.text, "force", np.text
        for np in self.nps:
            if any(w.lower() in _HOSTILE for w in np.words) and np.kind_of not in CHARACTER_KINDS:
                return np.text, "place", np.text
        flaw = next((lx.FLAWS[w.lower()] for w in (self.hero.words if self.hero else []) if w.lower() in lx.FLAWS), "")
        if flaw:
            own = {"she": "her", "he": "his"}.get(self.pronoun, "their")
            return f"{own} own {flaw}", "flaw", f"{own} own {flaw}"
        if threat is not None:
            return threat.full, "threat", threat.full
        return "", "", ""

    def settings(self) -> list[str]:
        """The premise's scene-setting clauses: 'A blizzard buries the mountain pass.'"""
        out = []
        for e in self.evs:
            if e.clause in ("when", "after", "as", "while") and e.subj is not None and e.subj.kind == "NP":
                if e.subj.kind_of not in ("person", "group"):
                    text = f"{e.subj.text} {e.raw}"
                    out.append(text[0].upper() + text[1:] + ".")
        return out
