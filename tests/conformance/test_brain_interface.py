"""One conformance suite for the one client interface: every test runs against the in-process LocalBrain and
against a real brain server over WebSocket (RemoteBrain), and expects the same results and the same errors."""

from __future__ import annotations

import asyncio
import base64
import threading

import pytest

from moviegen.core.errors import (
    AccessDeniedError,
    ConflictError,
    NotFoundError,
    ProjectNotFoundError,
    ProjectStateError,
    ScreenplayParseError,
    UsageError,
)
from tests.conftest import FIXTURES
from tests.server.conftest import start_brain, stop_brain

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
VOLATILE = {"path", "at", "started", "finished", "digest", "id", "owner", "log", "trash", "frame", "file", "asset",
            "wav_base64", "film", "subtitles", "report", "created", "elapsed", "mode"}  # fmt: skip


def stable(value):
    """A result without what differs between two worlds by nature (paths, times, random ids)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    if isinstance(value, float):
        return round(value, 4)
    return value


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    brain = start_brain(tmp_path_factory.mktemp("conformance"))
    yield brain
    stop_brain(brain)


@pytest.fixture(params=["local", "remote"])
def api(request, tmp_path):
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


def scripted(api, slug: str) -> list:
    """What a frontend does with a project, start to storyboard; every answer recorded."""
    out = [api.project_import(TWO_LINES, slug=slug, filename="two_lines.fountain")]
    out.append(api.shots_plan(slug))
    sp = api.screenplay_get(slug)
    out.append(sp)
    out.append(api.screenplay_update(slug, sp["text"] + "\nADA\nHere they come.\n", sp["digest"]))
    out.append(api.story_file_get(slug, "logline"))
    out.append(api.shots_plan(slug))
    out.append(api.storyboard(slug))
    out.append(api.storyboard_paint(slug))
    out.append(api.take_new(slug, "1.1"))
    out.append(api.take_approve(slug, "1.1", 2))
    out.append(api.take_new(slug, "1.1"))
    out.append(api.take_reject(slug, "1.1", 3))
    out.append(api.cast_list(slug))
    out.append(api.recast(slug, "ADA", "low and slow"))
    out.append(api.recast(slug, "KOFI", "elevenlabs: Adam (pNInz6obpgDQGcFmaJgB)"))
    out.append(api.sheet_paint(slug, "ADA"))
    out.append(api.sheet_approve(slug, "ADA", 1))
    out.append(api.cast_list(slug))
    out.append(api.continuity_check(slug))
    out.append(api.search_story(slug, "boats late", limit=3))
    out.append(api.graph_summary(slug))
    out.append(api.get_node_neighbors("scene:1", slug))
    out.append(api.project_status(slug))
    return [stable(r) for r in out]


def test_the_same_script_gives_the_same_answers_in_both(server, tmp_path):
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.remote import RemoteBrain

    local, remote = LocalBrain(workers=1), RemoteBrain(server.ws)
    try:
        a, b = scripted(local, "script"), scripted(remote, "script")
    finally:
        local.close()
        remote.close()
    assert a == b
    assert a[3] != a[2]  # the update changed the screenplay
    assert a[8]["take"] == 2 and a[9]["status"] == "approved"


def test_projects_are_created_listed_and_deleted(api):
    slug = fresh_slug(api, "life")
    made = api.project_create("A lighthouse keeper races a storm to save a ship", slug=slug)
    assert made["slug"] == slug and made["stage"] == "new"
    assert slug in [p["slug"] for p in api.project_list()]
    story = api.story_develop(slug)
    assert story["screenplay"] and api.project_status(slug)["stage"] == "developed"
    assert api.shots_plan(slug)["shots"] > 0
    gone = api.project_delete(slug)
    assert gone["slug"] == slug and slug not in [p["slug"] for p in api.project_list()]
    with pytest.raises(ProjectNotFoundError):
        api.project_status(slug)


def test_saves_refuse_a_stale_digest_with_the_same_error(api):
    slug = fresh_slug(api, "cas")
    api.project_import(TWO_LINES, slug=slug)
    sp = api.screenplay_get(slug)
    api.screenplay_update(slug, sp["text"] + "\nKOFI\nOne.\n", sp["digest"])
    with pytest.raises(ConflictError) as info:
        api.screenplay_update(slug, sp["text"] + "\nKOFI\nTwo.\n", sp["digest"])
    assert "changed" in info.value.message and info.value.hint
    assert "One." in api.screenplay_get(slug)["text"] and "Two." not in api.screenplay_get(slug)["text"]
    logline = api.story_file_get(slug, "logline")
    api.story_file_update(slug, "logline", "# Two Lines\n\nA harbour waits.\n", logline["digest"])
    with pytest.raises(ConflictError):
        api.story_file_update(slug, "logline", "lost\n", logline["digest"])


def test_bad_input_is_the_same_usage_error(api):
    slug = fresh_slug(api, "bad")
    api.project_import(TWO_LINES, slug=slug)
    api.shots_plan(slug)
    for kwargs in ({"fps": -24}, {"resolution": "../../x"}, {"fps": 1000}):
        with pytest.raises(UsageError) as info:
            api.render_start(slug, **kwargs)
        assert info.value.hint
    with pytest.raises(UsageError):
        api.story_file_get(slug, "../../etc/passwd")
    with pytest.raises(ScreenplayParseError) as parse_error:
        api.screenplay_update(slug, "INT. NOWHERE\n/* never closed", api.screenplay_get(slug)["digest"])
    assert parse_error.value.line == 2
    with pytest.raises(NotFoundError):
        api.job_status("job-nope")
    with pytest.raises(UsageError):
        api.project_create("x")


def test_a_render_runs_as_a_job_is_listed_and_resumes(api):
    slug = fresh_slug(api, "job")
    api.project_import(TWO_LINES, slug=slug)
    api.shots_plan(slug)
    job = api.render_start(slug, resolution="320x180")
    views = list(api.follow(job["id"], timeout=300))
    final = views[-1]
    assert final["status"] == "done", final
    assert final["result"]["width"] == 320 and final["stages"]["publish"]["done"] == 1
    assert [j["id"] for j in api.job_list(slug)][0] == job["id"]
    again = list(api.follow(api.job_retry(job["id"])["id"], timeout=300))[-1]
    assert again["status"] == "done" and again["attempts"] == 2
    assert sum(again["result"]["cached"].values()) > 0 and not again["result"]["computed"]


def test_memory_tools_follow_the_platform_contract(api):
    slug = fresh_slug(api, "mem")
    api.project_import(TWO_LINES, slug=slug)
    one = api.embed_text("boats at dusk", slug)
    assert one["dim"] == len(one["vector"]) == 256
    assert len(api.batch_embed_texts(["a", "b"], slug)["vectors"]) == 2
    doc = api.store_document("The harbour master keeps a red lantern.", {"kind": "note", "id": "lamp"}, slug)
    assert doc["id"] == "lamp"
    ids = api.bulk_store_documents([{"content": "Nets dry on the wall.", "metadata": {"tide": "low"}}], slug)["ids"]
    assert len(ids) == 1
    assert api.search_by_embedding(api.embed_text("red lantern", slug)["vector"], slug, 1)[0]["id"] == "lamp"
    assert api.batch_similarity_search(["red lantern"], slug)[0][0]["id"] == "lamp"
    edge = api.create_relationship("lamp", "character:ada", "BELONGS_TO", slug)
    assert edge["type"] == "BELONGS_TO"
    assert "lamp" in [n["node"]["key"] for n in api.get_node_neighbors("character:ada", slug)]
    rows = api.query_graph("MATCH (d)-[:BELONGS_TO]->(c) RETURN d.key AS doc, c.key AS who", slug)
    assert {"doc": "lamp", "who": "character:ada"} in rows
    from moviegen.core.errors import KnowledgeError

    with pytest.raises(KnowledgeError):
        api.query_graph("MATCH (n) DETACH DELETE n", slug)
    api.store_workflow_data("w1", {"description": "a dusk render", "outcome": "ok"}, slug)
    assert api.search_similar_workflows("dusk render", slug)[0]["workflow_id"] == "w1"
    with pytest.raises(NotFoundError):
        api.create_relationship("lamp", "character:nobody", "BELONGS_TO", slug)


def test_cast_voice_sample_is_a_wav(api):
    slug = fresh_slug(api, "cast")
    api.project_import(TWO_LINES, slug=slug)
    sample = api.voice_sample(slug, "ADA")
    assert base64.b64decode(sample["wav_base64"])[:4] == b"RIFF" and sample["file"].endswith(".wav")
    with pytest.raises(UsageError):
        api.voice_sample(slug, "NOBODY")


def test_every_change_is_an_event_for_that_project(api):
    slug = fresh_slug(api, "ev")
    other = fresh_slug(api, "ev-other")
    api.project_import(TWO_LINES, slug=slug)
    api.project_import(TWO_LINES, slug=other)

    async def listen() -> list[dict]:
        seen: list[dict] = []
        stream = api.events(slug)

        async def collect():
            async for event in stream:
                seen.append(event)
                if event["kind"] == "shots.planned":
                    return

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.5)  # subscribed

        def edits():
            sp = api.screenplay_get(other)
            api.screenplay_update(other, sp["text"] + "\n", sp["digest"])  # another project: not heard
            sp = api.screenplay_get(slug)
            api.screenplay_update(slug, sp["text"] + "\n", sp["digest"])
            api.shots_plan(slug)

        await asyncio.to_thread(edits)
        await asyncio.wait_for(task, 10)
        return seen

    seen = asyncio.run(listen())
    assert [e["kind"] for e in seen] == ["screenplay.updated", "shots.planned"]
    assert {e["project"] for e in seen} == {slug}


def test_access_denied_is_the_same_class_over_the_wire(server):
    """A scoped token reaching for another project gets AccessDeniedError, as in-process code would raise."""
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.remote import RemoteBrain
    from moviegen.brain.server.auth import TokenStore

    env_home = server.env["MOVIEGEN_HOME"]
    local = RemoteBrain(server.ws)
    local.project_import(TWO_LINES, slug="mine")
    local.project_import(TWO_LINES, slug="theirs")
    local.close()
    import os

    os.environ["MOVIEGEN_PROJECTS_DIR"] = server.env["MOVIEGEN_PROJECTS_DIR"]
    from moviegen.core.settings import reset_settings

    reset_settings()
    ident = LocalBrain().identity("mine")
    from pathlib import Path

    token = TokenStore(Path(env_home) / "tokens.json").create("writer-a", "writer", [("mine", ident)])
    remote = RemoteBrain(server.ws, token)
    try:
        assert remote.screenplay_get("mine")["text"]
        with pytest.raises(AccessDeniedError):
            remote.screenplay_get("theirs")
        with pytest.raises(AccessDeniedError):
            remote.screenplay_get("does-not-exist")  # the same answer: no probing
        with pytest.raises(AccessDeniedError):
            remote.shots_plan("mine")  # a writer does not plan
    finally:
        remote.close()


def test_story_development_pauses_for_approval_the_same_way(api):
    slug = fresh_slug(api, "steps")
    api.project_create("A lighthouse keeper teaches a runaway to read the storm signals", slug=slug)
    first = api.story_develop(slug, step=True)
    assert (first["state"], first["stage"]) == ("paused", "logline") and first["result"]["title"]
    assert api.story_review(slug)["stage"] == "logline"
    second = api.story_approve(slug)
    assert second["stage"] == "characters" and second["result"]["characters"]
    redone = api.story_redo(slug, note="older")
    assert redone["stage"] == "characters" and redone["variants"] == {"characters": 1}
    done = api.story_approve(slug, step=False)
    assert done["state"] == "done" and done["screenplay"] and api.project_status(slug)["stage"] == "developed"
    with pytest.raises(ProjectStateError):
        api.story_redo(slug)
    api.project_delete(slug)
