"""Three-way merge of a screenplay (by scene) or a story file (by section), for two people editing at once.

A text is cut into units — a Fountain screenplay into its title page and one unit per scene (a scene heading
and everything up to the next one); a Markdown story file into one unit per heading — and the units are merged
the way diff3 merges lines: where only one side changed a stretch of units, that side wins; where both made
the same change, it is taken once; where both changed the same stretch differently, that is a conflict, and
the merge is refused rather than guessed. So a writer who saved scene 2 and another who saved scene 4 both
keep their work, while two edits of scene 2 are not silently mixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from moviegen.core.fountain.rules import starts_scene

_SECTION = re.compile(r"^#{1,6} ")


@dataclass(frozen=True)
class Merged:
    text: str
    conflicts: list[str]  # the first line of each unit both sides changed differently (empty: a clean merge)

    @property
    def clean(self) -> bool:
        return not self.conflicts


def split_units(text: str, starts_unit: Callable[[str], bool]) -> list[str]:
    """``text`` cut before every line for which ``starts_unit`` holds; the pieces join back to ``text``."""
    units: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if starts_unit(line) and current:
            units.append("".join(current))
            current = []
        current.append(line)
    if current:
        units.append("".join(current))
    return units


def scenes(text: str) -> list[str]:
    """A Fountain screenplay's units: what comes before the first scene heading, then one per scene."""
    return split_units(text, starts_scene)


def sections(text: str) -> list[str]:
    """A Markdown file's units: what comes before the first heading, then one per heading."""
    return split_units(text, lambda line: bool(_SECTION.match(line)))


def merge_units(base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]) -> tuple[list[str], list[str]]:
    """Merge two edits of ``base`` given as sequences of units: each side's changes are hunks (a stretch of base
    units and what replaces it); hunks of the two sides that do not overlap both apply, identical ones apply
    once, and overlapping different ones are conflicts (``ours`` is kept there; the caller refuses the merge).
    Returns the merged units and the first line of each conflict."""
    hunks = sorted(_hunks(base, ours, "ours") + _hunks(base, theirs, "theirs"), key=lambda h: (h[0], h[1], h[3]))
    out: list[str] = []
    conflicts: list[str] = []
    at = 0  # the next base unit not yet copied
    n = 0
    while n < len(hunks):
        i1, i2, units, side = hunks[n]
        group = [hunks[n]]
        end = i2
        while n + 1 < len(hunks) and _overlap(group, hunks[n + 1], end):
            n += 1
            group.append(hunks[n])
            end = max(end, hunks[n][1])
        n += 1
        out.extend(base[at:i1])
        mine = _apply(base, [h for h in group if h[3] == "ours"], i1, end)
        other = _apply(base, [h for h in group if h[3] == "theirs"], i1, end)
        if len({h[3] for h in group}) == 1:  # one side's changes only (a side's hunks never overlap)
            out.extend(mine if side == "ours" else other)
        else:
            out.extend(mine)
            if mine != other:
                first = (mine or other or list(base[i1:end]) or [""])[0]
                conflicts.append((first.strip().splitlines() or [""])[0])
        at = max(at, end)
    out.extend(base[at:])
    return out, conflicts


def _hunks(base: Sequence[str], other: Sequence[str], side: str) -> list[tuple[int, int, list[str], str]]:
    ops = SequenceMatcher(None, base, other, autojunk=False).get_opcodes()
    return [(i1, i2, list(other[j1:j2]), side) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def _overlap(group: list, hunk: tuple, end: int) -> bool:
    """Whether ``hunk`` touches the stretch the group covers (ending at ``end``): base units in common, or an
    insertion at the same place as another change's start."""
    i1, i2 = hunk[0], hunk[1]
    return i1 < end or (i1 == i2 == end and any(h[0] == h[1] == end for h in group))


def _apply(base: Sequence[str], hunks: list, start: int, end: int) -> list[str]:
    """base[start:end] with one side's hunks applied."""
    out: list[str] = []
    at = start
    for i1, i2, units, _ in hunks:
        out.extend(base[at:i1])
        out.extend(units)
        at = i2
    out.extend(base[at:end])
    return out


def merge(base: str, ours: str, theirs: str, split: Callable[[str], list[str]] = scenes) -> Merged:
    """Merge ``theirs`` (an edit of ``base``) into ``ours`` (what is on disk now, also an edit of ``base``)."""
    if ours == base:
        return Merged(theirs, [])
    if theirs == base or ours == theirs:
        return Merged(ours, [])
    units, conflicts = merge_units(split(base), split(ours), split(theirs))
    return Merged("".join(units), conflicts)


def merge_fountain(base: str, ours: str, theirs: str) -> Merged:
    return merge(base, ours, theirs, scenes)


def merge_markdown(base: str, ours: str, theirs: str) -> Merged:
    return merge(base, ours, theirs, sections)
