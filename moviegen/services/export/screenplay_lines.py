"""The standard screenplay page as a grid, and the screenplay's elements as lines on it.

Courier 12 pt is ten characters to the inch and six lines to the inch, so the US layout is a grid: 55 lines a
page from one inch down; action and scene headings at 1.5 in (60 characters), cues at 3.7 in, dialogue at
2.5 in (35 characters), parentheticals at 3.1 in (25), transitions flush right at 7.5 in; scene numbers in both
margins; the page number top right. Pagination (``screenplay_layout``) works on the chunks made here: one per
printed unit, keeping the text of action and speeches so a page break can re-wrap them.
"""

from __future__ import annotations

from dataclasses import dataclass

from moviegen.core.fountain import Screenplay
from moviegen.services.export.elements import BOLD, ITALIC, Block, Run, blocks, runs, title_fields

PAGE_WIDTH, PAGE_HEIGHT = 8.5, 11.0  # inches (US Letter)
TOP = 1.0  # the first body line's top, inches from the page's top
LINE = 1 / 6  # inches: Courier 12 pt on 12 pt leading
CHAR = 0.1  # inches: Courier's pitch is ten characters an inch
LINES_PER_PAGE = 55
RIGHT = 7.5  # the right margin (inches from the left edge)
PAGE_NUMBER_TOP = 0.5
SCENE_NUMBER_LEFT, SCENE_NUMBER_RIGHT = 1.0, 7.7
# element -> (left edge in inches, characters a line, blank lines before)
COLUMNS = {
    "scene_heading": (1.5, 60, 1),
    "action": (1.5, 60, 1),
    "centered": (1.5, 60, 1),
    "character": (3.7, 38, 1),
    "dialogue": (2.5, 35, 0),
    "parenthetical": (3.1, 25, 0),
    "lyrics": (2.5, 35, 1),
    "transition": (1.5, 60, 1),
}
DUAL_LEFT, DUAL_RIGHT = 1.5, 4.6  # the two columns of dual dialogue, 2.9 in each


@dataclass(frozen=True)
class Span:
    x: float  # inches from the page's left edge
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


Line = tuple[Span, ...]  # () is a blank line


@dataclass(frozen=True)
class Part:
    """A piece of a breakable chunk's text: an action paragraph, a speech's parenthetical or dialogue."""

    kind: str
    runs: tuple[Run, ...]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass
class Chunk:
    """One printed unit. Action and speeches keep their ``parts`` (and a speech its ``cue``) so that a page
    break can split the text and wrap each side again."""

    kind: str
    lines: list[Line]
    before: int  # blank lines before it (none at the top of a page)
    scene_number: str | None = None
    parts: tuple[Part, ...] = ()
    cue: str | None = None


# ---------------------------------------------------------------------------------------------------- wrapping
def wrap(text_runs: list[Run] | tuple[Run, ...], width: int) -> list[tuple[Run, ...]]:
    """Styled text wrapped at spaces to ``width`` characters (a word longer than a line is cut); hard line
    breaks are kept, tabs are four spaces, indentation stays."""
    cells = [(ch, r.styles) for r in text_runs for ch in r.text.replace("\t", "    ")]
    paragraphs: list[list[tuple[str, frozenset]]] = [[]]
    for cell in cells:
        if cell[0] == "\n":
            paragraphs.append([])
        else:
            paragraphs[-1].append(cell)
    lines = []
    for para in paragraphs:
        while len(para) > width:
            first = next((i for i, c in enumerate(para) if c[0] != " "), 0)
            cut = max((i for i in range(first + 1, width + 1) if para[i][0] == " "), default=None)
            if cut is None:
                lines.append(para[:width])
                para = para[width:]
            else:
                lines.append(para[:cut])
                para = para[cut:]
                while para and para[0][0] == " ":
                    para = para[1:]
        lines.append(para)
    return [_group(_rstrip(line)) for line in lines]


def _rstrip(cells: list) -> list:
    end = len(cells)
    while end and cells[end - 1][0] == " ":
        end -= 1
    return cells[:end]


def _group(cells: list[tuple[str, frozenset]]) -> tuple[Run, ...]:
    out: list[Run] = []
    for ch, style in cells:
        if out and out[-1].styles == style:
            out[-1] = Run(out[-1].text + ch, style)
        else:
            out.append(Run(ch, style))
    return tuple(out)


