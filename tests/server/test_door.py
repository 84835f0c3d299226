"""The door at the transport: a tokenless brain answers only local pages and local names (no web page on
another site, no DNS rebinding); a request head is bounded in time and size. The rule's matrix runs in
process; the rest against the real server over real sockets, as a browser or an attacker would knock."""

from __future__ import annotations

import json
import socket
import time

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from moviegen.brain.server import door
from moviegen.brain.server.auth import LOCAL_USER, TokenStore, is_loopback

# ---------------------------------------------------------------- the rule, every combination


@pytest.mark.parametrize(
    ("value", "local"),
    [("localhost", True), ("localhost:8002", True), ("LOCALHOST:1", True), ("127.0.0.1:8002", True),
     ("127.9.8.7", True), ("[::1]:8002", True), ("[::1]", True), ("evil.example", False),
     ("evil.example:8002", False), ("127.0.0.1.nip.io", False), ("127.evil.example", False), ("localhost.", False),
     ("0.0.0.0:8002", False), ("::1", False), ("a@localhost", False), ("localhost:", False), ("", False)],
)  # fmt: skip
def test_which_hosts_are_local(value, local):
    assert door.is_local_host(value) is local


@pytest.mark.parametrize(
    ("value", "local"),
    [("http://localhost:5173", True), ("https://127.0.0.1", True), ("http://[::1]:3000", True),
     ("null", False), ("https://evil.example", False), ("http://localhost.evil.example", False),
     ("http://localhost:8002/", False), ("ws://localhost", False), ("file://", False), ("", False)],
)  # fmt: skip
def test_which_origins_are_local(value, local):
    assert door.is_local_origin(value) is local


