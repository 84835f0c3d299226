"""moviegen export --bundle and moviegen import BUNDLE, run as a user runs them: a rendered project bundled,
lost, restored and rendered again with everything reused; a copy under another name; a damaged bundle."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from pathlib import Path

import pypdf
import pytest

from tests.conftest import FIXTURES, moviegen

OFFLINE = {"MOVIEGEN_PROVIDERS__IMAGE": '["storyboard-painter"]', "MOVIEGEN_PROVIDERS__SPEECH": '["espeak-ng"]'}


def run(*args: str, check: bool = True, root: Path | None = None):
    where = {"MOVIEGEN_HOME": str(root / "home"), "MOVIEGEN_PROJECTS_DIR": str(root / "projects")} if root else {}
    return moviegen(*args, check=check, env={**OFFLINE, **where})


def render(slug: str, root: Path | None = None) -> dict:
    return json.loads(run("render", slug, "--resolution", "320x180", "--workers", "1", "--json", root=root).stdout)


def digest(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def one_error(proc, code: int, *needles: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout.strip() == ""
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def bundled(tmp_path_factory):
    """A rendered project, its storyboard sheet and its bundle (copied out of the project)."""
    root = tmp_path_factory.mktemp("bundled")
    run("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", root=root)
    run("plan", "two", root=root)
    first = render("two", root)
    out = json.loads(run("export", "two", "--bundle", "-f", "storyboard", "--json", root=root).stdout)
    bundle = root / "two.moviegen.tar"
    shutil.copy(root / "projects" / "two" / out["files"][1]["path"], bundle)
    return root, first, out, bundle


@pytest.mark.slow
def test_a_lost_project_comes_back_from_its_bundle_and_renders_from_what_it_kept(bundled):
    root, first, out, bundle = bundled
    assert [f["format"] for f in out["files"]] == ["storyboard", "bundle"]
    folder = root / "projects" / "two"
    sheet = pypdf.PdfReader(io.BytesIO((folder / out["files"][0]["path"]).read_bytes()))
    assert sum(len(p.images) for p in sheet.pages) == len(first["shots"])  # the render's stills
    assert digest(bundle) == out["files"][1]["sha256"]
    film = digest(first["film"])

    shutil.rmtree(folder)  # the project is lost; its bundle is not
    restored = json.loads(run("import", str(bundle), "--json", root=root).stdout)
    assert restored["slug"] == "two" and restored["restored"]["files"] > 10
    again = render("two", root)
    assert again["computed"] == {} and again["cached"]["frame"] == len(first["shots"])
    assert digest(again["film"]) == film


@pytest.mark.slow
def test_a_copy_under_another_name_on_another_machine_muxes_only_its_film(bundled, tmp_path):
    _, first, _, bundle = bundled
    human = run("import", str(bundle), "--as", "copy").stdout
    assert "Restored" in human and "every checksum verified" in human
    copy = render("copy")
    assert set(copy["computed"]) <= {"film"}  # a new film name and folder; the same shots and sound
    assert digest(copy["film"]) == digest(first["film"])


def test_a_damaged_or_unsafe_bundle_is_refused_in_one_line(tmp_path):
    run("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two")
    path = (
        tmp_path
        / "projects"
        / "two"
        / json.loads(run("export", "two", "--bundle", "--json").stdout)["files"][0]["path"]
    )
    with tarfile.open(path) as tar:
        first = tar.getmembers()[0]
    data = bytearray(path.read_bytes())
    data[first.offset_data] ^= 0x20  # a byte of the first file's contents
    bad = tmp_path / "bad.moviegen.tar"
    bad.write_bytes(bytes(data))
    one_error(run("import", str(bad), "--as", "tampered", check=False), 2, "damaged", first.name, "imported")
    one_error(run("import", str(path), check=False), 1, "'two' already exists", "--as")
    one_error(run("import", str(path), "--as", "x", "--title", "New", check=False), 2, "--title")
    listed = [p["slug"] for p in json.loads(run("list", "--json").stdout)]
    assert listed == ["two"] and not [p.name for p in (tmp_path / "projects").iterdir() if "importing" in p.name]


def test_help_names_the_bundle():
    assert "--bundle" in run("export", "--help").stdout and "storyboard" in run("export", "--help").stdout
    assert "bundle" in run("import", "--help").stdout and "--as" in run("import", "--help").stdout
