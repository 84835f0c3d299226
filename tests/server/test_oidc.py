"""Sign-in with an identity provider (moviegen.brain.server.oidc): a real brain server (with --require-token, so
only a real login gets in) against the local fake OIDC provider (tests/fakes/oidc_server.py), both over HTTP."""

from __future__ import annotations

import html
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tests.conftest import FIXTURES
from tests.fakes.oidc_server import FakeOidc, _new_key
from tests.server.conftest import free_port, start_brain, stop_brain

PASSWORD = "a long enough secret 7"
DAN = {"sub": "u-1", "preferred_username": "dan", "email": "dan@example.com"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A brain (tokens required) whose provider is the fake; 'dan' directs alpha and cannot see beta."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings

    root = tmp_path_factory.mktemp("oidc")
    local = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home"), workers=1)
    try:
        text = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
        for slug in ("alpha", "beta"):
            local.project_import(text, slug=slug)
        local.people().add("dan", "viewer", PASSWORD)
        local.project_share("alpha", "dan", "director")
    finally:
        local.close()
    with FakeOidc(client_id="moviegen-web", client_secret="s3cret") as provider:
        env = {"MOVIEGEN_OIDC__ISSUER": provider.issuer, "MOVIEGEN_OIDC__CLIENT_ID": "moviegen-web",
               "MOVIEGEN_OIDC__CLIENT_SECRET": "s3cret"}  # fmt: skip
        brain = start_brain(root, "--require-token", env_extra=env)
        try:
            yield brain, provider
        finally:
            stop_brain(brain)


@pytest.fixture
def provider(world):
    _, fake = world
    fake.user, fake.tamper, fake.rogue_key = dict(DAN), {}, None
    return fake


def browser(world) -> httpx.Client:
    """A client that asks for pages as a browser does (the door sends such a caller without a token to /login)."""
    return httpx.Client(base_url=world[0].url, follow_redirects=True, timeout=20, headers={"Accept": "text/html"})


def sign_in(client: httpx.Client, next_path: str = "/") -> httpx.Response:
    return client.get("/auth/oidc/start", params={"next": next_path})


def test_login_page_offers_the_provider(world, provider):
    r = httpx.get(world[0].url + "/login", timeout=20)
    assert r.status_code == 200
    assert "Sign in with 127.0.0.1" in r.text and 'href="/auth/oidc/start?next=/"' in r.text


def test_full_flow_signs_in_an_existing_user(world, provider):
    with browser(world) as client:
        assert client.get("/").url.path == "/login"  # tokens required: no way in yet
        r = sign_in(client, "/p/alpha")
        assert r.status_code == 200, r.text
        assert [h.url.path for h in r.history] == ["/auth/oidc/start", "/authorize"]
        assert 'content="0;url=/p/alpha"' in r.text
        access = client.cookies.get("mg_access")
        assert jwt.decode(access, options={"verify_signature": False})["sub"] == "dan"
        assert client.cookies.get("mg_refresh", path="/login")
        home = client.get("/")
        assert home.status_code == 200 and home.url.path == "/"
        assert "signed in as dan" in home.text and "/p/alpha" in home.text and "/p/beta" not in home.text
        assert "director" in client.get("/p/alpha").text
    # PKCE and the client's secret went to the token endpoint
    form = provider.token_requests[-1]
    assert len(form["code_verifier"]) >= 43 and form["redirect_uri"].endswith("/auth/oidc/callback")


def test_an_unknown_identity_is_refused(world, provider):
    """An unknown identity is refused with what to do, and nobody is created."""
    provider.user = {"sub": "u-2", "preferred_username": "zoe", "email": "zoe@example.com"}
    with browser(world) as client:
        r = sign_in(client)
        assert r.status_code == 403
        assert "'zoe' signed in at 127.0.0.1 but is no moviegen user" in html.unescape(r.text)
        assert "moviegen user add zoe --role ROLE" in r.text
        assert "mg_access" not in client.cookies
        assert client.get("/").url.path == "/login"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"aud": "someone-else"}, "Audience doesn"),
        ({"nonce": "not-this-one"}, "nonce is not this sign-in"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "expired"),
        ({"iss": "http://evil.example"}, "was issued by"),
        ("rogue", "Signature verification failed"),
    ],
    ids=["audience", "nonce", "expired", "issuer", "signature"],
)
def test_a_bad_id_token_is_refused(world, provider, change, says):
    if change == "rogue":
        provider.rogue_key = _new_key()  # same kid, another key: a forged signature
    else:
        provider.tamper = change
    with browser(world) as client:
        r = sign_in(client)
        assert r.status_code == 403, r.text
        assert says in html.unescape(r.text)
        assert "mg_access" not in client.cookies


