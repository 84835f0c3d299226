"""Fountain reader. Almost any text is valid Fountain; the few real errors
(binary data, unterminated boneyard or note, a dual-dialogue caret with no
dialogue before it) raise ScreenplayParseError with the line number."""

from __future__ import annotations

from moviegen.core.errors import ScreenplayParseError
from moviegen.core.fountain import rules
from moviegen.core.fountain.model import Element, ElementType, Screenplay

_T = ElementType
_HINT = "fix the screenplay at that line (see https://fountain.io/syntax) and try again"


def parse(source: str | bytes) -> Screenplay:
    text = _decode(source)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    _check_unterminated(lines)
    title_page, start = _parse_title_page(lines)
    return Screenplay(title_page=title_page, elements=_Body(lines, start).parse())


def _decode(source: str | bytes) -> str:
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = source[: exc.start].count(b"\n") + 1
            raise ScreenplayParseError("the file is not UTF-8 text", line, "save the screenplay as UTF-8") from None
    if "\x00" in source:
        line = source[: source.index("\x00")].count("\n") + 1
        raise ScreenplayParseError(
            "the file contains binary data (a NUL byte)", line, "is this really a .fountain file?"
        )
    return source.lstrip("\ufeff")


def _check_unterminated(lines: list[str]) -> None:
    for opener, closer, what in (("/*", "*/", "boneyard"), ("[[", "]]", "note")):
        depth_line = None
        for number, line in enumerate(lines, 1):
            pos = 0
            while True:
                if depth_line is None:
                    idx = line.find(opener, pos)
                    if idx < 0:
                        break
                    depth_line, pos = number, idx + 2
                else:
                    idx = line.find(closer, pos)
                    if idx < 0:
                        break
                    depth_line, pos = None, idx + 2
        if depth_line is not None:
            raise ScreenplayParseError(
                f"{what} opened with '{opener}' is never closed with '{closer}'", depth_line, _HINT
            )


def _parse_title_page(lines: list[str]) -> tuple[list[tuple[str, str]], int]:
    if not lines or not rules.TITLE_KEY_RE.match(lines[0]) or rules.is_scene_heading(lines[0].strip()):
        return [], 0
    entries: list[tuple[str, str]] = []
    i = 0
    while i < len(lines) and lines[i].strip():
        line = lines[i]
        match = rules.TITLE_KEY_RE.match(line)
        if match and not line.startswith((" ", "\t")):
            entries.append((match.group(1).strip(), match.group(2).strip()))
        elif entries:
            key, value = entries[-1]
            entries[-1] = (key, f"{value}\n{line.strip()}" if value else line.strip())
        else:
            return [], 0
        i += 1
    return entries, i


