"""The access matrix: role × every tool, resource and prompt the server lists × own project / other project,
for service tokens and for people (a password login's JWT, their project shared with them in their role).

The doors are enumerated from the running server, so a new tool without a rule fails here. The rule of an
operation of the studio interface is its declared level (moviegen.core.api); tools outside it need a row in
EXTRA below. A denial is recognised by its code (access_denied), never by its wording; every other answer
(a result, or an error about the arguments, raised after the check) counts as allowed.
"""

from __future__ import annotations

import anyio
import pytest
from mcp.shared.exceptions import MCPError

from moviegen.core.api import operations
from tests.conftest import FIXTURES
from tests.server.conftest import session, start_brain, stop_brain

EXTRA = {"generate_text": "direct", "generate_image": "direct", "generate_speech": "direct",
         "generate_music": "direct", "resource:screenplay": "read", "resource:shots": "read",
         "prompt:review_scene": "read", "prompt:pitch": "read"}  # fmt: skip
RIGHTS = {  # what each role may do: the README's permission matrix
    "viewer": {"open", "read", "job_read"},
    "writer": {"open", "read", "job_read", "write"},
    "director": {"open", "read", "job_read", "write", "direct", "job_direct", "create"},
    "producer": {"open", "read", "job_read", "write", "direct", "job_direct", "create", "produce"},
    "service": {"open", "read", "job_read", "write", "direct", "job_direct", "create", "produce"},
}
PEOPLE = ("viewer", "writer", "director", "producer")  # people who log in with a password (JWT): scope "user"
PRINCIPALS = [(role, "own") for role in RIGHTS] + [("viewer", "all"), ("writer", "all")]
PRINCIPALS += [(role, "user") for role in PEOPLE]
VALUES = {  # arguments that pass the schema and, where the call is allowed, fail or do little after the check
    "text": "A line.", "texts": ["a", "b"], "queries": ["beacon"], "embedding": [0.1] * 256, "content": "A note.",
    "metadata": {}, "documents": [{"content": "x", "metadata": {}}], "from_node": "scene:1", "to_node": "scene:1",
    "relationship": "ECHOES", "cypher_query": "MATCH (n) RETURN n.key AS k LIMIT 1", "node_id": "scene:1",
    "workflow_id": "w", "data": {}, "description": "a run", "query": "harbour", "question": "who waits?",
    "name": "NOBODY", "voice": "en-us", "shot_id": "9.9", "take": 7, "path": "moviegen.toml", "premise": "x",
    "expect_digest": "0" * 64, "task": "story.develop", "prompt": "a harbour", "resolution": "bad", "scene": "1",
    "request": {"duration": 0.5, "mood": "warm"}, "format": "pdf", "presets": ["poster"],
    "piece": "AAAA", "upload_id": "0" * 32, "node": "character:nobody", "into": "set-per-project",
    "kind": "character_sheet", "target": "NOBODY",
    "url": "http://192.0.2.1/hook", "events": ["job.failed"], "webhook_id": "wh_0000",  # refused after the check
}  # fmt: skip
ARGS_FOR = {"graph_query": {"query": {"start": {"kind": "scene"}}}, "story_file_get": {"name": "logline"},
            "story_file_update": {"name": "logline"}, "assets_3d": {"targets": ["character:nobody"]},
            "project_share": {"name": "nobody", "role": "viewer"}, "project_unshare": {"name": "nobody"}}  # fmt: skip


PASSWORD = "correct horse battery"


