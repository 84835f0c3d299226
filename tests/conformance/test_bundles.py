"""The project bundle through the one client interface: exported on one brain, sent in pieces and imported on
another (in-process or over the wire, the same answers), a damaged one refused the same way."""

from __future__ import annotations

import hashlib
import threading

import pytest

from moviegen.cli import exports as cli_exports
from moviegen.core.errors import UsageError
from tests.conftest import FIXTURES
from tests.server.conftest import start_brain, stop_brain

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
# the still's provider is part of its key: every brain here paints (and looks stills up) the same way
OFFLINE = {"MOVIEGEN_PROVIDERS__IMAGE": '["storyboard-painter"]', "MOVIEGEN_PROVIDERS__SPEECH": '["espeak-ng"]'}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    for key, value in OFFLINE.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    brain = start_brain(tmp_path_factory.mktemp("bundles"), env_extra=OFFLINE)
    yield brain
    stop_brain(brain)


@pytest.fixture(params=["local", "remote"])
def api(request):
    if request.param == "local":
        from moviegen.brain.local import LocalBrain

        brain = LocalBrain(workers=1)
    else:
        from moviegen.brain.remote import RemoteBrain

        brain = RemoteBrain(request.getfixturevalue("server").ws)
    yield brain
    brain.close()


@pytest.fixture
def bundle(tmp_path):
    """A bundle made by a brain of its own (another machine's), with a painted storyboard in it."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings

    maker = LocalBrain(Settings(projects_dir=tmp_path / "elsewhere"), workers=1)
    try:
        maker.project_import(TWO_LINES, slug="two")
        maker.shots_plan("two")
        maker.storyboard_paint("two")
        [written] = maker.export("two", "bundle")["files"]
        return maker.project("two").path / written["path"], written
    finally:
        maker.close()


def test_a_bundle_sent_in_pieces_is_the_same_project_on_either_brain(api, bundle, monkeypatch):
    path, written = bundle
    assert hashlib.sha256(path.read_bytes()).hexdigest() == written["sha256"]
    monkeypatch.setattr(cli_exports, "PIECE", 48 * 1024)  # several pieces, as a large bundle would go
    assert path.stat().st_size > 3 * cli_exports.PIECE
    slug = f"moved-{threading.get_native_id() % 100000}-{id(api) % 1000}"
    summary = api.project_import_bundle(cli_exports.upload_bundle(api, path), slug=slug)
    assert (summary["slug"], summary["title"], summary["shots"]) == (slug, "Two Lines", 3)
    assert summary["restored"]["from"]["slug"] == "two" and summary["restored"]["files"] > 10
    shots = api.storyboard(slug)["shots"]
    assert all(s["frame"] for s in shots)  # the painted stills came along and are found by their keys
    again = api.export(slug, "storyboard")["files"][0]
    assert again["path"] == f"exports/{slug}-storyboard.pdf"


def test_a_damaged_bundle_is_refused_the_same_way(api, bundle, tmp_path):
    path, _ = bundle
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "bad.moviegen.tar"
    bad.write_bytes(bytes(data))
    slug = f"bad-{threading.get_native_id() % 100000}-{id(api) % 1000}"
    with pytest.raises(UsageError) as info:
        api.project_import_bundle(cli_exports.upload_bundle(api, bad), slug=slug)
    assert "damaged" in info.value.message and "nothing was imported" in info.value.message
    assert slug not in [p["slug"] for p in api.project_list()]
    with pytest.raises(UsageError) as piece:
        api.bundle_upload("not base64!", None, 0)
    assert "piece" in piece.value.message
