"""The audit trail through a real brain server: a refused call is recorded with the token's name and role, a
served change once (with the caller's name, not the server's user), and producers read the trail remotely."""

from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES
from tests.server.conftest import session, start_brain, stop_brain


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core.settings import Settings

    root = tmp_path_factory.mktemp("audit")
    local = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home"), workers=1)
    local.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    local.close()
    store = TokenStore(root / "home" / "tokens.json")
    tokens = {role: store.create(f"{role}-ann", role) for role in ("viewer", "writer", "producer")}
    brain = start_brain(root)
    yield brain, tokens, root / "projects" / "two" / ".moviegen" / "audit.jsonl"
    stop_brain(brain)


def entries(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.mark.integration
def test_refusals_and_served_changes_are_recorded_once_with_the_callers_name(served):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    from moviegen.brain.remote import RemoteBrain
    from moviegen.core.errors import AccessDeniedError

    brain, tokens, log = served
    before = len(entries(log))
    viewer, writer = RemoteBrain(brain.ws, tokens["viewer"]), RemoteBrain(brain.ws, tokens["writer"])
    producer = RemoteBrain(brain.ws, tokens["producer"])
    try:
        sp = viewer.screenplay_get("two")  # a read: allowed, not recorded
        with pytest.raises(AccessDeniedError):
            viewer.screenplay_update("two", sp["text"] + "\nA secret line.\n", sp["digest"])
        with pytest.raises(AccessDeniedError):
            viewer.audit_log("two")  # a refused read is recorded too
        writer.screenplay_update("two", sp["text"] + "\n", sp["digest"])
        url = brain.url.replace("http", "ws") + "/events?project=two"
        with pytest.raises(InvalidStatus), connect(url, additional_headers={"Authorization": "Bearer nope"}):
            pass  # no valid token: refused at the door, before anyone is known (counted in /metrics, not here)
        view = producer.audit_log("two", limit=10, verify=True)
    finally:
        viewer.close()
        writer.close()
        producer.close()
    new = entries(log)[before:]
    assert [(e["who"], e["role"], e["via"], e["op"], e["result"]) for e in new] == [
        ("viewer-ann", "viewer", "ws", "screenplay_update", "access_denied"),
        ("viewer-ann", "viewer", "ws", "audit_log", "access_denied"),
        ("writer-ann", "writer", "ws", "screenplay_update", "ok"),
    ]
    assert "secret" not in log.read_text(encoding="utf-8")
    assert view["verify"] == {"ok": True, "entries": before + 3}
    assert [e["op"] for e in view["entries"][-3:]] == ["screenplay_update", "audit_log", "screenplay_update"]


@pytest.mark.integration
def test_a_refusal_over_streamable_http_says_so(served):
    import anyio

    brain, tokens, log = served

    async def main():
        async with session(brain, "http", tokens["viewer"]) as s:
            result = await s.call_tool("take_new", {"project_id": "two", "shot_id": "1.1"})
            assert result.is_error and result.structured_content["error"]["code"] == "access_denied"

    anyio.run(main)
    last = entries(log)[-1]
    assert (last["who"], last["via"], last["op"], last["result"]) == ("viewer-ann", "http", "take_new", "access_denied")


@pytest.mark.integration
def test_a_token_refused_a_projects_events_is_recorded(served):
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    brain, tokens, log = served
    root = log.parents[3]
    from moviegen.brain.server.auth import TokenStore

    other = TokenStore(root / "home" / "tokens.json").create("elsewhere", "viewer", [("nope", "0" * 32)])
    url = brain.url.replace("http", "ws") + "/events?project=two"
    with pytest.raises(InvalidStatus), connect(url, additional_headers={"Authorization": f"Bearer {other}"}):
        pass
    last = entries(log)[-1]
    assert (last["who"], last["op"], last["result"]) == ("elsewhere", "events", "access_denied")
