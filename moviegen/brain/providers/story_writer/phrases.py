"""Words and phrases of a premise: a small rule-based chunker, no statistics.

Splits text into sentences and each sentence into chunks: noun phrases ("a retired boxer", "the valley's
last beacon"), verb groups ("must rescue", "is taught"), prepositions, subordinators, relative pronouns,
conjunctions and punctuation. A word that can be a noun or a verb ("races", "storms") is a verb when it
follows the subject of a clause and a noun after a preposition, which is how a reader decides too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moviegen.brain.providers.story_writer import lexicon as lx
from moviegen.brain.providers.story_writer.words import NOUNS as _NOUNS
from moviegen.brain.providers.story_writer.words import noun_kind, singular, verb_base

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*|[,.;:!?—]")
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st"}


@dataclass
class Chunk:
    kind: str  # NP V P TO SUB CONJ REL PRON ADV PUNCT
    words: list[str]
    base: str = ""  # V: the main verb's base form
    aux: list[str] = field(default_factory=list)  # V: auxiliaries and modals before it
    passive: bool = False
    name: str = ""  # NP: a proper name, when one is given

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def core(self) -> str:
        """The phrase without its determiner: 'the valley's last beacon' -> "valley's last beacon"."""
        words = self.words[1:] if self.words and self.words[0].lower() in lx.DETERMINERS else self.words
        return " ".join(words).lower() if not self.name else " ".join(words)

    @property
    def head(self) -> str:
        return singular(self.words[-1]) if self.words else ""

    @property
    def kind_of(self) -> str:
        kind = noun_kind(self.words[-1]) if self.words else "thing"
        if self.name:
            return "person" if kind not in ("time", "season", "place") else kind
        last = self.words[-1] if self.words else ""
        if last[:1].isupper() and singular(last) not in _NOUNS and singular(last) not in lx.CRIMINALS:
            return "place"  # 'in Manchester': a capitalised word we do not know, not named as a person
        return kind

    @property
    def plural(self) -> bool:
        last = self.words[-1].lower().removesuffix("'s").removesuffix("’s") if self.words else ""
        return singular(last) != last or (self.words[0].lower() in lx.PLURAL_DETERMINERS)


def sentences(text: str) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for token in _TOKEN.findall(text):
        out[-1].append(token)
        if token in ".!?" and not (len(out[-1]) > 1 and out[-1][-2].lower() in _ABBREVIATIONS):
            out.append([])
    return [s for s in out if any(t not in ",.;:!?—" for t in s)]


def _tag(word: str, first: bool) -> str:
    low = word.lower()
    if word in ",.;:!?—":
        return "PUNCT"
    if low == "to":
        return "TO"
    for tag, words in (
        ("SUB", lx.SUBORDINATORS),
        ("CONJ", lx.CONJUNCTIONS),
        ("REL", lx.RELATIVES),
        ("MODAL", lx.MODALS),
        ("AUX", lx.AUXILIARIES),
    ):
        if low in words:
            return tag
    if low in lx.DETERMINERS:
        return "DET" if low != "her" else "HER"
    if low in lx.PREPOSITIONS:
        return "P"
    if low in lx.PRONOUNS:
        return "PRON"
    if low in lx.ADVERBS or low == "ago" or (low.endswith("ly") and low not in lx.ADJECTIVES and len(low) > 4):
        return "ADV"
    if word[0].isupper() and not first:
        return "NAME"
    return "WORD"


def _noun_like(word: str) -> bool:
    return singular(word) in _NOUNS or noun_kind(word) != "thing" or word.lower() in lx.ADJECTIVES


def chunk(tokens: list[str]) -> list[Chunk]:
    tags = [_tag(t, i == 0) for i, t in enumerate(tokens)]
    if tags and tags[0] == "WORD" and tokens[0][0].isupper() and len(tokens) > 1 and tokens[1] == ",":
        tags[0] = "NAME"  # 'Nadia, a night-shift nurse, ...'
    out: list[Chunk] = []
    i, n = 0, len(tokens)
    subject = True  # the next noun phrase starts a clause
    while i < n:
        tag, word = tags[i], tokens[i]
        if tag == "HER":  # 'her rival' (determiner) or 'rescues her' (pronoun)
            follows = i + 1 < n and tags[i + 1] in ("WORD", "NAME") and not _is_finite(tokens[i + 1])
            tag = "DET" if follows else "PRON"
        prev = out[-1] if out else None
        if tag == "WORD":
            base = verb_base(word)
            finite = base and prev is not None and prev.kind in ("NP", "PRON") and _finite_after(word, prev)
            if finite or (base and not _noun_like(word)):
                i = _verb_group(tokens, tags, i, out)
            else:
                i = _noun_phrase(tokens, tags, i, subject, out)
                _place_names(out, prev)
            subject = False
            continue
        if tag in ("DET", "NAME"):
            i = _noun_phrase(tokens, tags, i, subject, out)
            _place_names(out, prev)
            subject = False
            continue
        if tag in ("AUX", "MODAL") or (tag == "ADV" and _verb_ahead(tokens, tags, i)):
            i = _verb_group(tokens, tags, i, out)
            subject = False
            continue
        if tag == "TO" and i + 1 < n and tags[i + 1] in ("WORD", "ADV") and verb_base(tokens[i + 1]):
            out.append(Chunk("TO", [word]))
            i = _verb_group(tokens, tags, i + 1, out)
            continue
        kind = {"TO": "P", "MODAL": "V"}.get(tag, tag)
        out.append(Chunk(kind, [word]))
        subject = tag in ("SUB", "CONJ", "PUNCT", "REL")
        i += 1
    return out


