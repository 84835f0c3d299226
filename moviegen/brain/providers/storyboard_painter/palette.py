"""Colour: time-of-day skies, interior light, and one stable colour per character."""

from __future__ import annotations

import hashlib

RGB = tuple[int, int, int]

# (sky top, sky bottom, land, accent light)
SKIES: dict[str, tuple[RGB, RGB, RGB, RGB]] = {
    "NIGHT": ((8, 14, 38), (38, 56, 94), (14, 20, 34), (255, 214, 140)),
    "DAWN": ((52, 48, 104), (246, 168, 128), (44, 40, 62), (255, 200, 150)),
    "MORNING": ((120, 178, 226), (250, 226, 190), (78, 104, 86), (255, 240, 200)),
    "DAY": ((86, 160, 214), (204, 232, 246), (88, 126, 92), (255, 250, 225)),
    "DUSK": ((58, 34, 86), (242, 140, 92), (40, 30, 52), (255, 180, 120)),
}
_ALIASES = {
    "EVENING": "DUSK",
    "SUNSET": "DUSK",
    "SUNRISE": "DAWN",
    "AFTERNOON": "DAY",
    "NOON": "DAY",
    "MIDNIGHT": "NIGHT",
    "LATE NIGHT": "NIGHT",
}


def sky_for(time_of_day: str) -> tuple[RGB, RGB, RGB, RGB]:
    key = (time_of_day or "DAY").upper().strip()
    key = _ALIASES.get(key, key)
    return SKIES.get(key, SKIES["DAY"])


def stable_unit(*parts: str) -> float:
    """A number in [0, 1) that depends only on the text: same input, same value, every run."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def shade(c: RGB, f: float) -> RGB:
    return tuple(max(0, min(255, int(round(x * f)))) for x in c)  # type: ignore[return-value]
