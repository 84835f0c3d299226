"""People: users with passwords, per-project roles, logins (JWT + rotating refresh tokens), the login rate
limit, and the HTTP routes' rules — against a real brain server. The tools' matrix for people is in
test_access_matrix.py (scope "user")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import anyio
import httpx
import jwt
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from moviegen.brain.server.people import ARGON2
from tests.conftest import FIXTURES
from tests.server.conftest import session, start_brain, stop_brain

PASSWORD = "a long enough secret 7"
ROLES = ("viewer", "writer", "director", "producer")
# every route of the brain's app and who may use it: "open" (no token), "admitted" (any valid token or login;
# what it does is checked per tool by test_access_matrix.py), "project" (?project=: a reader of that project)
ROUTES = {"/healthz": "open", "/auth/login": "open", "/auth/refresh": "open", "/auth/logout": "open",
          "/auth/oidc/start": "open", "/auth/oidc/callback": "open",  # sign-in with a provider: test_oidc.py
          "/metrics": "admitted", "/mcp/ws": "admitted", "/mcp": "admitted", "/mcp/": "admitted",
          "/events": "project"}  # fmt: skip


def web_paths() -> set[str]:
    """The web view's routes: each page acts only through the brain's tools (web/calls.py), so the tools' matrix
    holds for them; their own tests check the pages (moviegen.brain.server.web)."""
    try:
        from moviegen.brain.server import web
    except ImportError:
        return set()
    return {getattr(r, "path", None) for r in web.routes()}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A brain with projects 'alpha' and 'beta'; a person per role with alpha shared in that role; 'mixed'
    (global viewer) directs alpha and views beta."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings

    root = tmp_path_factory.mktemp("people")
    local = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home"), workers=1)
    text = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
    for slug in ("alpha", "beta"):
        local.project_import(text, slug=slug)
    people = local.people()
    for role in ROLES:
        people.add(role, role, PASSWORD)
        local.project_share("alpha", role, role)
    people.add("mixed", "viewer", PASSWORD)
    local.project_share("alpha", "mixed", "director")
    local.project_share("beta", "mixed", "viewer")
    local.close()
    brain = start_brain(root, env_extra={"MOVIEGEN_LOGIN_ATTEMPTS": "1000"})  # this module's wrong guesses
    yield brain, root
    stop_brain(brain)


def login(brain, name: str, password: str = PASSWORD, **headers) -> httpx.Response:
    return httpx.post(brain.url + "/auth/login", json={"name": name, "password": password}, headers=headers,
                      timeout=30)  # fmt: skip


def token(brain, name: str) -> str:
    r = login(brain, name)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def bearer(t: str) -> dict:
    return {"Authorization": f"Bearer {t}"}


def remote(brain, t: str):
    from moviegen.brain.remote import RemoteBrain

    return RemoteBrain(brain.ws, t)


def cli(brain, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moviegen", *args], env=brain.env, input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.integration
def test_login_gives_a_short_lived_jwt_and_a_refresh_token(world):
    brain, root = world
    r = login(brain, "writer")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    pair = r.json()
    assert pair["token_type"] == "bearer" and pair["expires_in"] == 900
    claims = jwt.decode(pair["access_token"], options={"verify_signature": False})
    assert {"sub", "role", "iat", "exp", "jti"} <= set(claims) and claims["sub"] == "writer"
    assert 899 <= claims["exp"] - claims["iat"] <= 901
    assert pair["refresh_token"].startswith("mgr_")
    who = remote(brain, pair["access_token"])
    try:
        me = who.whoami()
        assert me["name"] == "writer" and me["projects"] == ["alpha"]
        assert [p["slug"] for p in who.project_list()] == ["alpha"]  # only what is shared with them
    finally:
        who.close()


@pytest.mark.integration
def test_wrong_password_and_unknown_user_get_the_same_answer_in_about_the_same_time(world):
    brain, _ = world
    answers, times = {}, {"wrong": [], "unknown": []}
    for _ in range(5):
        for kind, name in (("wrong", "writer"), ("unknown", "nobody-here")):
            started = time.perf_counter()
            r = login(brain, name, "not the password")
            times[kind].append(time.perf_counter() - started)
            answers[kind] = (r.status_code, r.json())
    assert answers["wrong"] == answers["unknown"]
    assert answers["wrong"][0] == 401 and answers["wrong"][1]["error"]["code"] == "invalid_login"
    ratio = min(times["wrong"]) / min(times["unknown"])  # the fastest of each: the least disturbed by load
    assert 1 / 3 < ratio < 3, times  # both pay one argon2 verification (~0.1 s); a skipped hash would be ~0.002 s
    assert login(brain, "writer").status_code == 200


@pytest.mark.integration
def test_expired_tampered_and_foreign_jwts_are_refused(world):
    brain, root = world
    good = token(brain, "viewer")
    assert httpx.get(brain.url + "/metrics", headers=bearer(good)).status_code == 200
    key = bytes.fromhex((root / "home" / "jwt.key").read_text().strip())
    now = time.time()
    expired = jwt.encode({"sub": "viewer", "role": "viewer", "iat": now - 1000, "exp": now - 100, "jti": "x"}, key)
    head, body, sig = good.split(".")
    claims = json.loads(jwt.utils.base64url_decode(body))
    claims["sub"] = "producer"  # another person, same signature
    tampered = ".".join([head, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(), sig])
    foreign = jwt.encode({"sub": "producer", "role": "producer", "iat": now, "exp": now + 900, "jti": "y"}, b"k" * 32)
    unsigned = jwt.encode({"sub": "producer", "role": "producer", "iat": now, "exp": now + 900, "jti": "z"}, None,
                          algorithm="none")  # fmt: skip
    for bad in (expired, tampered, foreign, unsigned):
        r = httpx.get(brain.url + "/metrics", headers=bearer(bad))
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token", bad
        with pytest.raises(InvalidStatus) as refused:
            with connect(brain.ws, additional_headers=bearer(bad), subprotocols=["mcp"]):
                pass
        assert refused.value.response.status_code == 401


@pytest.mark.integration
def test_refresh_rotates_and_logout_revokes(world):
    brain, _ = world
    first = login(brain, "director").json()
    r = httpx.post(brain.url + "/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    again = httpx.post(brain.url + "/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401 and again.json()["error"]["code"] == "invalid_refresh_token"
    assert httpx.get(brain.url + "/metrics", headers=bearer(second["access_token"])).status_code == 200
    out = httpx.post(brain.url + "/auth/logout", json={"refresh_token": second["refresh_token"]})
    assert out.json() == {"revoked": True}
    assert httpx.post(brain.url + "/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 401
    assert httpx.post(brain.url + "/auth/refresh", json={"refresh_token": "mgr_made_up"}).status_code == 401


@pytest.mark.integration
def test_user_logout_ends_every_session_and_removal_locks_out(world):
    brain, _ = world
    proc = cli(brain, "user", "add", "temp", "--role", "writer", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert proc.returncode == 0, proc.stderr
    pairs = [login(brain, "temp").json() for _ in range(2)]
    time.sleep(0.01)
    proc = cli(brain, "user", "logout", "temp", "--json")
    assert json.loads(proc.stdout) == {"name": "temp", "sessions_ended": 2}
    for pair in pairs:
        assert httpx.post(brain.url + "/auth/refresh", json={"refresh_token": pair["refresh_token"]}).status_code == 401
        assert httpx.get(brain.url + "/metrics", headers=bearer(pair["access_token"])).status_code == 401
    fresh = token(brain, "temp")
    assert httpx.get(brain.url + "/metrics", headers=bearer(fresh)).status_code == 200
    assert cli(brain, "user", "remove", "temp").returncode == 0
    assert httpx.get(brain.url + "/metrics", headers=bearer(fresh)).status_code == 401
    assert login(brain, "temp").status_code == 401


@pytest.mark.integration
def test_the_role_is_the_one_in_each_project(world):
    from moviegen.core.errors import AccessDeniedError

    brain, _ = world
    mixed = remote(brain, token(brain, "mixed"))
    try:
        assert sorted(p["slug"] for p in mixed.project_list()) == ["alpha", "beta"]
        mixed.shots_plan("alpha")  # director there
        with pytest.raises(AccessDeniedError, match=r"\(viewer\) may not plan"):
            mixed.shots_plan("beta")  # viewer there
        assert mixed.screenplay_get("beta")["text"]
        with pytest.raises(AccessDeniedError):
            mixed.project_create("A keeper of bees wants quiet but the fair comes to town.", slug="mine")  # viewer
        with pytest.raises(AccessDeniedError):
            mixed.project_share("alpha", "viewer", "producer")  # directors do not share
    finally:
        mixed.close()


@pytest.mark.integration
def test_sharing_is_a_producers_matter_and_takes_effect_on_open_sessions(world):
    from moviegen.core.errors import AccessDeniedError

    brain, _ = world
    producer = remote(brain, token(brain, "producer"))
    writer = remote(brain, token(brain, "writer"))
    try:
        assert {"name": "writer", "role": "writer"} in producer.project_members("alpha")
        with pytest.raises(AccessDeniedError):
            producer.project_share("beta", "writer", "viewer")  # beta is not theirs
        with pytest.raises(AccessDeniedError):
            writer.project_members("alpha")
        producer.project_share("alpha", "writer", "viewer")
        with pytest.raises(AccessDeniedError, match=r"\(viewer\)"):
            sp = writer.screenplay_get("alpha")
            writer.screenplay_update("alpha", sp["text"] + "\n", sp["digest"])
        producer.project_unshare("alpha", "writer")
        with pytest.raises(AccessDeniedError):
            writer.screenplay_get("alpha")  # the same session, now refused
        producer.project_share("alpha", "writer", "writer")
        assert writer.screenplay_get("alpha")["text"]
        # a project a person creates is theirs to produce
        made = producer.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="made")
        assert made["slug"] == "made"
        assert producer.project_members("made") == [{"name": "producer", "role": "producer"}]
    finally:
        producer.close()
        writer.close()


@pytest.mark.integration
def test_a_recreated_project_is_not_shared(world):
    from moviegen.brain.remote import RemoteBrain
    from moviegen.core.errors import AccessDeniedError

    brain, _ = world
    admin = RemoteBrain(brain.ws)  # the local user on loopback
    text = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
    admin.project_import(text, slug="again")
    admin.project_share("again", "viewer", "viewer")
    viewer = remote(brain, token(brain, "viewer"))
    try:
        assert viewer.screenplay_get("again")["text"]
        admin.project_delete("again")
        admin.project_import(text, slug="again")
        with pytest.raises(AccessDeniedError):
            viewer.screenplay_get("again")
        assert admin.project_members("again") == []
    finally:
        admin.close()
        viewer.close()


@pytest.mark.integration
def test_every_http_route_has_a_rule_and_keeps_it_for_each_role(world, tmp_path):
    """The app's routes are enumerated, so a new route without a rule here fails; each rule is then tried
    with each role's JWT on its own project (alpha) and another (beta), and with a made-up token."""
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.app import create_app
    from moviegen.core.settings import Settings

    local = LocalBrain(Settings(projects_dir=tmp_path / "p", home=tmp_path / "h"), workers=1)
    try:
        paths = {getattr(r, "path", None) for r in create_app(local).routes}
    finally:
        local.close()
    assert paths - set(ROUTES) - web_paths() == set(), "a route without a rule in ROUTES"
    brain, _ = world
    assert httpx.get(brain.url + "/healthz", headers=bearer("made-up")).status_code == 200
    assert httpx.get(brain.url + "/metrics", headers=bearer("mgt_made_up")).status_code == 401
    for role in ROLES:
        t = token(brain, role)
        assert httpx.get(brain.url + "/metrics", headers=bearer(t)).status_code == 200
        events = brain.url.replace("http", "ws") + "/events"
        with connect(events + "?project=alpha", additional_headers=bearer(t)):
            pass
        with pytest.raises(InvalidStatus) as refused:
            with connect(events + "?project=beta", additional_headers=bearer(t)):
                pass
        assert refused.value.response.status_code == 403

        async def over_http(t=t, role=role):
            async with session(brain, "http", t) as s:  # streamable HTTP with a JWT
                result = await s.call_tool("whoami", {})
                assert result.structured_content["name"] == role

        anyio.run(over_http)


