"""Casting: every character gets one colour, one stage slot and one voice for the film.

Voices are chosen from the character's description (low/high, slow/quick, age)
and kept distinct: no two characters share an eSpeak variant.
"""

from __future__ import annotations

import colorsys
import hashlib
import re

from pydantic import BaseModel, Field

from moviegen.core.brain import CharacterLook
from moviegen.core.models import Character

FEMALE_VARIANTS = ["f2", "f3", "f1", "f4", "f5"]
MALE_VARIANTS = ["m3", "m1", "m7", "m2", "m6", "m4", "m5"]
_FEMININE = {
    "mira",
    "ines",
    "yuki",
    "priya",
    "leila",
    "sade",
    "marisol",
    "noor",
    "ada",
    "hana",
    "greta",
    "zora",
    "linnea",
    "amara",
    "rosa",
    "oona",
    "vera",
    "ilse",
    "anna",
    "maria",
    "sarah",
    "emma",
    "olivia",
    "sofia",
    "grace",
    "lucy",
    "alice",
    "clara",
    "elena",
    "nina",
    "mia",
    "zoe",
    "ruth",
    "jane",
    "kate",
    "mary",
    "lena",
}
VOICE_VARIANTS = FEMALE_VARIANTS + MALE_VARIANTS
_EXPLICIT_VOICE = re.compile(r"\ben-us\+([fm][1-7])\b")
_EXPLICIT_PITCH = re.compile(r"\bpitch (\d{1,2})\b")
_EXPLICIT_RATE = re.compile(r"\brate (\d{3})\b")
_SHE = re.compile(r"\b(she|her|woman|girl|mother|grandmother|sister|daughter|aunt|wife|queen)\b", re.I)


class Role(BaseModel):
    name: str
    color: str
    slot: int
    voice: str  # eSpeak voice id
    pitch: int
    rate: int
    voices: dict[str, str] = Field(default_factory=dict)  # online provider -> its voice id for this character


_ONLINE_ID = re.compile(r"\b([A-Za-z0-9]{16,32})\b\)?\s*$")


def online_voices(c: Character) -> dict[str, str]:
    """The character's voices at online providers, from the bible ("- elevenlabs voice: Rachel (21m00T…)")."""
    m = _ONLINE_ID.search(c.elevenlabs_voice)
    return {"elevenlabs": m.group(1)} if m else {}


def character_color(index: int) -> str:
    """Distinct, saturated hues spaced by the golden angle, one per cast member."""
    hue = (0.07 + index * 0.381966) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.58, 0.62)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _unit(*parts: str) -> float:
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:4], "big") / 2**32


def cast_roles(cast: list[Character], extra_speakers: list[str] = ()) -> dict[str, Role]:
    """Roles for the cast, then for anyone else who speaks (a RADIO, a VOICE)."""
    people = list(cast) + [Character(name=n) for n in extra_speakers if n not in {c.name for c in cast}]
    roles: dict[str, Role] = {}
    used: set[str] = set()
    for i, c in enumerate(people):
        text = f"{c.voice} {c.look} {c.role}".lower()
        feminine = c.name.split()[0].lower() in _FEMININE or bool(_SHE.search(text))
        pool = FEMALE_VARIANTS if feminine else MALE_VARIANTS
        chosen = _EXPLICIT_VOICE.search(c.voice)
        if chosen:  # the bible names an eSpeak voice ("en-us+f3"): it wins, even over a shared variant
            variant = chosen.group(1)
        else:
            variant = next((v for v in pool if v not in used), pool[i % len(pool)])
        used.add(variant)
        pitch = 50 + int(_unit(c.name, "pitch") * 16) - 8
        rate = 160 + int(_unit(c.name, "rate") * 16) - 8
        if re.search(r"\b(low|deep|gravel)", text):
            pitch -= 18
        if re.search(r"\b(high|bright|light)\b", text):
            pitch += 15
        if re.search(r"\b(slow|measured|patient)", text):
            rate -= 22
        if re.search(r"\b(quick|fast|breathless|clipped|bouncy)", text):
            rate += 22
        if re.search(r"\b[6-9]0s\b|\bold\b", text):
            pitch, rate = pitch - 8, rate - 12
        if m := _EXPLICIT_PITCH.search(c.voice):
            pitch = int(m.group(1))
        if m := _EXPLICIT_RATE.search(c.voice):
            rate = int(m.group(1))
        roles[c.name] = Role(
            name=c.name,
            color=character_color(i),
            slot=i,
            voice=f"en-us+{variant}",
            pitch=max(5, min(pitch, 95)),
            rate=max(110, min(rate, 220)),
            voices=online_voices(c),
        )
    return roles


NARRATOR = "NARRATOR"


def narrator(roles: dict[str, Role]) -> Role:
    """A calm, unhurried voice that no character uses, for reading the action aloud."""
    used = {r.voice for r in roles.values()}
    variant = next((v for v in ("m1", "m2", "f1", "m6", "f4") if f"en-us+{v}" not in used), "m1")
    return Role(name=NARRATOR, color="#9a9a9a", slot=len(roles), voice=f"en-us+{variant}", pitch=42, rate=150)


def looks(roles: dict[str, Role], cast: list[Character], names: list[str]) -> list[CharacterLook]:
    described = {c.name: c.look for c in cast}
    return [
        CharacterLook(name=n, look=described.get(n, ""), color=roles[n].color, slot=roles[n].slot)
        for n in names
        if n in roles
    ]
