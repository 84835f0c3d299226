"""The Fountain document model: a title page and a flat list of typed elements."""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, Field


class ElementType(StrEnum):
    SCENE_HEADING = "scene_heading"
    ACTION = "action"
    CHARACTER = "character"
    PARENTHETICAL = "parenthetical"
    DIALOGUE = "dialogue"
    TRANSITION = "transition"
    CENTERED = "centered"
    LYRICS = "lyrics"
    SECTION = "section"
    SYNOPSIS = "synopsis"
    NOTE = "note"
    BONEYARD = "boneyard"
    PAGE_BREAK = "page_break"


class Element(BaseModel):
    """One screenplay element.

    ``text`` keeps Fountain's inline markup (emphasis, inline notes); use
    :func:`plain_text` for what an audience would see or hear.
    """

    type: ElementType
    text: str = ""
    scene_number: str | None = None  # scene headings: '#12A#'
    level: int = 0  # sections: number of '#'
    dual: bool = False  # characters: '^' second speaker of dual dialogue
    # Syntax details, not content: whether the source used a forcing prefix
    # ('!', '@', '.', '>') and the 1-based source line. Neither takes part in
    # equality, so a model survives write -> read even where the writer has to
    # add (or may drop) a forcing prefix.
    forced: bool = Field(default=False, exclude=True)
    line: int = Field(default=0, exclude=True, repr=False)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Element):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]


class Screenplay(BaseModel):
    title_page: list[tuple[str, str]] = Field(default_factory=list)
    elements: list[Element] = Field(default_factory=list)

    def title(self) -> str | None:
        for key, value in self.title_page:
            if key.lower() == "title":
                return plain_text(value.replace("\n", " ")).strip() or None
        return None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Screenplay):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]


_NOTE_RE = re.compile(r"\[\[.*?\]\]", re.S)
_BONEYARD_RE = re.compile(r"/\*.*?\*/", re.S)
_EMPHASIS_RE = re.compile(r"(?<!\\)(\*{1,3}|_)(?=\S)(.+?)(?<=\S)(?<!\\)\1", re.S)


def plain_text(text: str) -> str:
    """Strip notes, inline boneyard, emphasis markers and escapes."""
    text = _NOTE_RE.sub("", text)
    text = _BONEYARD_RE.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = _EMPHASIS_RE.sub(r"\2", text)
    text = re.sub(r"\\([*_\\])", r"\1", text)
    return re.sub(r"[ \t]+", " ", text).strip()
