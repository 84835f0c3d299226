"""The screenplay as Final Draft XML (.fdx), written with the standard library.

An FDX file is a ``FinalDraft`` document whose ``Content`` is a list of ``Paragraph``s, each with a ``Type``
("Scene Heading", "Action", "Character", "Parenthetical", "Dialogue", "Transition", and "General" for lyrics,
in italics: Final Draft's templates have no lyrics element) and ``Text``
runs carrying a ``Style`` ("Bold+Italic+Underline"); scene headings carry their ``Number``, dual dialogue
wraps two speeches in ``DualDialogue``, a forced page break is ``StartsNewPage`` on the next paragraph, and
the title page is a second ``Content`` under ``TitlePage``. Final Draft, Fade In, WriterDuet and Highland open
it; they lay out the pages themselves.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from moviegen.core.fountain import Element, Screenplay
from moviegen.core.fountain.model import ElementType
from moviegen.services.export.elements import BOLD, ITALIC, UNDERLINE, Block, Run, blocks, runs, title_fields

_T = ElementType
TYPES = {"scene_heading": "Scene Heading", "action": "Action", "character": "Character",
         "parenthetical": "Parenthetical", "dialogue": "Dialogue", "transition": "Transition",
         "lyrics": "General", "centered": "Action"}  # fmt: skip
_STYLE_NAMES = ((BOLD, "Bold"), (ITALIC, "Italic"), (UNDERLINE, "Underline"))


def screenplay_fdx(screenplay: Screenplay, fallback_title: str) -> bytes:
    root = ET.Element("FinalDraft", DocumentType="Script", Template="No", Version="5")
    content = ET.SubElement(root, "Content")
    new_page = False
    for block in blocks(screenplay):
        if block.kind == "page_break":
            new_page = True
            continue
        first = _block(content, block)
        if new_page and first is not None:
            first.set("StartsNewPage", "Yes")
        new_page = False
    _title_page(ET.SubElement(root, "TitlePage"), title_fields(screenplay, fallback_title))
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def _block(parent: ET.Element, block: Block) -> ET.Element | None:
    if block.kind == "speech":
        return _speech(parent, block)
    if block.kind == "dual":
        holder = ET.SubElement(parent, "Paragraph")
        dual = ET.SubElement(holder, "DualDialogue")
        for speech in block.pair:
            _speech(dual, speech)
        return holder
    element = block.element
    kind = block.kind if block.kind in TYPES else "action"
    paragraph = _paragraph(parent, TYPES[kind], runs(element.text), italic=kind == "lyrics")
    if kind == "centered":
        paragraph.set("Alignment", "Center")
    if block.scene_number is not None:
        paragraph.set("Number", block.scene_number)
    return paragraph


def _speech(parent: ET.Element, block: Block) -> ET.Element:
    first = None
    for element in block.parts:
        paragraph = _paragraph(parent, _type_of(element), runs(element.text))
        first = first if first is not None else paragraph
    return first


def _type_of(element: Element) -> str:
    return {_T.CHARACTER: "Character", _T.PARENTHETICAL: "Parenthetical"}.get(element.type, "Dialogue")


def _paragraph(parent: ET.Element, kind: str, text_runs: list[Run], italic: bool = False) -> ET.Element:
    paragraph = ET.SubElement(parent, "Paragraph", Type=kind)
    for run in text_runs or [Run("")]:
        styles = run.styles | ({ITALIC} if italic else set())
        text = ET.SubElement(paragraph, "Text")
        if styles:
            text.set("Style", "+".join(name for style, name in _STYLE_NAMES if style in styles))
        text.text = run.text
    return paragraph


def _title_page(title_page: ET.Element, fields: dict[str, str]) -> None:
    """Final Draft's own title pages are centred and left-aligned paragraphs with blank ones for spacing."""
    content = ET.SubElement(title_page, "Content")

    def add(text: str, alignment: str) -> None:
        for row in text.split("\n"):
            paragraph = ET.SubElement(content, "Paragraph", Alignment=alignment, Type="Action")
            ET.SubElement(paragraph, "Text").text = row

    for _ in range(16):
        add("", "Center")
    add(fields["title"].upper(), "Center")
    for key in ("credit", "author", "authors", "source"):
        if key in fields:
            add("", "Center")
            add(fields[key], "Center")
    for _ in range(14):
        add("", "Left")
    for key in ("draft date", "date", "contact", "copyright", "notes"):
        if key in fields:
            add(fields[key], "Left")
            add("", "Left")
