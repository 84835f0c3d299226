"""Transcodes and 3D models through the one client interface: in-process and over the wire, the same jobs,
the same files (a model is the same bytes in every process), the same errors."""

from __future__ import annotations

import threading

import pytest

from moviegen.core.errors import ProjectStateError, UsageError
from tests.conftest import FIXTURES
from tests.server.conftest import start_brain, stop_brain

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    brain = start_brain(tmp_path_factory.mktemp("media"))
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
    brain.kind = request.param
    yield brain
    brain.close()


def fresh_slug(api, name: str) -> str:
    return f"{name}-{api.kind}-{threading.get_native_id() % 100000}-{id(api) % 1000}"


@pytest.mark.slow
def test_a_transcode_is_a_job_with_a_stage_per_preset(api):
    slug = fresh_slug(api, "tc")
    api.project_import(TWO_LINES, slug=slug)
    api.shots_plan(slug)
    with pytest.raises(ProjectStateError) as none_yet:
        api.transcode(slug, ["poster"])
    assert none_yet.value.message == f"{slug} has no render yet, so there is nothing to transcode"
    assert list(api.follow(api.render_start(slug, resolution="320x180")["id"], timeout=300))[-1]["status"] == "done"

    job = api.transcode(slug, ["poster", "audio", "poster"])
    assert job["kind"] == "transcode" and job["inputs"] == {"presets": ["poster", "audio"]}
    final = list(api.follow(job["id"], timeout=120))[-1]
    assert final["status"] == "done", final
    assert final["stages"] == {"poster": {"done": 100, "total": 100}, "audio": {"done": 100, "total": 100}}
    presets = final["result"]["presets"]
    assert [p["preset"] for p in presets] == ["poster", "audio"]
    assert [f["path"] for p in presets for f in p["files"]] == [
        f"exports/transcodes/poster/{slug}-poster.jpg", f"exports/transcodes/audio/{slug}-audio.m4a"]  # fmt: skip
    assert api.job_list(slug)[0]["id"] == job["id"]
    assert api.project_status(slug)["transcodes"] == ["audio", "poster"]


def test_transcode_arguments_are_checked_the_same_way(api):
    slug = fresh_slug(api, "tcbad")
    api.project_import(TWO_LINES, slug=slug)
    for presets in (["mpeg1"], []):
        with pytest.raises(UsageError) as bad:
            api.transcode(slug, presets)
        assert "presets" in bad.value.message and bad.value.hint


def test_3d_models_are_the_same_bytes_in_both(server):
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.remote import RemoteBrain

    local, remote = LocalBrain(workers=1), RemoteBrain(server.ws)
    try:
        answers = []
        for brain in (local, remote):
            brain.project_import(TWO_LINES, slug="two")
            made = brain.assets_3d("two", ["prop:lantern"])  # a prop first: the cast comes after, with none named
            made["models"] += brain.assets_3d("two")["models"]
            answers.append((made, brain.assets_3d_list("two"), brain.graph_node("two", "character:ada")))
    finally:
        local.close()
        remote.close()
    assert answers[0][:2] == answers[1][:2]
    made, listed, node = answers[0]
    assert [m["node"] for m in made["models"]] == ["prop:lantern", "character:ada", "character:kofi"]
    assert [m["node"] for m in listed] == ["character:ada", "character:kofi", "prop:lantern"]
    assert node["props"]["model3d"] == made["models"][1]["asset"] and node["props"]["model3d_provider"] == "procedural"


def test_3d_errors_are_one_line_in_both(api):
    slug = fresh_slug(api, "m3d")
    api.project_import(TWO_LINES, slug=slug)
    with pytest.raises(UsageError) as unknown:
        api.assets_3d(slug, ["character:bob"])
    assert (unknown.value.message, unknown.value.hint) == (f"no character 'bob' in {slug}'s bible",
                                                           "characters: ada, kofi")  # fmt: skip
    with pytest.raises(UsageError) as kind:
        api.assets_3d(slug, ["place:harbour"])
    assert kind.value.message == "'place:harbour' is not a 3D target"
    assert api.assets_3d_list(slug) == []  # nothing was written for a request that failed
