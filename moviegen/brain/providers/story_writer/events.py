"""Who does what to whom in a premise: one event per verb, with its subject, object and complements.

Works on the chunks of `phrases.chunk`. A verb's subject is found by walking back over the phrases that
hang off a noun ("the fishermen of a frozen harbour town must ..."), over relative clauses ("the abbot who
sent him plans ..."), and through coordination ("... and must find out ..." shares the last subject). Each
event records the clause it stands in — main, a subordinate clause ('when', 'before'), a relative clause,
a 'but' clause, a 'that' clause or a participle ("Hunted by a bounty killer, ...") — because the same verb
means different things there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moviegen.brain.providers.story_writer.phrases import Chunk

PARTICLES = {"fall": "for", "search": "for", "look": "for", "care": "for", "wait": "for", "take": "on",
             "hide": "from", "run": "from", "flee": "from", "dig": "out", "find": "out"}  # fmt: skip
OBJECT_CONTROL = {"teach", "help", "train", "force", "ask", "send", "hire", "order", "race", "get", "want", "leave"}
_GROUP_HEADS = {"gang", "group", "band", "crew", "army", "pack", "family", "team", "mob", "ship", "bus", "crowd"}


@dataclass
class Event:
    verb: Chunk
    subj: Chunk | None
    clause: str  # 'main', a subordinator ('when', 'before'), 'rel', 'but', 'that', 'participle'
    sentence: int
    obj: Chunk | None = None
    particle: str = ""
    comps: list[tuple[str, Chunk]] = field(default_factory=list)
    agent: Chunk | None = None  # the 'by' phrase of a passive
    inf: Event | None = None  # 'to fight' in 'teaches a shy orphan to fight'
    words: list[str] = field(default_factory=list)  # the predicate from the verb on, the verb in its base form
    co_subj: Chunk | None = None  # 'her rival' in 'a baker and her rival both try'

    @property
    def base(self) -> str:
        return self.verb.base

    @property
    def raw(self) -> str:
        """The predicate as written: 'buries the mountain pass'."""
        return " ".join([*self.verb.words, *self.words[1:]]) if self.verb.base else " ".join(self.verb.words)

    @property
    def modal(self) -> bool:
        return any(a in ("must", "should") for a in self.verb.aux)


def chain(e: Event | None) -> list[Event]:
    """An event and the infinitives hanging off it: 'tries' -> 'to stop' -> ..."""
    out = []
    while e is not None:
        out.append(e)
        e = e.inf
    return out


def merge_appositions(cs: list[Chunk]) -> list[Chunk]:
    """'Nadia , a night-shift nurse ,' -> one phrase named Nadia; 'a gang of smugglers' -> one phrase."""
    out: list[Chunk] = []
    k = 0
    while k < len(cs):
        c = cs[k]
        if c.kind == "NP" and c.name and k + 2 < len(cs) and cs[k + 1].text == "," and cs[k + 2].kind == "NP":
            end = k + 3
            while end + 1 < len(cs) and cs[end].kind == "P" and cs[end + 1].kind == "NP":
                end += 2
            if end < len(cs) and cs[end].text == ",":
                words = [w for x in cs[k + 2 : end] for w in x.words]
                out.append(Chunk("NP", words, name=c.name))
                k = end + 1
                continue
        full = k + 3 < len(cs) and cs[k + 1].low == "full" and cs[k + 2].low == "of" and cs[k + 3].kind == "NP"
        if c.kind == "NP" and full and cs[k + 3].kind_of in ("person", "creature", "group"):
            out.append(Chunk("NP", c.words + ["full", "of"] + cs[k + 3].words))
            k += 4
            continue
        if c.kind == "NP" and c.head in _GROUP_HEADS and k + 2 < len(cs) and cs[k + 1].low == "of":
            nxt = cs[k + 2]
            if nxt.kind == "NP" and nxt.kind_of in ("person", "creature", "group"):
                out.append(Chunk("NP", c.words + ["of"] + nxt.words))
                k += 3
                continue
        out.append(c)
        k += 1
    return out


def events(cs: list[Chunk], index: int) -> list[Event]:
    """The events of one sentence's chunks (after `merge_appositions`)."""
    found: list[Event] = []
    for k, c in enumerate(cs):
        if c.kind == "V" and not (k and cs[k - 1].kind == "TO"):
            subj, clause, co = _subject(cs, k, found)
            found.append(_predicate(cs, k, subj, clause, index, co))
    return found


