"""Casting from an ElevenLabs voice library: which of the account's voices fits a character's description.

ElevenLabs describes each voice with free-form labels — ``gender`` (male, female, neutral), ``age`` (young,
middle_aged or 'middle aged', old), ``accent`` (american, british, irish, swedish, 'english-swedish', …),
``description`` or ``descriptive`` (deep, calm, raspy, …) and ``use_case`` (narration, characters_animation, …) —
plus a description and a name that often carries tone words ('Adam - Dominant, Firm'). A character is described
by the bible's role, look and voice text ('a retired lighthouse keeper in his 70s, Norwegian; low, gravelly').

:func:`score_voice` reads both into the same terms and scores a voice with its reasons: gender (pronouns and
words such as mother, boy), age (a decade such as '70s', 'aged 12', a word such as child, teenager, middle-aged,
elderly), accent (the nationality or place; a related accent of the same family — Swedish for Norwegian — counts
for less) and tone (groups of words that mean the same: low/deep/bass, gravelly/raspy/husky, …). A voice of the
other gender is all but ruled out; one without a label is neither rewarded nor punished.

:func:`cast_voices` casts a whole cast at once: best pairs first (highest score, then the cast's order, then the
voice id — deterministic), so two characters share a voice only when the library has fewer voices than the cast
has characters. A description that names a voice id of the library gets that voice, whatever the score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moviegen.core.errors import ProviderError

_FEMALE = ("she her hers herself woman women girl girls lady mother mum mom grandmother granny grandma sister daughter "
           "aunt wife queen widow niece female feminine matriarch nun actress waitress princess").split()  # fmt: skip
_MALE = ("he him his himself man men boy boys gentleman father dad grandfather grandpa brother son uncle husband king "
         "widower nephew male masculine patriarch monk prince lad").split()  # fmt: skip
_CHILD = ("child children kid kids toddler schoolgirl schoolboy boy girl infant baby").split()
_YOUNG = ("young youthful teen teens teenage teenager adolescent student twenties thirties twenty thirty "
          "twentysomething").split()  # fmt: skip
_MIDDLE = ("middle-aged middle_aged forties fifties forty fifty midlife").split()
_OLD = ("old elderly aged ancient senior retired grandmother grandfather granny grandpa grandma sixties seventies "
        "eighties nineties sixty seventy eighty ninety wizened grey-haired gray-haired white-haired").split()  # fmt: skip
AGES = ("young", "middle_aged", "old")

ACCENT_FAMILIES: dict[str, tuple[str, ...]] = {
    "north american": ("american", "canadian", "southern", "texan", "new york", "transatlantic", "midwestern"),
    "british isles": ("british", "english", "scottish", "irish", "welsh", "cockney", "london", "yorkshire"),
    "nordic": ("norwegian", "swedish", "danish", "finnish", "icelandic", "scandinavian", "nordic"),
    "oceanian": ("australian", "aussie", "new zealand", "kiwi"),
    "south asian": ("indian", "pakistani", "bangladeshi", "sri lankan"),
    "african": ("african", "nigerian", "south african", "kenyan", "ghanaian", "ethiopian"),
    "romance": ("french", "italian", "spanish", "portuguese", "brazilian", "mexican", "latin", "argentinian"),
    "germanic": ("german", "dutch", "austrian", "swiss", "flemish"),
    "slavic": ("russian", "polish", "ukrainian", "czech", "serbian", "bulgarian"),
    "east asian": ("chinese", "japanese", "korean", "vietnamese", "filipino"),
    "middle eastern": ("arabic", "arab", "persian", "turkish", "egyptian", "israeli", "lebanese"),
}
_ACCENT_FAMILY = {term: family for family, terms in ACCENT_FAMILIES.items() for term in terms}

TONES: dict[str, tuple[str, ...]] = {
    "deep": ("low", "deep", "bass", "baritone", "booming", "resonant"),
    "rough": ("gravelly", "gravel", "raspy", "rasp", "gruff", "husky", "hoarse", "rough", "grizzled", "smoky"),
    "soft": ("soft", "gentle", "quiet", "whisper", "whispery", "hushed", "breathy", "airy"),
    "warm": ("warm", "kind", "friendly", "soothing", "comforting", "pleasant", "sweet"),
    "calm": ("calm", "measured", "slow", "patient", "steady", "relaxed", "even"),
    "bright": ("bright", "high", "light", "chirpy", "cheerful", "sunny", "bubbly", "clear"),
    "energetic": ("quick", "fast", "energetic", "upbeat", "excited", "lively", "breathless", "bouncy", "animated"),
    "firm": tuple("authoritative commanding firm dominant stern confident strong crisp clipped formal serious".split()),
    "wise": ("wise", "mature", "seasoned", "grandfatherly", "grandmotherly"),
    "playful": ("playful", "mischievous", "childish", "childlike", "cute", "goofy", "quirky"),
    "nervous": ("nervous", "anxious", "shaky", "timid", "hesitant", "trembling"),
    "dark": ("menacing", "sinister", "dark", "cold", "villain", "villainous", "ominous", "intense"),
}
_TONE = {word: group for group, words in TONES.items() for word in words}
_WORD = re.compile(r"[a-z][a-z'_-]*")
_AGE_NUMBER = re.compile(r"\b(\d{1,2})0'?s\b|\b(\d{1,3})[- ]years?[- ]old\b|\baged? (\d{1,3})\b|\bage (\d{1,3})\b")
_VOICE_ID = re.compile(r"\b[A-Za-z0-9]{16,32}\b")


@dataclass(frozen=True)
class Voice:
    """One voice of the library, its labels read into the terms :func:`score_voice` compares."""

    voice_id: str
    name: str = ""
    gender: str = ""  # male, female, neutral or ''
    age: str = ""  # young, middle_aged, old or ''
    accent: str = ""  # as labelled, lower case
    tones: frozenset[str] = frozenset()  # TONES groups found in its labels, description and name
    use_case: str = ""
    category: str = ""
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Voice:
        labels = {str(k).lower(): str(v) for k, v in (data.get("labels") or {}).items() if v is not None}
        gender = labels.get("gender", "").strip().lower()
        told = (labels.get("description"), labels.get("descriptive"), data.get("description"), data.get("name"))
        words = " ".join(str(t) for t in told if t)
        return cls(
            voice_id=str(data["voice_id"]),
            name=str(data.get("name") or ""),
            gender=gender if gender in ("male", "female", "neutral") else "",
            age=_label_age(labels.get("age", "")),
            accent=labels.get("accent", "").strip().lower().replace("_", " "),
            tones=frozenset(_tones(words)),
            use_case=labels.get("use_case", "").strip().lower(),
            category=str(data.get("category") or ""),
            labels=labels,
        )


@dataclass(frozen=True)
class Wanted:
    """What a character's description asks of a voice."""

    gender: str = ""
    age: str = ""
    child: bool = False
    accents: tuple[str, ...] = ()
    tones: frozenset[str] = frozenset()
    narrator: bool = False