def _callback_url(client: httpx.Client) -> str:
    """Start a sign-in and let the provider answer, stopping before the brain's callback."""
    start = client.get("/auth/oidc/start", follow_redirects=False)
    assert start.status_code == 302
    authorize = httpx.get(start.headers["location"], timeout=20)
    assert authorize.status_code == 302
    return authorize.headers["location"]


def test_a_replayed_or_forged_state_is_refused(world, provider):
    with browser(world) as client:
        callback = _callback_url(client)
        flow_cookie = client.cookies.get("mg_oidc")
        assert client.get(callback).status_code == 200  # the real one
        client.cookies.clear()
        client.cookies.set("mg_oidc", flow_cookie, path="/auth/oidc")
        again = client.get(callback)  # the same state, cookie and all
        assert again.status_code == 403 and "already used" in again.text

    with browser(world) as client:  # a state that is not this browser's
        callback = _callback_url(client)
        parts = urlsplit(callback)
        code = parse_qs(parts.query)["code"][0]
        forged = client.get(parts.path, params={"code": code, "state": "forged"})
        assert forged.status_code == 403 and "state does not match" in forged.text

    with browser(world) as client:  # no flow cookie: a callback link from someone else's sign-in
        callback = _callback_url(client)
        client.cookies.clear()
        r = client.get(callback)
        assert r.status_code == 403 and "not started from this browser" in r.text

    with browser(world) as client:  # a flow cookie signed with another key
        callback = _callback_url(client)
        claims = jwt.decode(client.cookies.get("mg_oidc"), options={"verify_signature": False})
        client.cookies.clear()
        client.cookies.set("mg_oidc", jwt.encode(claims, b"k" * 32, algorithm="HS256"), path="/auth/oidc")
        r = client.get(callback)
        assert r.status_code == 403 and "cookie is not valid" in r.text


def test_password_login_keeps_working(world, provider):
    url = world[0].url
    r = httpx.post(url + "/auth/login", json={"name": "dan", "password": PASSWORD}, timeout=20)
    assert r.status_code == 200 and r.json()["access_token"]
    wrong = httpx.post(url + "/auth/login", json={"name": "dan", "password": "nope"}, timeout=20)
    assert wrong.status_code == 401


def test_without_a_provider_there_is_no_button(tmp_path):
    from starlette.testclient import TestClient

    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.app import create_app
    from moviegen.core.settings import Settings

    local = LocalBrain(Settings(projects_dir=tmp_path / "p", home=tmp_path / "h"), workers=1)
    try:
        client = TestClient(create_app(local), base_url="http://localhost")
        page = client.get("/login")
        assert page.status_code == 200 and "Log in" in page.text and "Sign in with" not in page.text
        r = client.get("/auth/oidc/start", follow_redirects=False)
        assert r.status_code == 403 and "not configured" in r.text
    finally:
        local.close()


def test_an_unreachable_provider_is_one_clear_line(tmp_path):
    from starlette.testclient import TestClient

    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.app import create_app
    from moviegen.core.settings import OidcSettings, Settings

    oidc = OidcSettings(issuer=f"http://127.0.0.1:{free_port()}", client_id="moviegen-web")
    local = LocalBrain(Settings(projects_dir=tmp_path / "p", home=tmp_path / "h", oidc=oidc), workers=1)
    try:
        r = TestClient(create_app(local), base_url="http://localhost").get("/auth/oidc/start", follow_redirects=False)
        assert r.status_code == 400
        assert "the identity provider could not be reached" in r.text and "MOVIEGEN_OIDC__ISSUER" in r.text
    finally:
        local.close()
