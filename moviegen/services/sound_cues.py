"""Which action lines name a sound: 'The door SLAMS.', 'Thunder.', 'A dog barks somewhere.', 'Glass shatters.'

The render asks for a sound effect for each of these (through the brain's ``sound`` capability) and mixes it
under the dialogue. The test is a small lexicon, deterministic and cheap, not a model: a sentence names a sound
when it has a sound verb in any form (slams, creaking, rang), a noun that is a sound or makes one by itself
(thunder, gunshot, siren, footsteps, rain, wind), or a thing that breaks next to a verb of breaking (glass
breaks, the window smashes). A sentence that says there is no sound ('closes the door silently', 'without a
sound') names none. Words that are often something else are left out on purpose — 'ring' the noun, 'shot' (a
camera term in a screenplay), 'break', 'crack' and 'hammer' alone, 'storms out', 'waves goodbye', 'in alarm' — so
a line is missed rather than given a sound that is not there.
"""

from __future__ import annotations

import re

_VOWELS = "aeiou"
_VERBS = ("slam bang crash shatter smash creak rattle thud clang clank clatter crackle boom rumble roar howl growl "
          "bark hiss whistle buzz beep honk knock drip splash screech squeal shriek scream explode thunder tick "
          "chime rustle patter whine wail blare sizzle thump click pop hum purr chirp whir whirr jingle clink "
          "squeak groan echo").split()  # fmt: skip
_IRREGULAR = {"rang", "rung", "ringing", "rings out", "ring out", "goes off", "went off"}
_NOUNS = ("thunder thunderclap gunshot gunshots gunfire explosion explosions siren sirens footsteps footstep doorbell "
          "rain raindrops downpour wind gust gale thunderstorm surf applause bell bells horn horns static birdsong "
          "crickets hoofbeats heartbeat").split()  # fmt: skip
_BREAKABLE = {"glass", "window", "windows", "plate", "plates", "bottle", "mirror", "vase", "windshield", "cup"}
_BREAKING = {"break", "breaks", "broke", "breaking", "shatters", "shattered", "smashes", "smashed", "splinters"}
_SILENT = re.compile(r"\b(silently|soundlessly|noiselessly|without a (sound|noise)|no sound|makes no noise)\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[a-z]+")


def _forms(verb: str) -> set[str]:
    """slam -> slam, slams, slammed, slamming; creak -> creaks, creaked, creaking; rattle -> rattled, rattling."""
    if verb.endswith("e"):
        return {verb, verb + "s", verb + "d", verb[:-1] + "ing"}
    es = verb + "es" if verb.endswith(("s", "sh", "ch", "x", "z", "o")) else verb + "s"
    short = len(verb) <= 4 and verb[-1] not in _VOWELS + "wxy" and verb[-2] in _VOWELS and verb[-3] not in _VOWELS
    stem = verb + verb[-1] if short else verb
    return {verb, es, stem + "ed", stem + "ing"}


SOUND_WORDS = frozenset({form for verb in _VERBS for form in _forms(verb)} | set(_NOUNS) | _IRREGULAR)


def names_sound(sentence: str) -> bool:
    """Whether one sentence of action names a sound."""
    text = sentence.lower()
    if _SILENT.search(text):
        return False
    words = _WORD.findall(text)
    if any(w in SOUND_WORDS for w in words):
        return True
    if any(phrase in text for phrase in _IRREGULAR if " " in phrase):
        return True
    return bool(_BREAKABLE.intersection(words) and _BREAKING.intersection(words))


def sound_cues(action_text: str) -> list[str]:
    """The sentences of ``action_text`` that name a sound, in order, each once, as written (a prompt for a sound
    effects model: 'MIRA slams the door behind her.')."""
    sentences = (" ".join(s.split()) for s in _SENTENCE.split(action_text))
    return list(dict.fromkeys(s for s in sentences if s and names_sound(s)))
