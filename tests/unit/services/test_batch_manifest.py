"""The batch manifest: checked whole (one line naming the entry and the field), planned into the (film, format)
matrix, and the record beside it that lets a re-run skip what it finished."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moviegen.core.errors import UsageError
from moviegen.services.batch import BatchState, load, state_path
from tests.conftest import FIXTURES

DOCS = Path(__file__).resolve().parents[3] / "docs"
PREMISE = "A courier races a flood to relight the valley's last beacon"


def write(folder: Path, text: str) -> Path:
    (folder / "two_lines.fountain").write_text((FIXTURES / "two_lines.fountain").read_text(), encoding="utf-8")
    path = folder / "films.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(folder: Path, text: str) -> str:
    with pytest.raises(UsageError) as caught:
        load(write(folder, text))
    assert caught.value.exit_code == 2 and "\n" not in caught.value.message and caught.value.hint
    return caught.value.message


def test_films_are_planned_into_a_matrix_of_formats(tmp_path):
    films = load(
        write(
            tmp_path,
            f"""
[defaults]
formats = [{{aspect = "16:9", resolution = "720p"}}, {{aspect = "9:16", resolution = "1080p", fps = 30}}]
fps = 12

[[film]]
fountain = "two_lines.fountain"

[[film]]
premise = "{PREMISE}"
seed = 3

[[film]]
project = "lantern-road"
formats = [{{aspect = "1:1", resolution = "320x180"}}]
burn_subtitles = true
""",
        )
    )
    assert [(f.number, f.slug, f.kind) for f in films] == [
        (1, "two-lines", "fountain"), (2, "a-courier-races-a-flood-to", "premise"), (3, "lantern-road", "project"),
    ]  # fmt: skip
    assert films[0].source == str((tmp_path / "two_lines.fountain").resolve()) and films[1].seed == 3
    tasks = [t for f in films for t in f.tasks()]
    assert [t.name for t in tasks] == [
        "two-lines [16:9 720p]", "two-lines [9:16 1080p]", "a-courier-races-a-flood-to [16:9 720p]",
        "a-courier-races-a-flood-to [9:16 1080p]", "lantern-road [1:1 320x180]",
    ]  # fmt: skip
    assert [t.fps for t in tasks] == [12, 30, 12, 30, 12]
    assert [f.burn_subtitles for f in films] == [False, False, True]
    assert len({t.key for t in tasks}) == 5


def test_the_key_of_a_film_changes_with_its_screenplay_and_its_format(tmp_path):
    text = '[[film]]\nfountain = "two_lines.fountain"\n'
    [before] = load(write(tmp_path, text))[0].tasks()
    (tmp_path / "two_lines.fountain").write_text("INT. ROOM - DAY\n\nSomeone waits.\n", encoding="utf-8")
    [edited] = load(tmp_path / "films.toml")[0].tasks()
    assert edited.name == before.name and edited.key != before.key
    [same] = load(write(tmp_path, text))[0].tasks()
    [wider] = load(write(tmp_path, text.replace("\n", "\nfps = 30\n", 1)))[0].tasks()
    [written_out] = load(write(tmp_path, text + 'formats = [{resolution = "1280x720"}]\n'))[0].tasks()
    assert same.key == before.key and wider.key != before.key
    assert written_out.key == before.key and written_out.name == "two-lines [16:9 1280x720]"  # 720p is 1280x720


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            f'[[film]]\npremise = "{PREMISE}"\n\n[[film]]\nproject = "a"\n\n[[film]]\nproject = "b"\nfountain = "x"\n',
            "films.toml: film #3: give exactly one of project, premise, fountain (found project, fountain)",
        ),
        ("[[film]]\nslug = 'x'\n", "film #1: give exactly one of project, premise, fountain (found none)"),
        (f'[[film]]\npremise = "{PREMISE}"\nslgu = "x"\n', "film #1: unknown field 'slgu'"),
        (f'[[film]]\npremise = "{PREMISE}"\nformats = [{{aspect = "4:3"}}]\n', "film #1: formats #1: aspect:"),
        (
            f'[[film]]\npremise = "{PREMISE}"\nformats = [{{resolution = "huge"}}]\n',
            "film #1: formats #1: resolution: 'huge' is not a resolution",
        ),
        (f'[defaults]\nformats = []\n[[film]]\npremise = "{PREMISE}"\n', "defaults: formats:"),
        ("[defaults]\nfps = 24\n", "no [[film]] entries"),
        ('[[film]]\npremise = "too short"\n', "film #1: premise: the premise is empty or too short"),
        ('[[film]]\nproject = "Not A Slug"\n', "film #1: 'Not A Slug' is not a project name"),
        ('[[film]]\nfountain = "two_lines.fountain"\nseed = 4\n', "film #1: seed and narration belong to a premise"),
        ('[[film]]\nfountain = "missing.fountain"\n', "film #1: fountain: no such file"),
        ('[[film]]\nproject = "a"\n[[film]]\nproject = "a"\n', "film #2: slug 'a' is film #1's too"),
        ('[[film]]\nproject = "a"\nformats = [{}, {resolution = "720p"}]\n', "'16:9 720p' is listed twice"),
        ("[[film]\n", "films.toml: Expected ']]'"),
    ],
)
def test_a_bad_manifest_is_one_line_naming_the_entry_and_field(tmp_path, text, message):
    assert message in refused(tmp_path, text)


def test_a_missing_manifest_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such manifest"):
        load(tmp_path / "nope.toml")


def test_the_record_keeps_a_cell_while_its_film_is_on_disk_unchanged(tmp_path):
    [film] = load(write(tmp_path, '[[film]]\nfountain = "two_lines.fountain"\n'))
    [task] = film.tasks()
    path = state_path(tmp_path / "films.toml")
    assert path == tmp_path / ".films.batch.json"
    state = BatchState(path)
    assert state.kept(task) is None
    film_file = tmp_path / "film.mp4"
    film_file.write_bytes(b"a film")
    import hashlib

    state.record(task, str(film_file), hashlib.sha256(b"a film").hexdigest(), 11.0)
    again = BatchState(path)
    assert again.kept(task)["output"] == str(film_file) and again.kept(task)["duration"] == 11.0
    assert BatchState(path, fresh=True).kept(task) is None
    film_file.write_bytes(b"another film")  # replaced on disk: not the film that was recorded
    assert BatchState(path).kept(task) is None
    film_file.unlink()
    assert BatchState(path).kept(task) is None
    path.write_text("{not json", encoding="utf-8")
    assert BatchState(path).done == {}
    path.write_text(json.dumps({"version": 99, "done": {}}), encoding="utf-8")
    assert BatchState(path).done == {}


def test_the_sample_manifest_in_docs_is_valid():
    films = load(DOCS / "batch.example.toml")
    assert [f.kind for f in films] == ["premise", "fountain", "premise"]
    assert [t.name for t in films[0].tasks()] == ["lantern-road [16:9 720p]", "lantern-road [9:16 1080p]"]