class _Body:
    def __init__(self, lines: list[str], start: int) -> None:
        self.lines = lines
        self.start = start
        self.out: list[Element] = []

    def blank(self, i: int) -> bool:
        return i < self.start or i >= len(self.lines) or self.lines[i].strip() == ""

    def add(self, kind: ElementType, text: str, i: int, **kw: object) -> None:
        self.out.append(Element(type=kind, text=text, line=i + 1, **kw))

    def paragraph(self, i: int) -> int:
        """Index after the paragraph starting at i ('  ' keeps a paragraph going)."""
        j = i + 1
        while j < len(self.lines) and (self.lines[j].strip() or self.lines[j] == "  "):
            j += 1
        return j

    def parse(self) -> list[Element]:
        i, n = self.start, len(self.lines)
        while i < n:
            raw = self.lines[i]
            line = raw.strip()
            if not line:
                i += 1
                continue
            i = self.element(i, raw, line)
        return self.out

    def element(self, i: int, raw: str, line: str) -> int:  # noqa: C901 - one branch per element type
        prev_blank, next_blank = self.blank(i - 1), self.blank(i + 1)
        if line.startswith("/*"):
            end = self._block_end(i, "*/")
            if end is not None:
                body = "\n".join(self.lines[i : end + 1]).strip()
                self.add(_T.BONEYARD, body[2:-2], i)
                return end + 1
        if line.startswith("[[") and line.count("[[") == 1:
            end = self._block_end(i, "]]")
            if end is not None:
                body = "\n".join(self.lines[i : end + 1]).strip()
                if body.endswith("]]") and "[[" not in body[2:]:
                    self.add(_T.NOTE, body[2:-2], i)
                    return end + 1
        if rules.PAGE_BREAK_RE.match(line):
            self.add(_T.PAGE_BREAK, "", i)
            return i + 1
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            self.add(_T.SECTION, line[level:].strip(), i, level=level)
            return i + 1
        if line.startswith("=") and not line.startswith("=="):
            self.add(_T.SYNOPSIS, line[1:].strip(), i)
            return i + 1
        if line.startswith(">") and line.endswith("<") and len(line) >= 2:
            self.add(_T.CENTERED, line[1:-1].strip(), i)
            return i + 1
        if line.startswith(">"):
            self.add(_T.TRANSITION, line[1:].strip(), i, forced=True)
            return i + 1
        if line.startswith("~"):
            self.add(_T.LYRICS, line[1:].strip(), i)
            return i + 1
        if line.startswith(".") and len(line) > 1 and line[1].isalnum():  # '...' stays action
            return self.scene_heading(i, line[1:], forced=True)
        if line.startswith("!"):
            return self.action(i, forced=True)
        if prev_blank and next_blank and rules.is_scene_heading(line):
            return self.scene_heading(i, line, forced=False)
        if prev_blank and next_blank and rules.is_transition(line):
            self.add(_T.TRANSITION, line, i)
            return i + 1
        if prev_blank and not next_blank and (line.startswith("@") or rules.is_character_cue(line)):
            return self.dialogue(i, line)
        return self.action(i, forced=False)

    def _block_end(self, i: int, closer: str) -> int | None:
        for j in range(i, len(self.lines)):
            if closer in self.lines[j][2 if j == i else 0 :]:
                return j if self.lines[j].rstrip().endswith(closer) else None
        return None

    def scene_heading(self, i: int, text: str, forced: bool) -> int:
        number = None
        match = rules.SCENE_NUMBER_RE.search(text)
        if match:
            number, text = match.group(1), text[: match.start()]
        self.add(_T.SCENE_HEADING, text.strip(), i, scene_number=number, forced=forced)
        return i + 1

    def action(self, i: int, forced: bool) -> int:
        end = self.paragraph(i)
        chunk = [ln.rstrip() for ln in self.lines[i:end]]
        if forced:
            first = chunk[0].lstrip()
            chunk[0] = (chunk[0][: len(chunk[0]) - len(first)] + first[1:]).rstrip()
        self.add(_T.ACTION, "\n".join(chunk), i, forced=forced)
        return end

    def dialogue(self, i: int, line: str) -> int:
        forced = line.startswith("@")
        cue = rules.split_cue(line[1:] if forced else line)
        text, dual = cue if cue else (line[1:].strip(), False)
        if dual and not any(e.type in (_T.DIALOGUE, _T.PARENTHETICAL) for e in self.out[-1:]):
            raise ScreenplayParseError(
                f"dual dialogue marker '^' on {text} has no dialogue right before it", i + 1, _HINT
            )
        self.add(_T.CHARACTER, text, i, dual=dual, forced=forced)
        end = self.paragraph(i)
        speech: list[str] = []
        speech_line = i + 1
        for j in range(i + 1, end):
            part = self.lines[j].strip()
            if part.startswith("(") and part.endswith(")"):
                self._flush(speech, speech_line)
                self.add(_T.PARENTHETICAL, part, j)
                speech_line = j + 1
            else:
                if not speech:
                    speech_line = j
                speech.append(part)
        self._flush(speech, speech_line)
        return end

    def _flush(self, speech: list[str], j: int) -> None:
        if speech:
            self.add(_T.DIALOGUE, "\n".join(speech), j)
            speech.clear()
