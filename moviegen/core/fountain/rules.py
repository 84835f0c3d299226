"""Line classification rules shared by the parser and the writer."""

from __future__ import annotations

import re

SCENE_RE = re.compile(r"^(?:INT\.?/EXT|INT/EXT|I/E|INT|EXT|EST)[. ]", re.I)
SCENE_NUMBER_RE = re.compile(r"\s*#([A-Za-z0-9.\-]+)#\s*$")
TITLE_KEY_RE = re.compile(r"^([A-Za-z][A-Za-z0-9 _\-]*):(.*)$")
PAGE_BREAK_RE = re.compile(r"^={3,}$")
CUE_RE = re.compile(r"^(?P<name>[^(^]*?)\s*(?P<ext>(?:\([^)]*\)\s*)*)\s*(?P<dual>\^)?$")


def split_cue(line: str) -> tuple[str, bool] | None:
    """'MIRA (V.O.) ^' -> ('MIRA (V.O.)', True); None if the line is not cue-shaped."""
    m = CUE_RE.match(line.strip())
    if not m:
        return None
    name = m.group("name").strip()
    ext = " ".join(m.group("ext").split())
    text = f"{name} {ext}".strip() if ext else name
    return text, bool(m.group("dual"))


def cue_name(text: str) -> str:
    """The character's name without extensions: 'MIRA (V.O.)' -> 'MIRA'."""
    return text.split("(", 1)[0].strip()


def is_character_cue(line: str) -> bool:
    """An all-caps name (extensions may be any case) with at least one letter."""
    if line.startswith(("!", "@", ".", ">", "~", "#", "=", "[[", "/*")):
        return False
    parts = split_cue(line)
    if parts is None:
        return False
    name = cue_name(parts[0])
    return any(c.isalpha() for c in name) and name == name.upper() and not name.endswith("TO:")


def is_transition(line: str) -> bool:
    return line.endswith("TO:") and line == line.upper() and any(c.isalpha() for c in line)


def is_scene_heading(line: str) -> bool:
    return bool(SCENE_RE.match(line))


# a line that starts a scene, read on its own (no blank-line context): INT./EXT. and the like, or a forced '.HEADING'
SCENE_LINE_RE = re.compile(r"^(?:(?:INT|EXT|EST|INT\.?/EXT|I/E)[. ]|\.(?=[A-Za-z0-9]))", re.IGNORECASE)


def starts_scene(line: str) -> bool:
    """Whether ``line`` alone starts a scene: how the web view and the studio count scenes for comments
    (``scene:N``) and how the three-way merge cuts a screenplay (services/merge3.py)."""
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("..") and bool(SCENE_LINE_RE.match(stripped))
