"""Final Draft XML: the paragraphs, in the screenplay's order, with their types, styles and scene numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from moviegen.core.fountain import parse
from moviegen.core.fountain.model import ElementType, plain_text
from moviegen.core.project import ProjectStore
from moviegen.services.export import export
from moviegen.services.export.fdx import screenplay_fdx
from moviegen.services.screenplay import import_screenplay_text
from tests.conftest import FIXTURES

EXPECTED_TYPE = {ElementType.SCENE_HEADING: "Scene Heading", ElementType.ACTION: "Action",
                 ElementType.CHARACTER: "Character", ElementType.PARENTHETICAL: "Parenthetical",
                 ElementType.DIALOGUE: "Dialogue", ElementType.TRANSITION: "Transition",
                 ElementType.CENTERED: "Action", ElementType.LYRICS: "General"}  # fmt: skip


def body(root: ET.Element) -> list[ET.Element]:
    """The script's paragraphs in order, those inside dual dialogue in place."""
    out = []
    for p in root.find("Content"):
        dual = p.find("DualDialogue")
        out += list(dual) if dual is not None else [p]
    return out


def text_of(paragraph: ET.Element) -> str:
    return "".join(t.text or "" for t in paragraph.findall("Text"))


def test_paragraphs_follow_the_fountain_elements(sample_text):
    screenplay = parse(sample_text)
    root = ET.fromstring(screenplay_fdx(screenplay, "x"))
    assert root.tag == "FinalDraft" and root.get("DocumentType") == "Script"
    printed = [e for e in screenplay.elements if e.type in EXPECTED_TYPE]
    paragraphs = body(root)
    assert [p.get("Type") for p in paragraphs] == [EXPECTED_TYPE[e.type] for e in printed]
    assert [text_of(p) for p in paragraphs] == [plain_text(e.text) if "\n" not in e.text else e.text for e in printed]
    headings = [p for p in paragraphs if p.get("Type") == "Scene Heading"]
    assert [h.get("Number") for h in headings] == ["1", "2", "3", "4"]
    assert len(root.find("Content").findall("Paragraph/DualDialogue")) == 1  # MIRA and TOMAS at once


def test_title_page_fields(sample_text):
    root = ET.fromstring(screenplay_fdx(parse(sample_text), "x"))
    title_page = [(p.get("Alignment"), text_of(p)) for p in root.find("TitlePage/Content")]
    filled = [(a, t) for a, t in title_page if t]
    assert filled == [("Center", "LANTERN ROAD"), ("Center", "Written by"), ("Center", "The Sample Desk"),
                      ("Left", "2026-11-23"), ("Left", "samples only — free to use in tests")]  # fmt: skip


def test_styles_numbers_centred_text_and_page_breaks():
    text = ("INT. HALL - NIGHT #7A#\n\nA **loud** bang, *then* _silence_.\n\n> THE END <\n\n===\n\n"
            "EXT. YARD - DAY\n\n~Row, row, row\n")  # fmt: skip
    paragraphs = body(ET.fromstring(screenplay_fdx(parse(text), "x")))
    assert paragraphs[0].get("Number") == "7A" and paragraphs[3].get("Number") == "2"
    runs = [(t.text, t.get("Style")) for t in paragraphs[1].findall("Text")]
    assert runs == [("A ", None), ("loud", "Bold"), (" bang, ", None), ("then", "Italic"), (" ", None),
                    ("silence", "Underline"), (".", None)]  # fmt: skip
    assert paragraphs[2].get("Alignment") == "Center" and text_of(paragraphs[2]) == "THE END"
    assert paragraphs[3].get("StartsNewPage") == "Yes" and paragraphs[1].get("StartsNewPage") is None
    assert paragraphs[4].get("Type") == "General" and paragraphs[4].find("Text").get("Style") == "Italic"


def test_export_writes_fdx_and_refuses_a_project_without_a_screenplay(tmp_path):
    store = ProjectStore(tmp_path / "projects")
    project = import_screenplay_text(store, (FIXTURES / "two_lines.fountain").read_text(), slug="two")
    [path] = export(project, "fdx")
    assert path.name == "two.fdx" and ET.parse(path).getroot().tag == "FinalDraft"
    from moviegen.core.errors import UsageError
    from moviegen.core.models import ProjectInfo

    empty = store.create(ProjectInfo(slug="empty", title="Empty", premise="A keeper waits for a ship."))
    try:
        export(empty, "fdx")
    except UsageError as exc:
        assert exc.message == "empty has no screenplay yet" and "moviegen develop empty" in exc.hint
    else:
        raise AssertionError("exported a screenplay that does not exist")
    assert not (empty.path / "exports").exists()


def test_emphasis_only_where_fountain_means_it():
    from moviegen.services.export.elements import BOLD, ITALIC, UNDERLINE, Run, runs

    assert runs("5 * 3 * 2") == [Run("5 * 3 * 2")]  # markers next to spaces are arithmetic
    assert runs(r"a \*literal\* star") == [Run("a *literal* star")]
    assert runs("***both*** _under_") == [Run("both", frozenset({BOLD, ITALIC})), Run(" "),
                                          Run("under", frozenset({UNDERLINE}))]  # fmt: skip
    assert runs("*no\nclose* here") == [Run("*no\nclose* here")]  # emphasis does not cross lines
    assert runs("He waits. [[cut this?]]\nThen /* not this */goes [[a]] on.") == [Run("He waits.\nThen goes on.")]


SCHEMA = FIXTURES.parent / "data" / "final_draft.xsd"  # Final Draft's document structure (see its header); XSD 1.1


def test_the_fdx_is_valid_against_final_drafts_document_structure(sample_text):
    import xmlschema

    schema = xmlschema.XMLSchema11(str(SCHEMA))
    varied = ("Title: **Bold** _Title_\nAuthor: A\n\nINT. HALL - NIGHT #7A#\n\nA **loud** bang, *then* _silence_.\n\n"
              "> THE END <\n\n===\n\nEXT. YARD - DAY\n\n~Row, row, row\n\nMIRA\n(low)\nGo.\n\nTOMAS ^\nNo.\n\n"
              "CUT TO:\n")  # fmt: skip
    for text in (sample_text, varied, sample_text + "\n===\n\n" + varied.split("\n\n", 2)[2] * 20):
        schema.validate(screenplay_fdx(parse(text), "x").decode())  # raises, with the path, when it is not


def test_the_schema_refuses_what_final_draft_would_not_read():
    import xmlschema

    schema = xmlschema.XMLSchema11(str(SCHEMA))
    good = screenplay_fdx(parse("INT. HALL - NIGHT\n\nA bang.\n"), "x").decode()
    assert schema.is_valid(good)
    for bad in (
        good.replace('Type="Action"', 'Type="Actoin"'),  # no such paragraph type
        good.replace('Template="No"', 'Template="Maybe"'),
        good.replace("<Content>", "<Script>", 1).replace("</Content>", "</Script>", 1),  # no Content
        good.replace("<Text>A bang.</Text>", '<Text Style="Bold+Loud">A bang.</Text>'),
    ):
        assert not schema.is_valid(bad), bad[:200]
