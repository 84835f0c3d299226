"""Bad input on the wire: malformed JSON, unknown methods, wrong types, oversized messages, disconnects
mid-call, random and mutated frames, many idle connections — a JSON-RPC error or a clean close, never a crash."""

from __future__ import annotations

import asyncio
import json
import random
import time

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.server.conftest import session

INIT = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}  # fmt: skip


async def raw(brain):
    ws = await connect(brain.ws, subprotocols=["mcp"], max_size=None)
    await ws.send(json.dumps(INIT))
    assert json.loads(await ws.recv())["id"] == 1
    await ws.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
    return ws


async def answer(ws) -> dict:
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


def alive(brain) -> None:
    assert httpx.get(brain.url + "/healthz", timeout=5).json()["status"] == "ok"

    async def call():
        async with session(brain) as s:
            assert not (await s.call_tool("whoami", {})).is_error

    anyio.run(call)


@pytest.mark.integration
def test_malformed_unknown_and_wrong_types_get_json_rpc_errors(brain):
    async def main():
        ws = await raw(brain)
        await ws.send("{not json")
        err = await answer(ws)
        assert err["error"]["code"] == -32700 and "Traceback" not in json.dumps(err)
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 7, "method": "no/such/method"}))
        err = await answer(ws)
        assert err["id"] == 7 and err["error"]["code"] == -32601
        await ws.send(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 8,
                    "method": "tools/call",
                    "params": {"name": "embed_text", "arguments": {"text": 42}},
                }
            )
        )
        res = await answer(ws)
        assert res["id"] == 8 and res["result"]["isError"] and "valid string" in res["result"]["content"][0]["text"]
        await ws.send(
            json.dumps({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "nope", "arguments": {}}})
        )
        res = await answer(ws)
        assert res["id"] == 9 and ("error" in res or res["result"]["isError"])
        await ws.send(json.dumps([1, 2, 3]))
        assert (await answer(ws))["error"]["code"] == -32600
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": 10, "method": "tools/list"}))
        assert (await answer(ws))["result"]["tools"]
        await ws.close()

    anyio.run(main)
    alive(brain)


@pytest.mark.integration
def test_frames_that_are_not_one_json_rpc_message_get_invalid_request(brain):
    """The SDK's session drops what a transport cannot parse, unanswered; the adapter answers instead."""
    batch = [{"jsonrpc": "2.0", "id": 3, "method": "ping"}, {"jsonrpc": "2.0", "id": 4, "method": "ping"}]
    cases = [
        ("{}", None), ("[]", None), ("42", None), ('"ping"', None), ("null", None), ('{"jsonrpc": "2.0"}', None),
        (json.dumps(batch), None),  # MCP 2025-06-18 has no batches
        ('{"jsonrpc": "1.0", "id": "x", "method": "ping"}', "x"), ('{"jsonrpc": "2.0", "id": 5, "method": 7}', 5),
        ('{"jsonrpc": "2.0", "id": true, "method": "ping"}', None), ('{"jsonrpc": "2.0", "id": 1.5, "method": "ping"}', None),
        ('{"jsonrpc": "2.0", "id": null, "method": "ping"}', None),  # MCP: an id is never null
    ]  # fmt: skip

    async def main():
        ws = await raw(brain)
        for frame, rid in cases:
            await ws.send(frame)
            err = await answer(ws)
            assert (err["id"], err["error"]["code"]) == (rid, -32600), frame
        await ws.send(b"\xff\xfe not utf-8")
        assert (await answer(ws))["error"]["code"] == -32700
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": "after", "method": "ping"}))
        assert (await answer(ws))["id"] == "after"  # the connection is still up
        await ws.close()

    anyio.run(main)


@pytest.mark.integration
def test_deeply_nested_frames_get_a_parse_error_and_the_connection_stays(brain):
    """Python's json raised RecursionError near depth 1,000, which ended the connection with no close code. JSON
    is read by pydantic's parser now, as the SDK's HTTP transport reads a POST: over 200 deep is -32700 on both."""
    deep = ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000, "[" * 256 + "]" * 256]
    nested = "[" * 150 + "]" * 150  # deep, but within the limit: an ordinary request
    ok = f'{{"jsonrpc": "2.0", "id": "ok", "method": "ping", "params": {{"_meta": {{}}, "x": {nested}}}}}'

    async def main():
        ws = await raw(brain)
        for frame in deep:
            await ws.send(frame)
            err = await answer(ws)
            assert err["id"] is None and err["error"]["code"] == -32700 and "recursion" in err["error"]["message"]
        await ws.send(ok)
        assert (await answer(ws))["id"] == "ok"
        await ws.close()

    anyio.run(main)
    r = httpx.post(brain.url + "/mcp", content=deep[0], timeout=10,
                   headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})  # fmt: skip
    assert r.status_code == 400 and r.json()["error"]["code"] == -32700
    assert "Traceback" not in brain.log.read_text()


