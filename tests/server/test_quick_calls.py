"""Light tool calls over WebSocket answered by the connection itself (brain/server/quick_calls.py) say exactly
what the SDK's session says for them: the same frames, call for call, with the path on and off — answers,
tool errors, refused arguments, an unknown project, a refused caller — and /metrics counts the quick ones."""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import re
import subprocess
import sys

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.server.conftest import sample_world, start_brain, stop_brain
from tests.server.test_robustness import INIT

pytestmark = pytest.mark.integration

VEC_DIM = 256  # the offline embedder's


def calls(vector: list[float]) -> list[tuple[str, dict, bool]]:
    """(tool, arguments, whether the quick path may answer it) — each sent as a raw JSON-RPC frame."""
    return [
        ("whoami", {}, True),
        ("providers", {}, True),
        ("search_story", {"project_id": "lantern-road", "query": "lantern"}, False),  # opens the memory: SDK
        ("search_story", {"project_id": "lantern-road", "query": "lantern", "limit": 3}, True),
        ("search_story", {"project_id": "lantern-road", "query": "who waits at the tower", "mode": "text"}, True),
        ("search_by_embedding", {"project_id": "lantern-road", "embedding": vector, "limit": 5}, True),
        ("embed_text", {"project_id": "lantern-road", "text": "the lantern"}, True),
        ("search_by_embedding", {"project_id": "lantern-road", "embedding": [0.5, 0.5, 0.5]}, True),  # tool error
        ("search_by_embedding", {"project_id": "lantern-road", "embedding": "not a list"}, False),  # refused
        ("search_story", {"project_id": "lantern-road", "query": ""}, False),  # refused: min_length
        ("search_story", {"project_id": "no-such-project", "query": "lantern"}, False),  # not open: SDK
        ("search_story", {"project_id": "lantern-road", "query": "lantern", "kinds": "scene"}, False),  # refused
        ("search_story", {"project_id": "lantern-road", "query": "lantern", "mode": "keyword"}, False),  # refused
        ("job_list", {"project_id": "lantern-road"}, False),  # not a light tool
    ]


async def frames(url: str, vector: list[float], token: str | None = None, handshake: bool = True) -> list[dict]:
    """The answers to calls(vector) (with ``token``: four of them; without the ``handshake``: three)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answers = []
    async with connect(url, subprotocols=["mcp"], max_size=None, additional_headers=headers) as ws:
        if handshake:
            await ws.send(json.dumps(INIT))
            await ws.recv()
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        sent = calls(vector) if token is None else calls(vector)[3:7]
        for i, (name, arguments, _) in enumerate(sent if handshake else sent[2:5]):
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": i + 10, "method": "tools/call",
                                      "params": {"name": name, "arguments": arguments}}))  # fmt: skip
            answers.append(json.loads(await asyncio.wait_for(ws.recv(), 60)))
    return answers


def normalised(answer: dict) -> dict:
    """The process id whoami reports differs between two brain processes; nothing else may."""
    text = json.dumps(answer)
    return json.loads(re.sub(r'(\\?"pid\\?": )\d+', r"\g<1>0", text))


def difference(quick: dict, slow: dict) -> str:
    a, b = (json.dumps(normalised(x), indent=1, sort_keys=True).splitlines() for x in (quick, slow))
    return "\n".join(difflib.unified_diff(a, b, "quick", "sdk", lineterm="", n=0))


def quick_count(url: str) -> int:
    body = httpx.get(url + "/metrics", timeout=10).text
    return int(float(re.search(r"^moviegen_brain_ws_quick_calls_total (\S+)$", body, re.M).group(1)))


def test_the_quick_path_answers_exactly_as_the_sdk_does(tmp_path):
    from moviegen.brain.embedding.static import static_embedder

    vector = static_embedder().embed(["who carries the lantern up the tower?"])[0].tolist()
    assert len(vector) == VEC_DIM
    sample_world(tmp_path)
    env = {**os.environ, "MOVIEGEN_HOME": str(tmp_path / "home"), "MOVIEGEN_PROJECTS_DIR": str(tmp_path / "projects")}
    subprocess.run([sys.executable, "-m", "moviegen", "new", "A baker fights a supermarket", "--slug", "another"],
                   env=env, check=True, capture_output=True)  # fmt: skip
    token = json.loads(subprocess.run(
        [sys.executable, "-m", "moviegen", "token", "create", "elsewhere", "--project", "another", "--json"],
        env=env, capture_output=True, text=True, check=True).stdout)["token"]  # fmt: skip
    answers, counted = {}, {}
    for quick in ("1", "0"):  # the same world, the same calls: quick path on, then the SDK's session only
        brain = start_brain(tmp_path, env_extra={"MOVIEGEN_BRAIN_QUICK_CALLS": quick})
        try:
            before = quick_count(brain.url)
            answers[quick] = (asyncio.run(frames(brain.ws, vector)), asyncio.run(frames(brain.ws, vector, token)),
                              asyncio.run(frames(brain.ws, vector, handshake=False)))  # fmt: skip
            counted[quick] = quick_count(brain.url) - before
        finally:
            stop_brain(brain)

    (quick, quick_refused, quick_early), (slow, slow_refused, slow_early) = answers["1"], answers["0"]
    # every light call once the memory was open and the handshake made; none before it
    assert counted == {"1": sum(q for *_, q in calls(vector)) + 4, "0": 0}
    assert [normalised(q) for q in quick_early] == [normalised(s) for s in slow_early]
    for (name, _args, _), q, s in zip(calls(vector), quick, slow, strict=True):
        assert normalised(q) == normalised(s), f"{name} differs: {difference(q, s)}"
    assert [normalised(q) for q in quick_refused] == [normalised(s) for s in slow_refused]
    assert all(a["result"]["structuredContent"]["error"]["code"] == "access_denied" for a in quick_refused)
    # the answers are real ones: results for the searches, the tool's own error for a vector of the wrong size
    assert quick[3]["result"]["structuredContent"]["result"] and not quick[3]["result"].get("isError")
    assert quick[7]["result"]["isError"] and "256" in quick[7]["result"]["content"][0]["text"]
    assert quick[8]["result"]["isError"]  # refused by the SDK's validation, answered by the SDK
