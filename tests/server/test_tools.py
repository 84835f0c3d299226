"""The SDK's own client, over WebSocket, streamable HTTP and stdio, lists the tools and calls every one."""

from __future__ import annotations

import base64
import json

import anyio
import pytest

from tests.server.conftest import session

CONTRACT = {  # the platform's published tool list: these names with exactly these arguments
    "embed_text": {"text", "project_id"},
    "batch_embed_texts": {"texts", "project_id"},
    "search_by_embedding": {"embedding", "project_id", "limit"},
    "batch_similarity_search": {"queries", "project_id"},
    "create_relationship": {"from_node", "to_node", "relationship", "project_id"},
    "query_graph": {"cypher_query", "project_id"},
    "get_node_neighbors": {"node_id", "project_id"},
    "store_document": {"content", "metadata", "project_id"},
    "bulk_store_documents": {"documents", "project_id"},
    "store_workflow_data": {"workflow_id", "data", "project_id"},
    "search_similar_workflows": {"description", "project_id"},
}
EXPECTED = set(CONTRACT) | {
    "project_create", "project_list", "project_status", "story_develop", "screenplay_get", "screenplay_update",
    "shots_plan", "render_start", "job_status", "job_list", "job_cancel", "search_story", "continuity_check",
    "analyze_media", "generate_text", "generate_image", "generate_speech", "generate_music", "whoami",
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

    created = await c("project_create", {"premise": f"A baker races a storm to save her shop {slug}", "title": slug})
    p = created["slug"]
    vec = (await c("embed_text", {"text": "a lantern in the storm", "project_id": p}))["vector"]
    assert len(vec) == 256
    assert len((await c("batch_embed_texts", {"texts": ["one", "two"], "project_id": p}))["vectors"]) == 2
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
    stored = await c("store_document", {"content": "The oven is haunted.", "metadata": {"id": "note-1", "kind": "note",
                                                                                       "room": "bakery"},
                                        "project_id": p})  # fmt: skip
    assert stored["id"] == "note-1" and stored["metadata"] == {"room": "bakery"}
    bulk = await c("bulk_store_documents", {"documents": [{"content": f"note {i}", "metadata": {}} for i in range(3)],
                                            "project_id": p})  # fmt: skip
    assert len(bulk["ids"]) == 3
    hits = await c("search_story", {"project_id": p, "query": "haunted oven", "limit": 3})
    assert hits[0]["id"] == "note-1"
    assert await c("search_by_embedding", {"embedding": vec, "project_id": p, "limit": 2})
    batch = await c("batch_similarity_search", {"queries": ["haunted oven", "storm"], "project_id": p})
    assert len(batch) == 2 and batch[0][0]["id"] == "note-1"
    character = next(r for r in await c("query_graph", {"cypher_query": "MATCH (c:character) RETURN c.key AS key",
                                                          "project_id": p}))["key"]  # fmt: skip
    await c("create_relationship", {"from_node": "note-1", "to_node": character, "relationship": "ABOUT",
                                     "project_id": p})  # fmt: skip
    near = await c("get_node_neighbors", {"node_id": "note-1", "project_id": p})
    assert [n["node"]["key"] for n in near] == [character]
    await c("store_workflow_data", {"workflow_id": "w1", "data": {"description": "a test run", "outcome": "ok"},
                                    "project_id": p})  # fmt: skip
    assert (await c("search_similar_workflows", {"project_id": p, "description": "test run"}))[0]["workflow_id"] == "w1"
    assert isinstance(await c("continuity_check", {"project_id": slug_sample}), list)
    text = await c(
        "generate_text", {"project_id": p, "task": "story.develop", "prompt": "A lighthouse keeper and a storm"}
    )
    assert json.loads(text["text"])["title"]
    img = await c("generate_image", {"project_id": p, "prompt": "a lighthouse at night", "width": 320, "height": 180})
    assert base64.b64decode(img["png_base64"])[:4] == b"\x89PNG"
    music = await c("generate_music", {"project_id": p, "request": {"duration": 1.0, "mood": "warm"}})
    assert music["sample_rate"] == 48000 and len(base64.b64decode(music["pcm_f32_base64"])) > 1000
    assert (await c("whoami", {}))["providers"]["speech"] == "espeak-ng"
    speech = await c("generate_speech", {"project_id": p, "text": "Hello there."})
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
            tools = {t.name: t for t in (await s.list_tools()).tools}
            assert EXPECTED <= set(tools)
            for name, args in CONTRACT.items():  # exactly these names, types as published
                assert args <= set(tools[name].input_schema["properties"]), name
                assert set(tools[name].input_schema["required"]) == args - {"limit"}, name
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