@pytest.mark.integration
def test_bad_requests_get_an_error_each_and_leave_no_traceback(brain):
    requests = [
        ("no/such/method", None), ("tools/call", {"name": "nope", "arguments": {}}),
        ("tools/call", {"name": "project_status", "arguments": {}}),
        ("tools/call", {"name": "project_status", "arguments": {"project_id": 42}}),
        ("tools/call", {"name": "project_status", "arguments": {"project_id": "nowhere"}}),
        ("tools/call", {"name": "project_status", "arguments": "lantern-road"}), ("tools/call", {}),
        ("resources/read", {"uri": "moviegen://nothing/here"}), ("resources/read", {"uri": "not a uri"}),
        ("resources/read", {"uri": "moviegen://projects/nowhere/screenplay"}), ("resources/read", {}),
        ("prompts/get", {"name": "pitch", "arguments": {"project_id": "nowhere"}}),
        ("prompts/get", {"name": "review_scene", "arguments": {"project_id": "lantern-road", "scene": "99"}}),
        ("logging/setLevel", {"level": "loudest"}), ("completion/complete", {}),
    ]  # fmt: skip
    before = len(brain.log.read_text())

    async def main():
        ws = await raw(brain)
        for i, (method, params) in enumerate(requests, 100):
            request = {"jsonrpc": "2.0", "id": i, "method": method}
            await ws.send(json.dumps(request if params is None else {**request, "params": params}))
            msg = await answer(ws)
            assert msg["id"] == i
            if "error" in msg:  # a JSON-RPC error with a stable, nonzero code
                assert isinstance(msg["error"]["code"], int) and msg["error"]["code"] != 0, (method, params, msg)
            else:
                assert msg["result"]["isError"], (method, params, msg)
        await ws.close()

    anyio.run(main)
    time.sleep(0.3)
    assert "Traceback" not in brain.log.read_text()[before:]


@pytest.mark.integration
def test_prompt_errors_carry_a_code_and_leave_no_traceback(brain):
    before = len(brain.log.read_text())

    async def main():
        ws = await raw(brain)
        for i, params in enumerate([{"name": "nope", "arguments": {}}, {"name": "review_scene", "arguments": {}},
                                    {"name": "review_scene"}], 200):  # fmt: skip
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": i, "method": "prompts/get", "params": params}))
            msg = await answer(ws)
            assert msg["id"] == i and msg["error"]["code"] == -32602, msg
        await ws.close()

    anyio.run(main)
    time.sleep(0.3)
    assert "Traceback" not in brain.log.read_text()[before:]


@pytest.mark.integration
def test_oversized_messages_close_the_connection_cleanly(brain):
    async def main():
        ws = await raw(brain)
        with pytest.raises(ConnectionClosed) as info:  # the close may come while we are still sending
            await ws.send(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": 2,
                        "method": "tools/call",
                        "params": {"name": "embed_text", "arguments": {"text": "x" * (5 << 20)}},
                    }
                )
            )
            await answer(ws)
        assert info.value.rcvd is not None and info.value.rcvd.code == 1009

    anyio.run(main)
    alive(brain)


@pytest.mark.integration
def test_a_client_that_disconnects_mid_call(brain):
    async def main():
        for _ in range(5):
            ws = await raw(brain)
            await ws.send(
                json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": 3,
                        "method": "tools/call",
                        "params": {
                            "name": "generate_image",
                            "arguments": {"prompt": "a storm", "width": 1024, "height": 576},
                        },
                    }
                )
            )
            await ws.close()

    anyio.run(main)
    alive(brain)


@pytest.mark.integration
def test_fuzzed_frames_never_crash_the_brain(brain):
    rng = random.Random(11)
    valid = [
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 5,
                "method": "tools/call",
                "params": {"name": "search_story", "arguments": {"project_id": "lantern-road", "query": "lamp"}},
            }
        ),
        json.dumps({"jsonrpc": "2.0", "id": 6, "method": "tools/list"}),
    ]

    def mutate(text: str) -> str:
        chars = list(text)
        for _ in range(rng.randint(1, 6)):
            op = rng.random()
            pos = rng.randrange(len(chars))
            if op < 0.4:
                chars[pos] = chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0x3000)]))
            elif op < 0.7:
                del chars[pos]
            else:
                chars.insert(pos, rng.choice('{}[]",:0-e\\'))
        return "".join(chars)

    async def main():
        ws = await raw(brain)
        for i in range(300):
            kind = rng.random()
            if kind < 0.5:
                frame: str | bytes = mutate(rng.choice(valid))
            elif kind < 0.7:
                frame = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
            elif kind < 0.85:
                frame = json.dumps(
                    {
                        "jsonrpc": "2.0",
                        "id": i,
                        "method": rng.choice(["tools/call", "resources/read", "prompts/get", "x"]),
                        "params": rng.choice([None, 1, "s", [], {"name": 3}]),
                    }
                )
            else:
                frame = json.dumps(
                    rng.choice([None, 1, "x", [], {}, {"id": None}, {"jsonrpc": "1.0", "id": 1, "method": "ping"}])
                )
            await ws.send(frame)
        await ws.send(json.dumps({"jsonrpc": "2.0", "id": "last", "method": "tools/list"}))
        while True:
            msg = await answer(ws)
            assert "Traceback" not in json.dumps(msg)
            if msg.get("id") == "last":
                break
        await ws.close()

    anyio.run(main)
    alive(brain)


@pytest.mark.integration
@pytest.mark.slow
def test_a_thousand_idle_connections(brain):
    async def main():
        sockets = []
        for _ in range(1000):
            sockets.append(await connect(brain.ws, subprotocols=["mcp"]))
        metrics = httpx.get(brain.url + "/metrics", timeout=5).text
        assert "moviegen_brain_ws_connections 1000" in metrics
        async with session(brain) as s:
            assert not (await s.call_tool("whoami", {})).is_error
        for ws in sockets:
            await ws.close()

    anyio.run(main)
    alive(brain)