@pytest.mark.integration
def test_secrets_are_owner_only_and_the_password_is_never_echoed_or_logged(world):
    brain, root = world
    home = root / "home"
    login(brain, "writer")
    for name in ("users.json", "sessions.json", "jwt.key"):
        assert oct((home / name).stat().st_mode & 0o777) == "0o600", name
    users = (home / "users.json").read_text()
    a = ARGON2
    assert (
        PASSWORD not in users
        and f"$argon2id$v=19$m={a['memory_cost']},t={a['time_cost']},p={a['parallelism']}$" in users
    )
    answers = [login(brain, "writer", PASSWORD).text, login(brain, "writer", PASSWORD + "x").text,
               login(brain, "nobody", PASSWORD).text]  # fmt: skip
    listed = cli(brain, "user", "list", "--json").stdout
    assert "argon2" not in listed and json.loads(listed)
    for text in [*answers, listed, brain.log.read_text()]:
        assert PASSWORD not in text


@pytest.mark.integration
def test_logins_are_rate_limited_per_address_and_per_user(tmp_path):
    from moviegen.brain.server.people import People

    people = People(tmp_path / "home")
    for name in ("ada", "bob"):
        people.add(name, "viewer", PASSWORD)
    brain = start_brain(tmp_path, env_extra={"MOVIEGEN_LOGIN_ATTEMPTS": "3", "MOVIEGEN_LOGIN_COOLDOWN": "60"})
    try:
        # per user: three wrong guesses for ada from three addresses block ada everywhere, not bob
        for i in range(3):
            assert login(brain, "ada", "wrong", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code == 401
        blocked = login(brain, "ada", **{"X-Forwarded-For": "10.0.0.9"})
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert blocked.json()["error"]["code"] == "too_many_attempts" and "\n" not in blocked.json()["error"]["message"]
        assert login(brain, "bob", **{"X-Forwarded-For": "10.0.0.9"}).status_code == 200
        # per address: three wrong guesses from one address, for anyone, block that address
        for name in ("carol", "dave", "erin"):
            assert login(brain, name, "wrong", **{"X-Forwarded-For": "10.0.1.1"}).status_code == 401
        assert login(brain, "bob", **{"X-Forwarded-For": "10.0.1.1"}).status_code == 429
        assert login(brain, "bob", **{"X-Forwarded-For": "10.0.1.2"}).status_code == 200
    finally:
        stop_brain(brain)


@pytest.mark.integration
def test_login_cli_keeps_a_session_the_cli_uses(world):
    brain, root = world
    env_home = brain.env["MOVIEGEN_HOME"]
    proc = cli(brain, "login", "--brain", brain.ws, "viewer", "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert proc.returncode == 0, proc.stderr
    path = os.path.join(env_home, "session.json")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    listed = subprocess.run([sys.executable, "-m", "moviegen", "list", "--json"],
                            env={**brain.env, "MOVIEGEN_BRAIN_URL": brain.ws}, capture_output=True, text=True)  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    slugs = {p["slug"] for p in json.loads(listed.stdout)}
    assert "alpha" in slugs and "beta" not in slugs  # the viewer's projects only
    kept = json.loads(open(path).read())
    with open(path, "w") as fh:  # about to expire: the CLI refreshes it (and the refresh token rotates)
        json.dump({**kept, "expires_at": time.time() + 5}, fh)
    again = subprocess.run([sys.executable, "-m", "moviegen", "list", "--json"],
                           env={**brain.env, "MOVIEGEN_BRAIN_URL": brain.ws}, capture_output=True, text=True)  # fmt: skip
    assert again.returncode == 0, again.stderr
    renewed = json.loads(open(path).read())
    assert renewed["refresh_token"] != kept["refresh_token"] and renewed["expires_at"] > time.time() + 800
    assert cli(brain, "logout").returncode == 0 and not os.path.exists(path)
