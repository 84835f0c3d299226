"""Pages out of the screenplay's lines, by the trade's page-break rules.

- A speech that crosses a page ends with ``(MORE)`` and goes on under ``NAME (CONT'D)``; it breaks after a
  sentence where one comes close to the bottom (the text is split there and both sides wrapped again), else
  between words; never inside or right after a parenthetical; at least two lines on each side.
- Action breaks the same way, two lines on each side at least.
- A scene heading never ends a page: it keeps the least of what follows that could start there.
- A forced page break (``===``) starts a new page; anything taller than a page is cut where it must be.

Page 1 is the script's first page (it carries no number); the title page comes before it, unnumbered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moviegen.core.fountain import Screenplay
from moviegen.services.export.elements import Run, runs
from moviegen.services.export.screenplay_lines import (
    COLUMNS,
    LINES_PER_PAGE,
    Chunk,
    Line,
    Part,
    Span,
    body_lines,
    chunks,
    column_lines,
    speech_lines,
    title_page_lines,
)

MORE, CONTD = "(MORE)", "(CONT'D)"
SENTENCE_SLACK = 4  # lines of a page a sentence break may leave empty rather than break mid-sentence
_SENTENCE = re.compile(r"[.!?…]+[\"'’”)\]]*(?=\s)")
_SPACE = re.compile(r"\s+")


@dataclass
class Page:
    number: int  # 1 for the script's first page; the title page is 0
    lines: list[Line] = field(default_factory=list)
    scene_numbers: dict[int, str] = field(default_factory=dict)  # line index -> number, drawn in both margins


@dataclass
class Layout:
    title_page: Page
    pages: list[Page]


def layout(screenplay: Screenplay, fallback_title: str) -> Layout:
    return Layout(Page(0, title_page_lines(screenplay, fallback_title)), paginate(chunks(screenplay)))


def paginate(items: list[Chunk]) -> list[Page]:
    pages = [Page(1)]
    queue = list(items)
    while queue:
        chunk = queue.pop(0)
        page = pages[-1]
        if chunk.kind == "page_break":
            if page.lines:
                pages.append(Page(page.number + 1))
            continue
        blanks = chunk.before if page.lines else 0
        room = LINES_PER_PAGE - len(page.lines) - blanks
        if len(chunk.lines) + _kept_with(chunk, queue) <= room:
            _place(page, chunk, blanks)
            continue
        split = _split(chunk, room, minimum=2 if page.lines else 1)
        if split is not None:
            _place(page, split[0], blanks)
            queue.insert(0, split[1])
        elif page.lines:
            queue.insert(0, chunk)
        else:  # taller than a page and unbreakable by the rules: cut at the bottom
            _place(page, Chunk(chunk.kind, chunk.lines[:room], 0, chunk.scene_number), 0)
            queue.insert(0, Chunk(chunk.kind, chunk.lines[room:], 0))
        pages.append(Page(page.number + 1))
    if not pages[-1].lines and len(pages) > 1:
        pages.pop()
    return pages


def _kept_with(chunk: Chunk, queue: list[Chunk]) -> int:
    """Lines of the next chunk a scene heading must share its page with (a heading never ends a page)."""
    if chunk.kind != "scene_heading" or not queue or queue[0].kind == "page_break":
        return 0
    following = queue[0]
    if following.kind == "action":
        least = 2
    elif following.kind == "speech":
        least = len(column_lines("character", runs(following.cue))) + 2 + 1  # the cue, two lines, (MORE)
    else:
        least = len(following.lines)
    return following.before + min(len(following.lines), least)


def _place(page: Page, chunk: Chunk, blanks: int) -> None:
    page.lines.extend([()] * blanks)
    if chunk.scene_number is not None and chunk.lines:
        page.scene_numbers[len(page.lines)] = chunk.scene_number
    page.lines.extend(chunk.lines)


# ---------------------------------------------------------------------------------------------------- splitting
@dataclass(frozen=True)
class _Break:
    part: int  # the part the break falls in
    end: int  # the head keeps the part's text up to here
    resume: int | None  # the tail takes it up from here (None: from the next part)
    sentence: bool


def _split(chunk: Chunk, room: int, minimum: int) -> tuple[Chunk, Chunk] | None:
    """The chunk in two at the best break within ``room`` lines, or None when the rules allow none."""
    if chunk.kind not in ("action", "speech") or not chunk.parts:
        return None
    breaks = _breaks(chunk.parts)

    def sides(b: _Break) -> tuple[tuple[Part, ...], tuple[Part, ...]]:
        part = chunk.parts[b.part]
        head = (*chunk.parts[: b.part], Part(part.kind, _slice(part.runs, 0, b.end)))
        if b.resume is None:
            return head, chunk.parts[b.part + 1 :]
        return head, (Part(part.kind, _slice(part.runs, b.resume, None)), *chunk.parts[b.part + 1 :])

    def measure(b: _Break) -> tuple[int, int, int]:
        """Lines of the head as placed, of the head's body, of the tail's body."""
        head, tail = sides(b)
        if chunk.cue is None:
            return len(body_lines(head)), len(body_lines(head)), len(body_lines(tail))
        cue = len(column_lines("character", runs(chunk.cue)))
        h, t = len(speech_lines(chunk.cue, head)) - cue, len(speech_lines(chunk.cue, tail)) - cue
        return cue + h + 1, h, t  # + (MORE)

    def fits(b: _Break) -> bool:  # true up to some break, false after it
        placed, _, tail = measure(b)
        return placed <= room and tail >= minimum

    lo, hi = 0, len(breaks) - 1
    last = -1
    while lo <= hi:
        mid = (lo + hi) // 2
        if fits(breaks[mid]):
            last, lo = mid, mid + 1
        else:
            hi = mid - 1
    if last < 0 or measure(breaks[last])[1] < minimum:
        return None
    chosen = breaks[last]
    sentence = next((b for b in reversed(breaks[: last + 1]) if b.sentence), None)
    if sentence is not None and measure(sentence)[1] >= max(minimum, measure(chosen)[1] - SENTENCE_SLACK):
        chosen = sentence
    head, tail = sides(chosen)
    if chunk.cue is None:
        return (Chunk(chunk.kind, body_lines(head), chunk.before, parts=head),
                Chunk(chunk.kind, body_lines(tail), chunk.before, parts=tail))  # fmt: skip
    more: Line = (Span(COLUMNS["character"][0], (Run(MORE),)),)
    contd = chunk.cue if CONTD.lower() in chunk.cue.lower() else f"{chunk.cue} {CONTD}"
    return (Chunk("speech", speech_lines(chunk.cue, head) + [more], chunk.before, parts=head, cue=chunk.cue),
            Chunk("speech", speech_lines(contd, tail), 0, parts=tail, cue=contd))  # fmt: skip


def _breaks(parts: tuple[Part, ...]) -> list[_Break]:
    """Every place the text may break, in reading order: between words, after sentences, between a speech's
    dialogue paragraphs; never in a parenthetical or right after one."""
    out: list[_Break] = []
    for i, part in enumerate(parts):
        if part.kind == "parenthetical":
            continue
        text = part.text
        ends = {m.end() for m in _SENTENCE.finditer(text)}
        for m in _SPACE.finditer(text):
            if 0 < m.start() and m.end() < len(text):
                out.append(_Break(i, m.start(), m.end(), m.start() in ends))
        if i < len(parts) - 1 and text.strip():
            out.append(_Break(i, len(text), None, True))
    return out


def _slice(text_runs: tuple[Run, ...], start: int, end: int | None) -> tuple[Run, ...]:
    out, at = [], 0
    for run in text_runs:
        a, b = at, at + len(run.text)
        lo, hi = max(a, start), b if end is None else min(b, end)
        if lo < hi:
            out.append(Run(run.text[lo - a : hi - a], run.styles))
        at = b
    return tuple(out)
