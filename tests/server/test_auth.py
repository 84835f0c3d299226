"""The door: off loopback a token is required; tokens are stored hashed; access is per project."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.server.conftest import session, start_brain, stop_brain


def cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "moviegen", *args], env=env, capture_output=True, text=True, check=True
    )


@pytest.mark.integration
def test_bound_off_loopback_the_brain_requires_a_token(tmp_path):
    env = {**os.environ, "MOVIEGEN_HOME": str(tmp_path / "home"), "MOVIEGEN_PROJECTS_DIR": str(tmp_path / "projects")}
    cli(env, "new", "A courier races a flood", "--slug", "ours")
    cli(env, "new", "A baker fights a supermarket", "--slug", "theirs")
    token = json.loads(cli(env, "token", "create", "farm", "--project", "ours", "--json").stdout)["token"]
    stored = (tmp_path / "home" / "tokens.json").read_text()
    assert token not in stored and "sha256" in stored
    assert oct((tmp_path / "home" / "tokens.json").stat().st_mode)[-3:] == "600"
    assert token not in cli(env, "token", "list").stdout
    brain = start_brain(tmp_path, "--insecure", host="0.0.0.0")  # plain HTTP off loopback: see test_tls.py
    try:

        async def main():
            with pytest.raises(InvalidStatus) as shut:  # refused at the door, before the handshake completes
                async with connect(brain.ws, subprotocols=["mcp"]) as ws:
                    await ws.recv()
            assert shut.value.response.status_code == 401
            assert json.loads(shut.value.response.body)["error"]["code"] == "token_required"
            r = httpx.post(brain.url + "/mcp", json={}, timeout=5)
            assert r.status_code == 401 and r.json()["error"]["code"] == "token_required"
            with pytest.raises(InvalidStatus) as shut:
                async with connect(brain.ws, additional_headers={"Authorization": "Bearer mgt_wrong"}) as ws:
                    await ws.recv()
            assert json.loads(shut.value.response.body)["error"]["code"] == "invalid_token"
            for path in ("/metrics", "/events"):  # every door but /healthz
                assert httpx.get(brain.url + path, timeout=5).status_code == 401, path
            async with session(brain, "ws", token=token) as s:
                listed = (await s.call_tool("project_list", {})).structured_content["result"]
                assert [p["slug"] for p in listed] == ["ours"]
                assert not (await s.call_tool("project_status", {"project_id": "ours"})).is_error
                denied = await s.call_tool("project_status", {"project_id": "theirs"})
                assert denied.is_error and "may not read project 'theirs'" in denied.content[0].text
                nowhere = await s.call_tool("project_status", {"project_id": "nowhere"})
                assert "may not read" in nowhere.content[0].text  # no probing for other projects' names
            async with session(brain, "http", token=token) as s:
                assert (await s.call_tool("search_story", {"project_id": "theirs", "query": "bread"})).is_error

        anyio.run(main)
        assert token not in brain.log.read_text()
    finally:
        stop_brain(brain)


def test_a_busy_port_is_one_clear_line(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        env = {**os.environ, "MOVIEGEN_HOME": str(tmp_path / "home")}
        proc = subprocess.run(
            [sys.executable, "-m", "moviegen", "brain", "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert (
        proc.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "Traceback" not in proc.stderr
    )
