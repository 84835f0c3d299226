"""Fountain syntax, element by element (https://fountain.io/syntax), plus round trips."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moviegen.core.errors import ScreenplayParseError
from moviegen.core.fountain import ElementType as T
from moviegen.core.fountain import parse, write
from moviegen.core.fountain.model import plain_text


def kinds(text: str) -> list[tuple[str, str]]:
    return [(e.type.value, e.text) for e in parse(text).elements]


def test_title_page_with_multiline_values():
    sp = parse(
        "Title: Big Fish\nCredit: written by\nAuthor:\n    John August\n    Daniel Wallace\n\nINT. HOUSE - DAY\n\nHi.\n"
    )
    assert sp.title_page == [("Title", "Big Fish"), ("Credit", "written by"), ("Author", "John August\nDaniel Wallace")]
    assert sp.title() == "Big Fish"
    assert sp.elements[0].type is T.SCENE_HEADING


@pytest.mark.parametrize(
    "heading",
    [
        "INT. HOUSE - DAY",
        "EXT. ROAD - NIGHT",
        "EST. CITY - DAWN",
        "INT./EXT. CAR - DAY",
        "INT/EXT. CAR - DAY",
        "I/E. CAR - DAY",
        "int. kitchen - day",
    ],
)
def test_scene_heading_prefixes(heading):
    assert kinds(f"\n{heading}\n\nAction.\n")[0] == ("scene_heading", heading)


def test_forced_scene_heading_and_scene_numbers():
    sp = parse("\n.SNIPER SCOPE POV #12A#\n\nEXT. ROAD - NIGHT #3#\n\nGo.\n")
    first, second = sp.elements[0], sp.elements[1]
    assert (first.type, first.text, first.scene_number, first.forced) == (
        T.SCENE_HEADING,
        "SNIPER SCOPE POV",
        "12A",
        True,
    )
    assert (second.text, second.scene_number) == ("EXT. ROAD - NIGHT", "3")


def test_scene_heading_needs_a_blank_line_after():
    assert kinds("\nINT. HOUSE - DAY\nThe door opens.\n")[0][0] != "scene_heading"


def test_character_dialogue_parenthetical_and_extensions():
    sp = parse("\nMIRA (V.O.)\n(quietly)\nThe bridge is gone.\nI'm taking the road.\n\nHANS (CONT'D)\nGo.\n")
    assert [(e.type.value, e.text) for e in sp.elements] == [
        ("character", "MIRA (V.O.)"),
        ("parenthetical", "(quietly)"),
        ("dialogue", "The bridge is gone.\nI'm taking the road."),
        ("character", "HANS (CONT'D)"),
        ("dialogue", "Go."),
    ]


def test_forced_character_with_lowercase_name():
    sp = parse("\n@McCLANE\nYippie ki-yay.\n")
    assert (sp.elements[0].type, sp.elements[0].text, sp.elements[0].forced) == (T.CHARACTER, "McCLANE", True)


def test_dual_dialogue():
    sp = parse("\nBRICK\nScrew retirement.\n\nSTEEL ^\nScrew retirement.\n")
    assert [e.dual for e in sp.elements if e.type is T.CHARACTER] == [False, True]


def test_dual_dialogue_without_dialogue_before_is_an_error_with_a_line_number():
    with pytest.raises(ScreenplayParseError) as err:
        parse("\nINT. HOUSE - DAY\n\nSTEEL ^\nScrew retirement.\n")
    assert err.value.line == 4 and "dual dialogue" in err.value.message


def test_action_forced_and_indented():
    sp = parse("\n!SCANNING THE AISLES...\nWhere is that pit boss?\n\n    Indented action keeps its tabs.\n")
    assert sp.elements[0].type is T.ACTION and sp.elements[0].forced
    assert sp.elements[0].text == "SCANNING THE AISLES...\nWhere is that pit boss?"
    assert sp.elements[1].text == "    Indented action keeps its tabs."


def test_all_caps_line_then_text_is_a_character_unless_forced():
    assert kinds("\nBOOM\nThe wall falls.\n")[0][0] == "character"
    assert kinds("\n!BOOM\nThe wall falls.\n")[0][0] == "action"


def test_transitions_forced_and_natural():
    assert kinds("\nGo.\n\nCUT TO:\n\nINT. HOUSE - DAY\n\nHi.\n")[1] == ("transition", "CUT TO:")
    assert kinds("\n> Burn to White.\n")[0] == ("transition", "Burn to White.")


def test_centered_text_lyrics_page_break():
    assert kinds("\n> THE END <\n") == [("centered", "THE END")]
    assert kinds("\n~Willy Wonka! Willy Wonka!\n") == [("lyrics", "Willy Wonka! Willy Wonka!")]
    assert kinds("\nOne.\n\n===\n\nTwo.\n")[1] == ("page_break", "")


def test_sections_and_synopses():
    sp = parse("\n# ACT ONE\n\n## Sequence\n\n= A courier races a flood.\n")
    assert [(e.type.value, e.text, e.level) for e in sp.elements] == [
        ("section", "ACT ONE", 1),
        ("section", "Sequence", 2),
        ("synopsis", "A courier races a flood.", 0),
    ]


def test_notes_standalone_and_inline():
    sp = parse("\n[[A standalone note]]\n\nHe waits. [[inline note]] Then leaves.\n")
    assert (sp.elements[0].type, sp.elements[0].text) == (T.NOTE, "A standalone note")
    assert plain_text(sp.elements[1].text) == "He waits. Then leaves."


def test_boneyard_block():
    sp = parse("\n/*\nINT. CUT SCENE - DAY\n\nGone.\n*/\n\nKept.\n")
    assert sp.elements[0].type is T.BONEYARD and "CUT SCENE" in sp.elements[0].text
    assert sp.elements[1].text == "Kept."


def test_emphasis_is_kept_in_text_and_stripped_for_display():
    text = "***bold italics*** and **bold** and *italic* and _underline_ and \\*literal\\*"
    sp = parse(f"\n{text}\n")
    assert sp.elements[0].text == text
    assert plain_text(text) == "bold italics and bold and italic and underline and *literal*"


def test_sample_screenplay_round_trips(sample_text):
    first = parse(sample_text)
    assert parse(write(first)) == first
    assert first.title() == "Lantern Road"
    assert sum(e.type is T.SCENE_HEADING for e in first.elements) == 4


@pytest.mark.parametrize(
    "source, line, what",
    [
        ("Title: X\n\nINT. A - DAY\n\n/* never closed\n\nAction.\n", 5, "boneyard"),
        ("\nINT. A - DAY\n\nHe [[starts a note\n\nthat never ends.\n", 4, "note"),
        ("\nINT. A - DAY\n\nText\x00with a NUL\n", 4, "binary"),
    ],
)
def test_malformed_files_report_the_line(source, line, what):
    with pytest.raises(ScreenplayParseError) as err:
        parse(source)
    assert err.value.line == line and what in err.value.message and err.value.hint


def test_non_utf8_bytes_report_the_line():
    with pytest.raises(ScreenplayParseError) as err:
        parse(b"\nINT. A - DAY\n\nCaf\xe9\n")
    assert err.value.line == 4


@pytest.mark.parametrize("first", ["CUT TO:", "INT. HOUSE - DAY"])
def test_an_action_whose_first_line_stands_alone_reads_back_as_action(first):
    """Found by the round-trip property in CI ('=EXT MIRA\\nCUT TO:  \\n  \\nCUT TO::EXT '): an action's line
    of spaces after its first line reads as blank, so a first line that looks like a transition or a heading
    must be forced, or it reads back as one."""
    text = f"= A synopsis\n{first}  \n  \nMore action."
    first_model = parse(text)
    assert [e.type for e in first_model.elements] == [T.SYNOPSIS, T.ACTION]
    assert parse(write(first_model)) == first_model


_ALPHABET = st.sampled_from(
    list("AB c.#=>!<@~^()[]*/_:\n \tTO")
    + ["INT. ", "EXT ", "CUT TO:", "\n\n", "  \n", "===", "[[", "]]", "/*", "*/", "I/E ", "#1#", "Title: x\n", "MIRA\n"]
)


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_crashes_the_parser(text):
    try:
        parse(text)
    except ScreenplayParseError:
        pass


@settings(max_examples=600, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_read_write_read_gives_the_same_model(text):
    try:
        first = parse(text)
    except ScreenplayParseError:
        return
    assert parse(write(first)) == first