@pytest.mark.parametrize(
    ("peer", "loopback"),
    [("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("::ffff:127.0.0.1", True), ("localhost", True),
     ("10.0.0.7", False), ("::ffff:10.0.0.7", False), ("127.evil.example", False), ("0.0.0.0", False), (None, False)],
)  # fmt: skip
def test_which_peers_are_loopback(peer, loopback):
    assert is_loopback(peer) is loopback


@pytest.fixture
def tokens(tmp_path):
    store = TokenStore(tmp_path / "tokens.json")
    return store, store.create("farm")


PEERS = {"loopback": "127.0.0.1", "remote": "10.0.0.7"}
HOSTS = {"local": "127.0.0.1:8002", "foreign": "evil.example:8002", "none": None}
ORIGINS = {"none": None, "local": "http://localhost:5173", "foreign": "https://evil.example", "null": "null"}
TOKENS = {"none": None, "valid": "valid", "wrong": "mgt_wrong"}


@pytest.mark.parametrize("require_token", [False, True], ids=["tokenless", "require-token"])
@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("peer", PEERS)
def test_the_door_matrix(tokens, peer, host, origin, token, require_token):
    store, valid = tokens
    headers = {"host": HOSTS[host], "origin": ORIGINS[origin]}
    if TOKENS[token]:
        headers["authorization"] = f"Bearer {valid if token == 'valid' else TOKENS[token]}"
    verdict = door.admit({k: v for k, v in headers.items() if v is not None}, PEERS[peer], store, require_token)
    if token == "valid":  # a script with a token: wherever it is and whatever it says its origin is
        assert verdict.name == "farm"
    elif token == "wrong":
        assert (verdict.status, verdict.code) == (401, "invalid_token")
    elif require_token or peer == "remote":
        assert (verdict.status, verdict.code) == (401, "token_required")
    elif host != "local":
        assert (verdict.status, verdict.code) == (403, "forbidden_host")
    elif origin in ("foreign", "null"):
        assert (verdict.status, verdict.code) == (403, "forbidden_origin")
    else:
        assert verdict is LOCAL_USER


# ---------------------------------------------------------------- the real server


def error_of(body: bytes | str) -> dict:
    return json.loads(body)["error"]


@pytest.mark.integration
def test_a_web_page_on_another_site_cannot_drive_a_local_brain(brain):
    port = brain.url.rsplit(":", 1)[1]

    async def main():
        for path in ("/mcp/ws", "/events"):
            for origin in ("https://evil.example", "null"):
                with pytest.raises(InvalidStatus) as shut:  # refused before the handshake: the socket never opens
                    async with connect(brain.url.replace("http", "ws") + path, origin=origin):
                        pass
                assert shut.value.response.status_code == 403
                assert error_of(shut.value.response.body)["code"] == "forbidden_origin"
        async with connect(brain.ws, subprotocols=["mcp"], origin="http://localhost:5173") as ws:  # a local page
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
            assert json.loads(await ws.recv())["id"] == 1

    anyio.run(main)
    for path, method in (("/mcp", "POST"), ("/metrics", "GET"), ("/nowhere", "GET")):
        r = httpx.request(method, brain.url + path, headers={"Origin": "https://evil.example"}, timeout=5)
        assert r.status_code == 403 and error_of(r.content)["code"] == "forbidden_origin", path
    assert httpx.get(brain.url + "/metrics", headers={"Origin": f"http://127.0.0.1:{port}"}, timeout=5).is_success
    health = httpx.get(brain.url + "/healthz", headers={"Origin": "https://evil.example"}, timeout=5)
    assert health.is_success and set(health.json()) == {"status", "version"}  # open, and says nothing more


@pytest.mark.integration
def test_a_rebound_name_is_refused_by_its_host(brain):
    port = brain.url.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", f"127.0.0.1.nip.io:{port}"):
        r = httpx.get(brain.url + "/metrics", headers={"Host": host}, timeout=5)
        assert r.status_code == 403 and error_of(r.content) == {
            "code": "forbidden_host", "message": f"without a token the brain answers only a local Host (got '{host}')",
            "hint": "connect to localhost, 127.0.0.1 or [::1], or present a token",
        }  # fmt: skip
    for host in (f"localhost:{port}", f"[::1]:{port}", "127.0.0.1"):
        assert httpx.get(brain.url + "/metrics", headers={"Host": host}, timeout=5).is_success, host
    status = upgrade(brain, host=f"evil.example:{port}").split(b"\r\n", 1)[0]
    assert status == b"HTTP/1.1 403 Forbidden"


@pytest.mark.integration
def test_a_token_opens_the_door_whatever_the_origin(brain):
    token = json.loads(brain.cli("token", "create", "door-test", "--json").stdout)["token"]

    async def main():
        bearer = {"Authorization": f"Bearer {token}"}
        async with connect(
            brain.ws, subprotocols=["mcp"], origin="https://evil.example", additional_headers=bearer
        ) as ws:
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
            assert json.loads(await ws.recv())["id"] == 1
        with pytest.raises(InvalidStatus) as shut:
            async with connect(brain.ws, additional_headers={"Authorization": "Bearer mgt_wrong"}):
                pass
        assert shut.value.response.status_code == 401
        assert error_of(shut.value.response.body)["code"] == "invalid_token"

    anyio.run(main)
    r = httpx.get(brain.url + "/metrics", headers={"Authorization": f"Bearer {token}", "Host": "evil.example"})
    assert r.is_success and "moviegen_brain_ws_rejected_total" in r.text
    assert token not in brain.log.read_text()


# ---------------------------------------------------------------- the request head: its size and its time


def upgrade(brain, *, host: str | None = None, extra: str = "", timeout: float = 15) -> bytes:
    """A raw WebSocket upgrade request; what the server answers before it closes (or the timeout)."""
    port = int(brain.url.rsplit(":", 1)[1])
    head = (
        f"GET /mcp/ws HTTP/1.1\r\nHost: {host or f'127.0.0.1:{port}'}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode())
        return s.recv(4096)


@pytest.mark.integration
@pytest.mark.parametrize("size", [10_000, 16_500, 40_000, 65_000])
def test_an_oversized_upgrade_head_is_answered_at_once(brain, size):
    started = time.monotonic()
    answer = upgrade(brain, extra=f"X-Big: {'a' * size}\r\n", timeout=5)  # was: no answer at all, held open
    assert answer.startswith(b"HTTP/1.1 431 ") and time.monotonic() - started < 2
    assert error_of(answer.split(b"\r\n\r\n", 1)[1])["code"] == "header_too_large"
    assert upgrade(brain, extra=f"X-Fine: {'a' * 4000}\r\n").startswith(b"HTTP/1.1 101 ")


@pytest.mark.integration
def test_an_oversized_http_head_is_answered_431(brain):
    port = int(brain.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {'a' * 40_000}\r\n\r\n".encode())
        assert s.recv(100).startswith(b"HTTP/1.1 431 ")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:  # in pieces, the last one over the limit
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for piece in [4000] * 4 + [500]:
            time.sleep(0.05)
            s.sendall(b"X-Piece: " + b"a" * piece + b"\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 431 ")


@pytest.mark.integration
@pytest.mark.parametrize("start", [b"", b"GET /mcp/ws HT", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"])
def test_a_handshake_that_never_finishes_is_closed(brain, start):
    port = int(brain.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(start)
        started = time.monotonic()
        answer = b""
        while chunk := s.recv(4096):  # until the server closes (a timeout here fails the test)
            answer += chunk
        waited = time.monotonic() - started
    assert door.HEAD_TIMEOUT - 0.5 < waited < 10
    assert answer.startswith(b"HTTP/1.1 408 ")


@pytest.mark.integration
def test_a_websocket_outlives_the_head_deadline(brain):
    async def main():
        async with connect(brain.ws, subprotocols=["mcp"]) as ws:
            await anyio.sleep(door.HEAD_TIMEOUT + 1.5)
            await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
            assert json.loads(await ws.recv())["id"] == 1

    anyio.run(main)


@pytest.mark.integration
def test_refusals_leave_the_log_quiet(brain):
    before = brain.log.read_text()

    async def main():
        for _ in range(3):
            with pytest.raises(InvalidStatus):
                async with connect(brain.ws, origin="https://evil.example"):
                    pass

    anyio.run(main)
    upgrade(brain, extra=f"X-Big: {'a' * 20_000}\r\n")
    time.sleep(0.5)
    added = brain.log.read_text()[len(before) :]
    assert "ERROR" not in added and "Traceback" not in added, added
