"""Fountain writer: canonical output that reads back to the same model."""

from __future__ import annotations

from moviegen.core.fountain import rules
from moviegen.core.fountain.model import Element, ElementType, Screenplay

_T = ElementType
_SPECIAL = ("!", "@", ".", ">", "~", "#", "=", "[[", "/*")


def write(screenplay: Screenplay) -> str:
    out: list[str] = []
    for key, value in screenplay.title_page:
        if "\n" in value:
            out.append(f"{key}:")
            out.extend(f"    {part}" for part in value.split("\n"))
        else:
            out.append(f"{key}: {value}".rstrip())
    if out:
        out.append("")
    in_dialogue = False
    for element in screenplay.elements:
        continues = in_dialogue and element.type in (_T.DIALOGUE, _T.PARENTHETICAL)
        if out and out[-1] != "" and not continues:
            out.append("")
        out.append(_element(element))
        in_dialogue = element.type in (_T.CHARACTER, _T.DIALOGUE, _T.PARENTHETICAL)
    text = "\n".join(out).rstrip("\n") + "\n"
    if not screenplay.title_page and rules.TITLE_KEY_RE.match(text.split("\n", 1)[0]):
        text = "\n" + text  # a leading blank line keeps 'KEY: value' out of the title page
    return text


def _element(e: Element) -> str:  # noqa: C901 - one branch per element type
    if e.type is _T.SCENE_HEADING:
        number = f" #{e.scene_number}#" if e.scene_number else ""
        needs_force = e.forced or not rules.is_scene_heading(e.text) or e.text.startswith(".")
        return ("." if needs_force else "") + e.text + number
    if e.type is _T.CHARACTER:
        dual = " ^" if e.dual else ""
        return ("@" if e.forced or not rules.is_character_cue(e.text) else "") + e.text + dual
    if e.type in (_T.DIALOGUE, _T.ACTION):
        lines = [ln if ln.strip() else "  " for ln in e.text.split("\n")]
        if e.type is _T.ACTION and (e.forced or _action_needs_force(lines)):
            lines[0] = "!" + lines[0]
        return "\n".join(lines)
    if e.type is _T.PARENTHETICAL:
        return e.text
    if e.type is _T.TRANSITION:
        return e.text if rules.is_transition(e.text) and not e.forced else f"> {e.text}"
    if e.type is _T.CENTERED:
        return f"> {e.text} <"
    if e.type is _T.LYRICS:
        return f"~{e.text}"
    if e.type is _T.SECTION:
        return "#" * max(e.level, 1) + f" {e.text}"
    if e.type is _T.SYNOPSIS:
        return f"= {e.text}"
    if e.type is _T.NOTE:
        return f"[[{e.text}]]"
    if e.type is _T.BONEYARD:
        return f"/*{e.text}*/"
    return "==="


def _action_needs_force(lines: list[str]) -> bool:
    first = lines[0].strip()
    # the parser reads a line of spaces after the first as blank: the first line then stands alone
    alone = len(lines) == 1 or not lines[1].strip()
    return (
        not first
        or first.startswith(_SPECIAL)
        or rules.PAGE_BREAK_RE.match(first) is not None
        or (alone and (rules.is_scene_heading(first) or rules.is_transition(first)))
        or (not alone and rules.is_character_cue(first))
    )
