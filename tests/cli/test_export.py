"""moviegen export, run as a user runs it (the real entry point, a subprocess)."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, moviegen


def _one_error(proc, code: int, *needles: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout.strip() == ""
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_screenplay_exports_with_json(sample_path, tmp_path):
    moviegen("import", str(sample_path), check=True)
    out = json.loads(
        moviegen("export", "lantern-road", "--format", "pdf,fdx", "-f", "pdf", "--json", check=True).stdout
    )
    assert out["project"] == "lantern-road"
    assert [(f["format"], f["path"]) for f in out["files"]] == [("pdf", "exports/lantern-road.pdf"),
                                                               ("fdx", "exports/lantern-road.fdx")]  # fmt: skip
    folder = tmp_path / "projects" / "lantern-road"
    for f in out["files"]:
        data = (folder / f["path"]).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (f["bytes"], f["sha256"])
    assert ET.parse(folder / "exports/lantern-road.fdx").getroot().tag == "FinalDraft"
    human = moviegen("export", "lantern-road", "-f", "fdx", check=True).stdout
    assert "exports/lantern-road.fdx" in human and "bytes" in human


@pytest.mark.slow
def test_the_cut_after_a_render(tmp_path):
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", check=True)
    moviegen("plan", "two", check=True)
    _one_error(moviegen("export", "two", "--format", "otio"), 1, "two has no render yet", "moviegen render two")
    report = json.loads(moviegen("render", "two", "--resolution", "320x180", "--workers", "1", "--json",
                                 check=True).stdout)  # fmt: skip
    out = json.loads(moviegen("export", "two", "-f", "otio,edl,fcpxml", "--json", check=True).stdout)
    stem = Path(report["film"]).stem
    assert [f["path"] for f in out["files"]] == [f"exports/{stem}.{ext}" for ext in ("otio", "edl", "fcpxml")]
    edl = (tmp_path / "projects/two" / out["files"][1]["path"]).read_text()
    assert edl.startswith("TITLE: Two Lines") and edl.count(" V     C ") == len(report["shots"])


def test_broken_requests_are_one_line():
    moviegen("new", "A keeper waits for a ship that never comes", "--title", "Empty Harbour", check=True)
    _one_error(moviegen("export", "empty-harbour", "--format", "pdf"), 2, "empty-harbour has no screenplay yet")
    _one_error(moviegen("export", "empty-harbour", "--format", "docx"), 2, "'docx' is not an export format")
    _one_error(moviegen("export", "empty-harbour", "--format", "pdf,"), 2)  # an empty name is not a format
    _one_error(moviegen("export", "empty-harbour"), 2, "--format")
    _one_error(moviegen("export", "nowhere", "--format", "pdf"), 1, "no project 'nowhere'")


def test_help():
    text = moviegen("export", "--help", check=True).stdout
    assert "Usage" in text and "fcpxml" in text and "--json" in text
    assert "export" in moviegen("--help", check=True).stdout
