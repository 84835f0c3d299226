"""The SDK's own client, over WebSocket, streamable HTTP and stdio, lists the tools and calls every one."""

from __future__ import annotations

import base64
import json

import anyio
import pytest

from tests.server.conftest import session

EXPECTED = {
    "embed_text", "batch_embed_texts", "search_by_embedding", "batch_similarity_search", "create_relationship",
    "query_graph", "get_node_neighbors", "store_document", "bulk_store_documents", "store_workflow_data",
    "search_similar_workflows", "project_create", "project_list", "project_status", "story_develop",
    "screenplay_get", "screenplay_update", "shots_plan", "render_start", "job_status", "job_list", "job_cancel",
    "search_story", "continuity_check", "analyze_media", "generate_text", "generate_image", "generate_speech",
    "generate_music", "whoami",
}  # fmt: skip


async def call(s, name: str, args: dict) -> dict | list:
    result = await s.call_tool(name, args)
    assert not result.is_error, f"{name}: {result.content[0].text if result.content else result}"
    data = result.structured_content
    if isinstance(data, dict) and set(data) == {"result"}:
        return data["result"]
    return data


async def exercise_every_tool(s, slug: str) -> set[str]:
    called: set[str] = set()

    async def c(name, args):
        called.add(name)
        return await call(s, name, args)

    vec = (await c("embed_text", {"text": "a lantern in the storm"}))["vector"]
    assert len(vec) == 256
    assert len((await c("batch_embed_texts", {"texts": ["one", "two"]}))["vectors"]) == 2
    created = await c("project_create", {"premise": f"A baker races a storm to save her shop {slug}", "title": slug})
    p = created["slug"]
    assert p in {x["slug"] for x in await c("project_list", {})}
    story = await c("story_develop", {"project_id": p})
    assert story["logline"]
    assert (await c("shots_plan", {"project_id": p}))["shots"] > 0
    assert (await c("project_status", {"project_id": p}))["stage"] == "planned"
    sp = await c("screenplay_get", {"project_id": p})
    updated = await c(
        "screenplay_update", {"project_id": p, "text": sp["text"] + "\nTHE END\n", "expect_digest": sp["digest"]}
    )
    assert updated["digest"] != sp["digest"]
    stored = await c(
        "store_document",
        {"project_id": p, "document": {"id": "note-1", "text": "The oven is haunted.", "kind": "note"}},
    )
    assert stored["ids"] == ["note-1"]
    bulk = await c("bulk_store_documents", {"project_id": p, "documents": [{"text": f"note {i}"} for i in range(3)]})
    assert len(bulk["ids"]) == 3
    hits = (await c("search_story", {"project_id": p, "query": "haunted oven", "k": 3}))["hits"]
    assert hits[0]["id"] == "note-1"
    assert (await c("search_by_embedding", {"project_id": p, "vector": vec, "k": 2}))["hits"]
    assert len(await c("batch_similarity_search", {"project_id": p, "vectors": [vec, vec], "k": 2})) == 2
    await c("store_document", {"project_id": p, "document": {"id": "n2", "text": "x"}})
    nodes = await c(
        "query_graph", {"project_id": p, "query": {"start": {"kind": "scene"}, "min_depth": 0, "max_depth": 0}}
    )
    assert nodes
    first_scene = nodes[0]["start"]["key"]
    character = (
        await c(
            "query_graph", {"project_id": p, "query": {"start": {"kind": "character"}, "min_depth": 0, "max_depth": 0}}
        )
    )[0]["start"]["key"]
    await c("create_relationship", {"project_id": p, "edge": {"src": character, "dst": first_scene, "type": "HAUNTS"}})
    near = await c("get_node_neighbors", {"project_id": p, "key": first_scene, "rel_types": ["HAUNTS"]})
    assert [n["node"]["key"] for n in near] == [character]
    await c(
        "store_workflow_data",
        {"project_id": p, "workflow_id": "w1", "data": {"description": "a test run", "outcome": "ok"}},
    )
    assert (await c("search_similar_workflows", {"project_id": p, "description": "test run"}))[0]["workflow_id"] == "w1"
    assert isinstance(await c("continuity_check", {"project_id": slug_sample}), list)
    text = await c("generate_text", {"task": "story.develop", "prompt": "A lighthouse keeper and a storm"})
    assert json.loads(text["text"])["title"]
    img = await c("generate_image", {"prompt": "a lighthouse at night", "width": 320, "height": 180})
    assert base64.b64decode(img["png_base64"])[:4] == b"\x89PNG"
    music = await c("generate_music", {"request": {"duration": 1.0, "mood": "warm"}})
    assert music["sample_rate"] == 48000 and len(base64.b64decode(music["pcm_f32_base64"])) > 1000
    assert (await c("whoami", {}))["providers"]["speech"] == "espeak-ng"
    speech = await c("generate_speech", {"text": "Hello there."})
    assert len(base64.b64decode(speech["pcm_f32_base64"])) > 1000
    job = await c("render_start", {"project_id": slug_sample, "resolution": "320x180"})
    for _ in range(600):
        status = await c("job_status", {"job_id": job["id"]})
        if status["status"] not in ("queued", "running"):
            break
        await anyio.sleep(0.2)
    assert status["status"] == "done", status
    film = status["result"]["film"].split("/renders/")[-1]
    media = await c("analyze_media", {"project_id": slug_sample, "path": f"renders/{film}"})
    assert media["width"] == 320 and media["streams"] and media["dominant_colours"] and media["loudness_lufs"] < -10
    assert (await c("job_cancel", {"job_id": job["id"]}))["status"] == "done"  # finished jobs stay finished
    listed = await c("job_list", {"project_id": slug_sample})
    assert job["id"] in [j["id"] for j in listed] and all(j["project"] == slug_sample for j in listed)
    return called


slug_sample = "lantern-road"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("transport", ["ws", "http", "stdio"])
def test_every_tool_over_every_transport(brain, transport):
    async def main():
        async with session(brain, transport) as s:
            listed = {t.name for t in (await s.list_tools()).tools}
            assert EXPECTED <= listed
            resources = await s.list_resource_templates()
            assert {r.uri_template for r in resources.resource_templates} >= {
                "moviegen://projects/{project_id}/screenplay", "moviegen://projects/{project_id}/shots"
            }  # fmt: skip
            prompts = {p.name for p in (await s.list_prompts()).prompts}
            assert {"review_scene", "pitch"} <= prompts
            called = await exercise_every_tool(s, f"{transport}-proj")
            assert called == EXPECTED
            screenplay = await s.read_resource("moviegen://projects/lantern-road/screenplay")
            assert "LAMP ROOM" in screenplay.contents[0].text
            review = await s.get_prompt("review_scene", {"project_id": "lantern-road", "scene": "2"})
            assert "TOMAS" in review.messages[0].content.text.upper()

    anyio.run(main)