def login(brain, name: str) -> str:
    import httpx

    r = httpx.post(brain.url + "/auth/login", json={"name": name, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def level_of(door: str) -> str:
    ops = operations()
    if door in ops:
        return ops[door].__access__
    assert door in EXTRA, f"{door} has no access rule: declare it with @op(level) or add it to EXTRA"
    return EXTRA[door]


def expected(role: str, scope: str, level: str, target: str) -> bool:
    if level not in RIGHTS[role]:
        return False
    if level in ("open",):
        return True
    if level == "create":
        return scope in ("all", "user")  # a token limited to projects may not; a person's global role decides
    return scope == "all" or target == "own"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A brain with two projects per principal — its own and one it may not touch — and a stored job in each.
    A person (scope "user") has their own project shared with them in their role, and calls with the access
    token of a password login."""
    import os

    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.auth import TokenStore
    from moviegen.core.index import ProjectIndex
    from moviegen.core.settings import Settings

    root = tmp_path_factory.mktemp("matrix")
    settings = Settings(projects_dir=root / "projects", home=root / "home")
    local = LocalBrain(settings, workers=1)
    text = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
    tokens, jobs = {}, {}
    for role, scope in PRINCIPALS:
        slugs = {"own": f"own-{role}-{scope}", "other": f"other-{role}-{scope}"}
        for target, slug in slugs.items():
            local.project_import(text, slug=slug)
            local.shots_plan(slug)
            record = {"id": f"job-{slug}", "project": slug, "kind": "render", "status": "running", "inputs": {},
                      "stages": {}, "result": None, "error": None, "attempts": 1, "started": 1.0, "finished": None,
                      "owner": {"host": os.uname().nodename, "pid": 1}, "log": []}  # fmt: skip
            index = ProjectIndex(local.project(slug).path)
            index.save_job(record)  # a job of someone else's that is still running: cancel/retry touch nothing
            index.close()
            jobs[(role, scope, target)] = record["id"]
        if scope == "user":
            local.people().add(f"{role}-person", role, PASSWORD)
            local.project_share(slugs["own"], f"{role}-person", role)
            continue
        bound = None if scope == "all" else [(slugs["own"], local.identity(slugs["own"]))]
        tokens[(role, scope)] = TokenStore(root / "home" / "tokens.json").create(f"{role}-{scope}", role, bound)
    local.close()
    brain = start_brain(root)
    for role in PEOPLE:
        tokens[(role, "user")] = login(brain, f"{role}-person")
    yield brain, tokens, jobs
    stop_brain(brain)


async def attempt(s, kind: str, door: str, args: dict) -> bool:
    """True when the door let the call through (whatever happened next), False when it denied it."""
    try:
        if kind == "tool":
            result = await s.call_tool(door, args)
            error = (result.structured_content or {}).get("error") if result.is_error else None
            if result.is_error and error is None:
                return True  # the SDK refused the arguments before the tool ran: not a denial, but see below
            return not (error and error["code"] == "access_denied")
        if kind == "resource":
            await s.read_resource(f"moviegen://projects/{args['project_id']}/{door.split(':')[1]}")
        else:
            await s.get_prompt(door.split(":")[1], {k: str(v) for k, v in args.items()})
        return True
    except MCPError as exc:
        if exc.error.code == -32001:
            return False
        return True


@pytest.mark.integration
@pytest.mark.parametrize(("role", "scope"), PRINCIPALS, ids=[f"{r}-{s}" for r, s in PRINCIPALS])
def test_every_door_asks_the_same_question(world, role, scope):
    brain, tokens, jobs = world
    failures: list[str] = []

    async def main():
        async with session(brain, "ws", tokens[(role, scope)]) as s:
            tools = (await s.list_tools()).tools
            doors = [("tool", t.name, t.input_schema) for t in tools]
            doors += [("resource", f"resource:{t.uri_template.rsplit('/', 1)[1]}", None)
                      for t in (await s.list_resource_templates()).resource_templates]  # fmt: skip
            doors += [("prompt", f"prompt:{p.name}", None) for p in (await s.list_prompts()).prompts]
            assert len(doors) >= 55
            doors.sort(key=lambda d: d[1] == "project_delete")  # the one that removes the project goes last
            for kind, door, schema in doors:
                level = level_of(door)
                for target in ("own", "other"):
                    slug = f"{target}-{role}-{scope}"
                    args = {"project_id": slug, "job_id": jobs[(role, scope, target)], **ARGS_FOR.get(door, {})}
                    if schema is not None:
                        props = schema.get("properties", {})
                        wanted = [*schema.get("required", []), *(["project_id"] if "project_id" in props else [])]
                        args = {k: args.get(k, VALUES.get(k)) for k in wanted} | {
                            k: args[k] for k in ARGS_FOR.get(door, {})}  # fmt: skip
                        if "project_ids" in props:  # search_projects: the project named in a list
                            args["project_ids"] = [slug]
                        if "into" in props:  # story_share: into the same project (its check comes first)
                            args["into"] = slug
                        missing = [k for k, v in args.items() if v is None]
                        assert not missing, f"{door}: no test value for {missing}"
                        assert set(args) <= set(props), door
                    elif door == "prompt:review_scene":
                        args = {"project_id": slug, "scene": "1"}
                    else:
                        args = {"project_id": slug}
                    allowed = await attempt(s, kind, door, args)
                    if allowed != expected(role, scope, level, target):
                        failures.append(f"{door} ({level}) on {target}: {'allowed' if allowed else 'denied'}")
                    if level in ("open", "create"):
                        break  # no project in the call: once is enough

    anyio.run(main)
    assert not failures, f"{role}-{scope}:\n" + "\n".join(failures)


@pytest.mark.integration
def test_a_recreated_project_is_not_the_one_a_token_was_bound_to(world):
    from moviegen.brain.remote import RemoteBrain
    from moviegen.core.errors import AccessDeniedError

    brain, tokens, _ = world
    admin = RemoteBrain(brain.ws)
    writer = RemoteBrain(brain.ws, tokens[("writer", "own")])
    try:
        assert writer.screenplay_get("own-writer-own")["text"]
        admin.project_delete("own-writer-own")
        admin.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="own-writer-own")
        with pytest.raises(AccessDeniedError):
            writer.screenplay_get("own-writer-own")
    finally:
        admin.close()
        writer.close()


@pytest.mark.integration
def test_events_reach_only_those_who_may_read_the_project(world):
    import json

    from websockets.sync.client import connect

    from moviegen.brain.remote import RemoteBrain

    brain, tokens, _ = world
    url = brain.url.replace("http", "ws") + "/events"
    admin = RemoteBrain(brain.ws)
    headers = {"Authorization": f"Bearer {tokens[('viewer', 'own')]}"}
    try:
        with connect(url, additional_headers=headers) as ws:
            for slug in ("other-viewer-own", "own-viewer-own"):
                sp = admin.screenplay_get(slug)
                admin.screenplay_update(slug, sp["text"] + "\n", sp["digest"])
            event = json.loads(ws.recv(timeout=10))
            assert event["project"] == "own-viewer-own" and event["kind"] == "screenplay.updated"
        from websockets.exceptions import InvalidStatus

        with pytest.raises(InvalidStatus):
            with connect(url + "?project=other-viewer-own", additional_headers=headers):
                pass
    finally:
        admin.close()