@dataclass(frozen=True)
class VoiceChoice:
    name: str  # the character
    voice_id: str
    voice_name: str
    score: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "voice_id": self.voice_id, "voice_name": self.voice_name,
                "score": round(self.score, 2), "reasons": list(self.reasons)}  # fmt: skip


def wanted(description: str) -> Wanted:
    """Gender, age, accent and tone from a character's description (role, look and voice text)."""
    text = description.lower()
    words = _WORD.findall(text)
    female = sum(w in _FEMALE for w in words)
    male = sum(w in _MALE for w in words)
    gender = "female" if female > male else "male" if male > female else ""
    age, child = _wanted_age(text, words)
    accents = tuple(dict.fromkeys(term for term in _ACCENT_FAMILY if re.search(rf"\b{re.escape(term)}\b", text)))
    return Wanted(gender, age, child, accents, frozenset(_tones(text)), "narrat" in text)


def score_voice(voice: Voice, want: Wanted) -> tuple[float, list[str]]:
    """How well ``voice`` fits ``want``, with the reasons (the ones that count, for and against)."""
    score, reasons = 0.0, []
    if want.gender and voice.gender:
        if voice.gender == want.gender:
            score += 4
            reasons.append(voice.gender)
        elif voice.gender != "neutral":
            score -= 6
            reasons.append(f"{voice.gender}, not {want.gender}")
    if want.age and voice.age:
        gap = abs(AGES.index(voice.age) - AGES.index(want.age))
        score += (3, 1, -1.5)[gap]
        label = voice.age.replace("_", " ")
        reasons.append(f"{label}" if gap == 0 else f"{label}, wanted {want.age.replace('_', ' ')}")
    if want.child and ("playful" in voice.tones or "animation" in voice.use_case):
        score += 1
        reasons.append("a voice for young characters")
    if want.accents and voice.accent:
        if any(re.search(rf"\b{re.escape(a)}\b", voice.accent) for a in want.accents):
            score += 3
            reasons.append(f"{voice.accent} accent")
        else:
            families = {_ACCENT_FAMILY[a] for a in want.accents}
            near = [t for t in _ACCENT_FAMILY if _ACCENT_FAMILY[t] in families and re.search(rf"\b{t}\b", voice.accent)]
            if near:
                score += 1.5
                reasons.append(f"{voice.accent} accent, near {'/'.join(want.accents)}")
    shared = sorted(want.tones & voice.tones)
    if shared:
        score += len(shared)
        reasons.append("tone: " + ", ".join(shared))
    if want.narrator and "narrat" in voice.use_case:
        score += 1
        reasons.append("a narration voice")
    return score, reasons


