"""Light tool calls over WebSocket answered by the connection itself (brain/server/quick_calls.py) say exactly
what the SDK's session says for them: the same frames, call for call, with the path on and off — answers,
tool errors, refused arguments, malformed calls, an unknown project, a refused caller, calls before the
handshake or pipelined with it — and /metrics counts the quick ones, phase by phase."""

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
PROJECT = "lantern-road"


def calls(vector: list[float]) -> list[tuple[dict, bool]]:
    """(the params of a tools/call, whether the quick path answers it once the handshake is made)."""
    p = PROJECT
    return [
        ({"name": "whoami", "arguments": {}}, True),
        ({"name": "providers"}, True),
        ({"name": "search_story", "arguments": {"project_id": p, "query": "lantern"}}, False),  # opens memory: SDK
        ({"name": "search_story", "arguments": {"project_id": p, "query": "lantern", "limit": 3}}, True),
        ({"name": "search_story", "arguments": {"project_id": p, "query": "who waits", "mode": "text"}}, True),
        ({"name": "search_by_embedding", "arguments": {"project_id": p, "embedding": vector, "limit": 5}}, True),
        ({"name": "embed_text", "arguments": {"project_id": p, "text": "the lantern"}}, True),
        ({"name": "search_by_embedding", "arguments": {"project_id": p, "embedding": [0.5] * 3}}, True),  # its error
        ({"name": "search_by_embedding", "arguments": {"project_id": p, "embedding": "not a list"}}, False),
        ({"name": "search_story", "arguments": {"project_id": p, "query": ""}}, False),  # refused: min_length
        ({"name": "search_story", "arguments": {"project_id": "no-such-project", "query": "x"}}, False),  # not open
        ({"name": "search_story", "arguments": {"project_id": p, "query": "x", "kinds": "scene"}}, False),
        ({"name": "search_story", "arguments": {"project_id": p, "query": "x", "mode": "keyword"}}, False),
        ({"name": "job_list", "arguments": {"project_id": p}}, False),  # not a light tool
        ({"name": ["whoami"]}, False),  # malformed: the SDK answers, the connection stays
        ({"name": {"tool": "whoami"}, "arguments": {}}, False),
        ({"name": "whoami", "arguments": []}, False),
        ({"name": "whoami", "arguments": 0}, False),
        ({"name": "whoami", "arguments": {}, "_meta": {"progressToken": 7}}, False),  # progress: the SDK's
    ]


def request(rid: int, params: dict) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call", "params": params})


async def frames(url: str, sent: list[dict], token: str | None = None, handshake: str = "wait") -> list[dict]:
    """Every frame the brain sends back for ``sent`` (tools/call params), one call at a time. ``handshake``:
    'wait' (initialize answered before the first call), 'none', or 'pipelined' (the first call sent right
    after initialize, before its answer: the answers are returned in the order they came)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answers = []
    async with connect(url, subprotocols=["mcp"], max_size=None, additional_headers=headers) as ws:
        if handshake == "wait":
            await ws.send(json.dumps(INIT))
            await ws.recv()
            await ws.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        elif handshake == "pipelined":
            await ws.send(json.dumps(INIT))
            await ws.send(request(10, sent[0]))
            answers += [json.loads(await asyncio.wait_for(ws.recv(), 60)) for _ in range(2)]
            sent = []
        for i, params in enumerate(sent):
            await ws.send(request(i + 10, params))
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
    sent = [params for params, _ in calls(vector)]
    phases = {  # name: (calls, token, handshake)
        "calls": (sent, None, "wait"),
        "refused caller": (sent[3:7], token, "wait"),  # a token for another project: every one access_denied
        "before the handshake": (sent[3:6], None, "none"),
        "pipelined": (sent[:1], None, "pipelined"),
    }
    answers: dict[str, dict] = {"1": {}, "0": {}}
    counted: dict[str, dict] = {"1": {}, "0": {}}
    for quick in ("1", "0"):  # the same world, the same calls: quick path on, then the SDK's session only
        brain = start_brain(tmp_path, env_extra={"MOVIEGEN_BRAIN_QUICK_CALLS": quick})
        try:
            for phase, (these, who, handshake) in phases.items():
                before = quick_count(brain.url)
                answers[quick][phase] = asyncio.run(frames(brain.ws, these, who, handshake))
                counted[quick][phase] = quick_count(brain.url) - before
        finally:
            stop_brain(brain)

    for phase in phases:
        quick, slow = answers["1"][phase], answers["0"][phase]
        assert len(quick) == len(slow), phase
        for params, q, s in zip(phases[phase][0] if phase != "pipelined" else [{}, {}], quick, slow, strict=True):
            assert normalised(q) == normalised(s), f"{phase}: {params.get('name')} differs: {difference(q, s)}"
    assert counted["0"] == dict.fromkeys(phases, 0)
    assert counted["1"]["calls"] == sum(q for _, q in calls(vector))  # every light call once memory was open
    assert counted["1"]["refused caller"] == 4
    assert counted["1"]["before the handshake"] == 0
    assert [a.get("id") for a in answers["1"]["pipelined"]] == [1, 10]  # initialize answered first

    quick = answers["1"]["calls"]
    assert all(a["result"]["structuredContent"]["error"]["code"] == "access_denied"
               for a in answers["1"]["refused caller"])  # fmt: skip
    # the answers are real ones: results for the searches, the tool's own error for a vector of the wrong size
    assert quick[3]["result"]["structuredContent"]["result"] and not quick[3]["result"].get("isError")
    assert quick[7]["result"]["isError"] and "256" in quick[7]["result"]["content"][0]["text"]
    assert quick[8]["result"]["isError"]  # refused by the SDK's validation, answered by the SDK
    assert all("error" in a or a["result"].get("isError") for a in quick[14:18])  # malformed: answered, not dropped