def column_lines(kind: str, text_runs: list[Run] | tuple[Run, ...], *, x: float | None = None,
                 width: int | None = None) -> list[Line]:  # fmt: skip
    """Text in an element's column (``x``/``width`` override the column, for dual dialogue)."""
    left, chars, _ = COLUMNS[kind]
    left, chars = left if x is None else x, chars if width is None else width
    out: list[Line] = []
    for row in wrap(text_runs, chars):
        length = sum(len(r.text) for r in row)
        if not row:
            out.append(())
        elif kind == "transition":
            out.append((Span(RIGHT - length * CHAR, row),))
        elif kind == "centered":
            out.append((Span(left + (chars - length) * CHAR / 2, row),))
        else:
            out.append((Span(left, row),))
    return out


def speech_lines(cue: str, parts: tuple[Part, ...], columns: dict[str, tuple[float, int]] | None = None
                 ) -> list[Line]:  # fmt: skip
    """A cue and its parentheticals and dialogue, each in its column."""
    place = columns or {k: COLUMNS[k][:2] for k in ("character", "dialogue", "parenthetical")}
    lines = column_lines("character", runs(cue), x=place["character"][0], width=place["character"][1])
    for part in parts:
        x, width = place[part.kind]
        lines += column_lines(part.kind, part.runs, x=x, width=width) or [()]
    return lines


def body_lines(parts: tuple[Part, ...]) -> list[Line]:
    """The lines of action parts (a speech's body goes through ``speech_lines``)."""
    return [line for part in parts for line in column_lines(part.kind, part.runs)]


# ---------------------------------------------------------------------------------------------------- chunks
def chunks(screenplay: Screenplay) -> list[Chunk]:
    return [_chunk(b) for b in blocks(screenplay)]


def _chunk(block: Block) -> Chunk:
    if block.kind == "speech":
        cue, parts = block.parts[0].text, _speech_parts(block)
        return Chunk("speech", speech_lines(cue, parts), COLUMNS["character"][2], parts=parts, cue=cue)
    if block.kind == "dual":
        return _dual(block)
    if block.kind == "page_break":
        return Chunk("page_break", [], 0)
    kind = block.kind if block.kind in COLUMNS else "action"
    text = block.element.text.upper() if kind == "transition" else block.element.text
    styled = tuple(Run(r.text, r.styles | {ITALIC}) if kind == "lyrics" else r for r in runs(text))
    chunk = Chunk(kind, column_lines(kind, styled), COLUMNS[kind][2], scene_number=block.scene_number)
    if kind == "action":
        chunk.parts = (Part("action", styled),)
    return chunk


def _speech_parts(block: Block) -> tuple[Part, ...]:
    return tuple(Part("parenthetical" if e.type.value == "parenthetical" else "dialogue", tuple(runs(e.text)))
                 for e in block.parts[1:])  # fmt: skip


def _dual(block: Block) -> Chunk:
    """Two speeches side by side, each in its own column (kept on one page)."""
    halves = []
    for left, speech in zip((DUAL_LEFT, DUAL_RIGHT), block.pair, strict=True):
        columns = {"character": (left + 1.0, 19), "dialogue": (left, 28), "parenthetical": (left + 0.4, 22)}
        halves.append(speech_lines(speech.parts[0].text, _speech_parts(speech), columns))
    n = max(len(h) for h in halves)
    lines = [tuple(s for h in halves for s in (h[i] if i < len(h) else ())) for i in range(n)]
    return Chunk("dual", lines, COLUMNS["character"][2])


# ---------------------------------------------------------------------------------------------------- title page
def title_page_lines(screenplay: Screenplay, fallback_title: str) -> list[Line]:
    """Title, credit, authors and source centred a third of the way down; draft date, contact and notes at the
    lower left (where Fountain's title page keys are meant to go)."""
    fields = title_fields(screenplay, fallback_title)
    centre: list[Line] = []
    for key, gap in (("title", 0), ("credit", 2), ("author", 1), ("authors", 1), ("source", 2)):
        if key in fields:
            centre.extend([()] * (gap if centre else 0))
            style = frozenset({BOLD}) if key == "title" else frozenset()
            for row in fields[key].split("\n"):
                text = row.upper() if key == "title" else row
                centre.append((Span((PAGE_WIDTH - len(text) * CHAR) / 2, (Run(text, style),)),))
    lower: list[Line] = []
    for key in ("draft date", "date", "contact", "copyright", "notes"):
        if key in fields:
            lower.extend([()] if lower else [])
            for row in fields[key].split("\n"):
                lower.extend((Span(COLUMNS["action"][0], r),) if r else () for r in wrap([Run(row)], 40))
    lines: list[Line] = [()] * 18 + centre
    lines += [()] * max(LINES_PER_PAGE - len(lines) - len(lower), 1) + lower
    return lines[:LINES_PER_PAGE]