def _place_names(out: list[Chunk], prev: Chunk | None) -> None:
    """A capitalised word after a preposition names a place or a time ('in Lisbon'), not a person."""
    if prev is not None and prev.kind in ("P", "SUB") and out[-1].name:
        out[-1].name = ""


def _finite_after(word: str, prev: Chunk) -> bool:
    low = word.lower()
    return (
        low.endswith(("s", "ed"))
        and not low.endswith("ss")
        or low in lx.IRREGULAR
        or prev.plural
        or prev.kind == "PRON"
    )


def _is_finite(word: str) -> bool:
    low = word.lower()
    return bool(verb_base(word)) and (low.endswith("s") or low in lx.IRREGULAR) and singular(low) not in _NOUNS


def _verb_ahead(tokens: list[str], tags: list[str], i: int) -> bool:
    j = i
    while j < len(tokens) and tags[j] == "ADV":
        j += 1
    return j < len(tokens) and (tags[j] in ("AUX", "MODAL") or (tags[j] == "WORD" and bool(verb_base(tokens[j]))))


def _noun_phrase(tokens: list[str], tags: list[str], i: int, subject: bool, out: list[Chunk]) -> int:
    words: list[str] = []
    name = ""
    while i < len(tokens) and (tags[i] == "DET" or tags[i] == "HER") and len(words) < 3:
        words.append(tokens[i])  # 'the two children'
        i += 1
    content, owner = 0, False
    while i < len(tokens):
        tag, word, low = tags[i], tokens[i], tokens[i].lower()
        if tag not in ("WORD", "NAME") and not (tag == "HER" and not content):
            break
        if content and not owner:  # after "the valley's" comes its noun, whatever it looks like
            base = verb_base(word)
            if low.endswith("ing") and base or (low.endswith("ed") or low in lx.IRREGULAR) and base:
                break  # 'soldiers searching', 'the cat her husband left'
            if low in lx.ADJECTIVES and not (i + 1 < len(tokens) and tags[i + 1] in ("WORD", "NAME")):
                break  # 'a ship full of refugees'
            if base and (subject or singular(low) not in _NOUNS) and (low.endswith("s") or words_plural(words)):
                break  # 'a courier races', 'two sisters inherit'
        words.append(word)
        if tag == "NAME" and not name and (not words[:-1] or words[0].lower() in lx.TITLES):
            name = word
        content += 1
        i += 1
        owner = low.endswith(("'s", "’s", "s'"))
        if i < len(tokens) and tokens[i].lower() == "ago":
            words.append(tokens[i])  # 'twenty years ago'
            i += 1
            break
    if words and words[0].lower() in lx.TITLES and len(words) > 1 and words[1][0].isupper():
        name = " ".join(words)
    out.append(Chunk("NP", words or [tokens[i - 1]], name=name if name and content <= 2 else ""))
    return i if words else i + 1


def words_plural(words: list[str]) -> bool:
    return bool(words) and (words[0].lower() in lx.PLURAL_DETERMINERS or singular(words[-1]) != words[-1].lower())


def _verb_group(tokens: list[str], tags: list[str], i: int, out: list[Chunk]) -> int:
    aux: list[str] = []
    words: list[str] = []
    while i < len(tokens) and tags[i] in ("AUX", "MODAL", "ADV"):
        words.append(tokens[i])
        if tags[i] != "ADV":
            aux.append(tokens[i].lower())
        i += 1
    base, passive = "", False
    if i < len(tokens) and tags[i] == "WORD" and verb_base(tokens[i]):
        base = verb_base(tokens[i]) or ""
        low = tokens[i].lower()
        passive = (
            bool(aux)
            and aux[-1] in ("is", "are", "was", "were", "be", "been", "being")
            and (low.endswith("ed") or (low in lx.IRREGULAR and not low.endswith("s")))
        )
        words.append(tokens[i])
        i += 1
    elif aux:
        base = lx.IRREGULAR.get(aux[-1], aux[-1])
        aux = aux[:-1]
    out.append(Chunk("V", words, base=base, aux=aux, passive=passive))
    return i
