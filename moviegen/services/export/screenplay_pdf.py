"""The screenplay as a PDF: the pages ``screenplay_layout`` made, drawn with ReportLab's canvas.

The fonts are the PDF's own Courier family (Courier, -Bold, -Oblique, -BoldOblique): every reader has them, so
nothing is embedded and the file stays small. ``invariant`` drops the creation time and random document id:
the same screenplay gives the same bytes, so an export can be diffed and its digest means something.
"""

from __future__ import annotations

import io

from moviegen.core.fountain import Screenplay
from moviegen.services.export.elements import BOLD, ITALIC, UNDERLINE, title_fields
from moviegen.services.export.screenplay_layout import Layout, Page, layout
from moviegen.services.export.screenplay_lines import (
    CHAR,
    LINE,
    PAGE_HEIGHT,
    PAGE_NUMBER_TOP,
    PAGE_WIDTH,
    RIGHT,
    SCENE_NUMBER_LEFT,
    SCENE_NUMBER_RIGHT,
    TOP,
)

POINTS = 72  # a PDF unit is 1/72 in
FONT_SIZE = 12
FONTS = {frozenset(): "Courier", frozenset({BOLD}): "Courier-Bold", frozenset({ITALIC}): "Courier-Oblique",
         frozenset({BOLD, ITALIC}): "Courier-BoldOblique"}  # fmt: skip


def screenplay_pdf(screenplay: Screenplay, fallback_title: str) -> bytes:
    """The screenplay as PDF bytes: a title page, then the script pages (US Letter)."""
    return draw(layout(screenplay, fallback_title), title_fields(screenplay, fallback_title))


def draw(laid: Layout, fields: dict[str, str]) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_WIDTH * POINTS, PAGE_HEIGHT * POINTS), invariant=1, pageCompression=1,
                    initialFontName="Courier", initialFontSize=FONT_SIZE)  # fmt: skip
    canvas.setTitle(fields.get("title", "").replace("\n", " "))
    canvas.setAuthor(fields.get("author") or fields.get("authors") or "")
    canvas.setCreator("moviegen")
    for page in [laid.title_page, *laid.pages]:
        _draw_page(canvas, page)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def _draw_page(canvas, page: Page) -> None:
    if page.number >= 2:  # the first page of a script carries no number
        _text(canvas, RIGHT - len(f"{page.number}.") * CHAR, _baseline_at(PAGE_NUMBER_TOP), f"{page.number}.")
    for i, line in enumerate(page.lines):
        y = _baseline(i)
        for span in line:
            x = span.x
            for run in span.runs:
                _text(canvas, x, y, run.text, run.styles)
                x += len(run.text) * CHAR
        number = page.scene_numbers.get(i)
        if number is not None:
            _text(canvas, SCENE_NUMBER_LEFT, y, number)
            _text(canvas, SCENE_NUMBER_RIGHT, y, number)


def _baseline(line: int) -> float:
    """The baseline of body line ``line`` (0 is the first) in PDF points from the page's bottom."""
    return _baseline_at(TOP + line * LINE)


def _baseline_at(top: float) -> float:
    return (PAGE_HEIGHT - top - LINE) * POINTS + 0.2 * FONT_SIZE  # Courier's descent sits inside the line


def _text(canvas, x: float, y: float, text: str, styles: frozenset[str] = frozenset()) -> None:
    canvas.setFont(FONTS[styles - {UNDERLINE}], FONT_SIZE)
    canvas.drawString(x * POINTS, y, text)
    if UNDERLINE in styles and text.strip():
        canvas.setLineWidth(0.6)
        canvas.line(x * POINTS, y - 1.5, (x + len(text) * CHAR) * POINTS, y - 1.5)
