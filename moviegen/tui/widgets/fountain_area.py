"""The screenplay editor: a TextArea that highlights Fountain line by line by the spec's own rules (scene
headings, character cues, parentheticals, transitions, notes, sections, synopses) — no grammar file needed."""

from __future__ import annotations

import re

from textual.widgets import TextArea

_HEADING = re.compile(r"^(\.(?!\.)|(INT|EXT|EST|INT\./EXT|INT/EXT|I/E)[. ])", re.I)
_TRANSITION = re.compile(r"^(>[^<]*$|[A-Z ]+TO:$)")
_CUE = re.compile(r"^@?[A-Z][A-Z0-9 .'\-]*(\s*\([^)]*\))?\s*\^?$")
_NOTE = re.compile(r"\[\[.*?\]\]")


def line_kinds(lines: list[str]) -> list[str | None]:
    """The highlight of each line: heading, transition, cue, parenthetical, section, or None (action)."""
    kinds: list[str | None] = []
    for row, line in enumerate(lines):
        stripped = line.strip()
        before_blank = row == 0 or not lines[row - 1].strip()
        after_text = row + 1 < len(lines) and bool(lines[row + 1].strip())
        if not stripped:
            kinds.append(None)
        elif stripped.startswith(("#", "=")) and not stripped.startswith("==="):
            kinds.append("section")
        elif before_blank and _HEADING.match(stripped):
            kinds.append("heading")
        elif before_blank and _TRANSITION.match(stripped):
            kinds.append("transition")
        elif before_blank and after_text and _CUE.match(stripped) and any(c.isalpha() for c in stripped):
            kinds.append("cue")
        elif stripped.startswith("(") and stripped.endswith(")"):
            kinds.append("parenthetical")
        else:
            kinds.append(None)
    return kinds


_STYLE = {
    "section": "comment",
    "heading": "heading",
    "transition": "keyword",
    "cue": "keyword",
    "parenthetical": "string",
}


class FountainArea(TextArea):
    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(text, soft_wrap=True, show_line_numbers=True, tab_behavior="indent", **kwargs)

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        highlights = self._highlights
        highlights.clear()
        lines = list(self.document.lines)
        for row, kind in enumerate(line_kinds(lines)):
            if kind:
                highlights[row].append((0, None, _STYLE[kind]))
            for m in _NOTE.finditer(lines[row]):
                start = len(lines[row][: m.start()].encode())
                highlights[row].append((start, start + len(m.group(0).encode()), "comment"))