def _subject(cs: list[Chunk], k: int, found: list[Event]) -> tuple[Chunk | None, str, Chunk | None]:
    j = k - 1
    while j >= 0 and cs[j].kind == "ADV":
        j -= 1
    if j < 0 or cs[j].kind == "PUNCT":
        main = [e for e in found if e.clause in ("main", "participle")]
        subj = main[-1].subj if main and j >= 0 else None
        return subj, "main" if cs[k].aux else "participle", None  # ', then must ...' / 'Hunted by ...,'
    c = cs[j]
    if c.kind == "REL":
        return (cs[j - 1] if j and cs[j - 1].kind == "NP" else None), "rel", None
    if c.kind == "CONJ":
        main = [e for e in found if e.clause in ("main", "but")]
        return (main[-1].subj if main else None), "main", None
    if c.kind not in ("NP", "PRON"):
        return None, "main", None
    if not cs[k].aux and cs[k].words[-1].lower().endswith("ing") and c.kind == "NP":
        return c, "rel", None  # 'the soldiers searching the city'
    while True:  # walk back over what hangs off the subject
        if j >= 2 and cs[j - 1].kind == "P" and cs[j - 2].kind == "NP" or j >= 2 and cs[j - 1].kind == "P":
            j -= 2
            while j >= 1 and cs[j].kind == "P":
                j -= 1
            continue
        if j >= 1 and cs[j - 1].kind == "NP":
            if j >= 2 and cs[j - 2].kind == "P":
                return cs[j], "rel", None  # 'for the cat her husband left her'
            j -= 1
            continue
        if j >= 1 and cs[j - 1].kind == "V":
            prev = next((e for e in reversed(found) if e.verb is cs[j - 1]), None)
            if prev is not None and prev.clause == "rel":
                return prev.subj, _clause_of(cs, prev.subj), None
            if prev is not None and prev.base in ("discover", "learn", "realise", "realize", "find", "know"):
                return cs[j], "that", None
            return cs[j], "main", None
        break
    subj = cs[j]
    before = cs[j - 1] if j >= 1 else None
    if before is not None and before.kind == "CONJ" and before.low == "and" and j >= 2 and cs[j - 2].kind == "NP":
        return _subject(cs, j - 1, found)[0] or cs[j - 2], "main", subj
    if before is not None and before.kind == "SUB":
        return subj, before.low, None
    if before is not None and before.kind == "REL":
        return subj, "that", None
    if before is not None and before.kind == "CONJ" and before.low in ("but", "yet"):
        return subj, "but", None
    return subj, "main", None


def _clause_of(cs: list[Chunk], subj: Chunk | None) -> str:
    k = next((i for i, c in enumerate(cs) if c is subj), -1)
    before = cs[k - 1] if k >= 1 else None
    if before is not None and before.kind == "CONJ" and before.low in ("but", "yet"):
        return "but"
    return before.low if before is not None and before.kind == "SUB" else "main"


def _predicate(cs: list[Chunk], k: int, subj: Chunk | None, clause: str, index: int, co=None) -> Event:
    verb = cs[k]
    event = Event(verb, subj, clause, index, co_subj=co)
    last = verb.words[-1].lower() if verb.words else ""
    words = [last if "-" in last and verb.base else verb.base]  # keep 'sword-fight' whole
    j = k + 1
    particle = PARTICLES.get(verb.base)
    while j < len(cs) and cs[j].kind == "ADV":
        words.append(cs[j].text)
        if particle and cs[j].low == particle:
            event.particle = particle
        j += 1
    if particle and j < len(cs) and cs[j].kind == "P" and cs[j].low == particle:
        event.particle = particle
        words.append(cs[j].text)
        j += 1
    if j < len(cs) and cs[j].kind in ("NP", "PRON"):
        event.obj = cs[j]
        words.append(cs[j].text)
        j += 1
        while j < len(cs) and cs[j].kind == "NP" and not cs[j].words[0][0].isupper():
            words.append(cs[j].text)  # 'wants the building empty'
            j += 1
    while j < len(cs):
        c = cs[j]
        if c.kind == "ADV":
            words.append(c.text)  # 'guides a lost pilot back to the village'
            j += 1
            continue
        sub_prep = c.kind == "SUB" and j + 1 < len(cs) and cs[j + 1].kind == "NP"
        if sub_prep and j + 2 < len(cs) and cs[j + 2].kind == "V":
            break  # 'before the thaw cracks the ice' is a clause of its own
        if (c.kind == "P" or sub_prep) and j + 1 < len(cs) and cs[j + 1].kind in ("NP", "PRON"):
            prep, np = c.low, cs[j + 1]
            if prep == "by" and (verb.passive or clause == "participle") and event.agent is None:
                event.agent = np
            else:
                event.comps.append((prep, np))
            words += [c.text, np.text]
            j += 2
            continue
        if c.kind == "CONJ" and c.low == "and" and j + 1 < len(cs) and cs[j + 1].kind == "NP":
            event.comps.append(("and", cs[j + 1]))
            words += [c.text, cs[j + 1].text]
            j += 2
            continue
        if c.kind == "TO" and j + 1 < len(cs) and cs[j + 1].kind == "V":
            inf_subj = event.obj if verb.base in OBJECT_CONTROL and event.obj is not None else subj
            event.inf = _predicate(cs, j + 1, inf_subj, clause, index)
            words += ["to", *event.inf.words]
            break
        if c.kind == "REL" and event.obj is None and j + 1 < len(cs) and cs[j + 1].kind == "V":
            words += [c.text, *cs[j + 1].words]  # 'find out who is really calling'
            j += 2
            continue
        break
    event.words = [w for w in words if w]
    return event
