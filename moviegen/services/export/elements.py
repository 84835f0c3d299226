"""What the screenplay exports share: the printed elements grouped the way a page shows them, and Fountain's
inline emphasis as styled runs.

The PDF layout and the FDX writer both need speeches (a cue with its parentheticals and lines) as one unit —
a speech breaks across pages as a whole, and dual dialogue pairs two of them — and both keep *italic*,
**bold** and _underline_. Scene numbers follow ``core.scenes`` exactly (the Fountain ``#n#`` if there is one,
else the heading's position), so a page's numbers are the render's scene ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moviegen.core.fountain import Element, ElementType, Screenplay

_T = ElementType
BOLD, ITALIC, UNDERLINE = "bold", "italic", "underline"
NOT_PRINTED = (_T.SECTION, _T.SYNOPSIS, _T.NOTE, _T.BONEYARD)
_HIDDEN_RE = re.compile(r"([ \t]*)(\[\[.*?\]\]|/\*.*?\*/)", re.S)  # notes and boneyard, with the spaces before
_TRAILING_RE = re.compile(r"[ \t]+(?=\n|$)")
_MARKER_RE = re.compile(r"\*\*\*|\*\*|\*|_")
_MARKUP_RE = re.compile(r"[*_\\]|\[\[|/\*")  # anything runs() has to look at character by character
_STYLES = {"***": {BOLD, ITALIC}, "**": {BOLD}, "*": {ITALIC}, "_": {UNDERLINE}}


@dataclass(frozen=True)
class Run:
    text: str
    styles: frozenset[str] = frozenset()


@dataclass
class Block:
    """One printed unit: ``kind`` is an element type's value, 'speech' (``parts``: the cue, then
    parentheticals and dialogue) or 'dual' (``pair``: two speeches side by side)."""

    kind: str
    element: Element | None = None
    scene_number: str | None = None
    parts: list[Element] = field(default_factory=list)
    pair: tuple[Block, Block] | None = None


def blocks(screenplay: Screenplay) -> list[Block]:
    """The printed elements in order, speeches and dual dialogue grouped, non-printing ones (sections,
    synopses, notes, boneyard) left out."""
    out: list[Block] = []
    scenes = 0
    for element in screenplay.elements:
        if element.type in NOT_PRINTED:
            continue
        speaking = bool(out) and out[-1].kind == "speech"
        if element.type is _T.SCENE_HEADING:
            scenes += 1
            out.append(Block("scene_heading", element, scene_number=element.scene_number or str(scenes)))
        elif element.type is _T.CHARACTER:
            speech = Block("speech", parts=[element])
            if element.dual and speaking:
                out[-1] = Block("dual", pair=(out[-1], speech))
            else:
                out.append(speech)
        elif element.type in (_T.DIALOGUE, _T.PARENTHETICAL) and (speaking or _in_dual(out)):
            _open_speech(out).parts.append(element)
        else:
            out.append(Block(element.type.value, element))
    return out


def _in_dual(out: list[Block]) -> bool:
    return bool(out) and out[-1].kind == "dual"


def _open_speech(out: list[Block]) -> Block:
    last = out[-1]
    return last.pair[1] if last.pair is not None else last


def runs(text: str) -> list[Run]:
    """Fountain text as styled runs: notes and boneyard dropped (with the spaces before them), escapes (``\\*``) kept as the character, and
    emphasis only where a marker opens before a non-space and closes after one on the same line (so '5 * 3'
    stays as written)."""
    if not _MARKUP_RE.search(text):  # most lines: no emphasis, escape, note or boneyard — one plain run
        text = _TRAILING_RE.sub("", text)
        return [Run(text)] if text else []
    text = _HIDDEN_RE.sub(lambda m: "" if m.string[m.end() : m.end() + 1] in ("", " ", "\t", "\n") else m[1], text)
    text = _TRAILING_RE.sub("", text)  # 'a [[note]] b' is 'a b', 'a [[note]]' is 'a', 'a [[note]]b' is 'a b'
    chars: list[str] = []
    literal: set[int] = set()
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "*_\\":
            literal.add(len(chars))
            chars.append(text[i + 1])
            i += 2
        else:
            chars.append(text[i])
            i += 1
    plain = "".join(chars)
    markers = [(m.start(), m.group()) for m in _MARKER_RE.finditer(plain) if m.start() not in literal]
    styles: list[set[str]] = [set() for _ in plain]
    hidden: set[int] = set()
    used: set[int] = set()
    for n, (start, mark) in enumerate(markers):
        after = start + len(mark)
        if start in used or after >= len(plain) or plain[after].isspace():
            continue
        for end, other in markers[n + 1 :]:
            if "\n" in plain[after:end]:
                break
            if end not in used and other == mark and not plain[end - 1].isspace():
                used.update((start, end))
                hidden.update(range(start, after))
                hidden.update(range(end, end + len(mark)))
                for k in range(after, end):
                    styles[k] |= _STYLES[mark]
                break
    out: list[Run] = []
    for k, ch in enumerate(plain):
        if k in hidden:
            continue
        style = frozenset(styles[k])
        if out and out[-1].styles == style:
            out[-1] = Run(out[-1].text + ch, style)
        else:
            out.append(Run(ch, style))
    return out


def title_fields(screenplay: Screenplay, fallback_title: str) -> dict[str, str]:
    """The title page's fields by lower-case key, markup removed, with the project's title when the
    screenplay names none."""
    fields: dict[str, str] = {}
    for key, value in screenplay.title_page:
        text = "\n".join("".join(r.text for r in runs(line)).strip() for line in value.split("\n")).strip()
        if text:
            fields[key.strip().lower()] = text
    fields.setdefault("title", fallback_title)
    return fields