def choose_voice(voices: Iterable[Voice | Mapping[str, Any]], description: str, taken: Iterable[str] = ()) -> str:
    """The voice id that best fits ``description`` among the voices not ``taken`` (all, when every one is)."""
    return _best(_library(voices), description, set(taken))[0].voice_id


def cast_voices(voices: Iterable[Voice | Mapping[str, Any]], cast: Mapping[str, str]) -> dict[str, VoiceChoice]:
    """A voice for every character of ``cast`` (name -> description), distinct while the library lasts."""
    library = _library(voices)
    by_id = {v.voice_id: v for v in library}
    names = list(cast)
    chosen: dict[str, VoiceChoice] = {}
    for name in names:  # a description that names a voice id of the library gets it
        named = next((m for m in _VOICE_ID.findall(cast[name]) if m in by_id), None)
        if named:
            v = by_id[named]
            chosen[name] = VoiceChoice(name, v.voice_id, v.name, 99.0, ("named in the description",))
    taken = {c.voice_id for c in chosen.values()}
    wants = {n: wanted(cast[n]) for n in names}
    pairs = sorted(
        ((*score_voice(v, wants[n]), i, v) for i, n in enumerate(names) if n not in chosen for v in library),
        key=lambda p: (-p[0], p[2], p[3].voice_id),
    )
    for score, reasons, i, v in pairs:
        name = names[i]
        if name in chosen or v.voice_id in taken:
            continue
        chosen[name] = VoiceChoice(
            name, v.voice_id, v.name, score, tuple(reasons) or ("no preference: the next free voice",)
        )
        taken.add(v.voice_id)
    for name in names:  # more characters than voices: the best voice, shared
        if name not in chosen:
            v, score, reasons = _best(library, cast[name], set())
            other = next(c.name for c in chosen.values() if c.voice_id == v.voice_id)
            note = f"shares {other}'s voice: the library has {len(library)} voices for {len(names)} characters"
            chosen[name] = VoiceChoice(name, v.voice_id, v.name, score, (*reasons, note))
    return {name: chosen[name] for name in names}


# ---------------------------------------------------------------------------------------------- helpers
def _library(voices: Iterable[Voice | Mapping[str, Any]]) -> list[Voice]:
    library = [v if isinstance(v, Voice) else Voice.from_api(v) for v in voices]
    if not library:
        raise ProviderError(
            "the ElevenLabs account has no voices", "add voices at https://elevenlabs.io/app/voice-library"
        )
    return library


def _best(library: list[Voice], description: str, taken: set[str]) -> tuple[Voice, float, list[str]]:
    free = [v for v in library if v.voice_id not in taken] or library
    want = wanted(description)
    scored = sorted(((*score_voice(v, want), v) for v in free), key=lambda s: (-s[0], s[2].voice_id))
    score, reasons, voice = scored[0]
    return voice, score, reasons


def _tones(text: str) -> set[str]:
    return {_TONE[w] for w in _WORD.findall(text.lower()) if w in _TONE}


def _label_age(label: str) -> str:
    label = label.strip().lower().replace("-", " ").replace("_", " ")
    if "middle" in label:
        return "middle_aged"
    if label.startswith(("young", "child", "kid", "teen")):
        return "young"
    if label.startswith(("old", "senior", "elder")):
        return "old"
    return ""


def _wanted_age(text: str, words: list[str]) -> tuple[str, bool]:
    """(age group, a child?) — a number first ('70s', 'aged 12', '9-year-old'), then words."""
    for match in _AGE_NUMBER.finditer(text):
        decade, years = match.group(1), next((g for g in match.groups()[1:] if g), None)
        age = int(decade) * 10 if decade else int(years)
        if 0 < age < 120:
            group = "young" if age < 40 else "middle_aged" if age < 60 else "old"
            return group, age < 13
    if any(w in _CHILD for w in words):
        return "young", True
    for group, vocabulary in (("middle_aged", _MIDDLE), ("old", _OLD), ("young", _YOUNG)):
        if any(w in vocabulary for w in words) or (group == "middle_aged" and "middle aged" in text):
            return group, False
    return "", False
