"""The web view over plain HTTP against a real brain server: who the door lets in (cookie, login form), the
CSRF check, the tools' access check behind every page action, saves that merge by section, comments."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.web.conftest import PASSWORD, SLUG


@contextmanager
def client(world, role: str | None = None, **headers) -> Iterator[httpx.Client]:
    """A browser-like client: a role's service token in the mg_access cookie (None: tokenless, the local user)."""
    with httpx.Client(base_url=world.url, timeout=30, headers={"accept": "text/html", **headers}) as c:
        if role:
            c.cookies.set("mg_access", world.tokens[role], domain="127.0.0.1")
        c.get("/login")  # the CSRF cookie, as any page hands it out
        yield c


def csrf(c: httpx.Client) -> dict:
    return {"X-CSRF-Token": c.cookies["mg_csrf"], "HX-Request": "true"}


def editor_of(html: str) -> tuple[str, str]:
    """The editor's digest and starting text in a text page."""
    import html as html_lib

    digest = re.search(r'name="digest" value="([0-9a-f]*)"', html).group(1)
    base = html_lib.unescape(re.search(r'<textarea name="base" hidden>(.*?)</textarea>', html, re.S).group(1))
    return digest, base


def test_the_local_user_sees_the_projects_and_every_page(world):
    with client(world) as c:
        assert SLUG in c.get("/").text
        for path in ("", "/text/screenplay", "/text/bible", "/board", "/film"):
            r = c.get(f"/p/{SLUG}{path}")
            assert r.status_code == 200, (path, r.text[-500:])
        assert 'id="edit-form"' in c.get(f"/p/{SLUG}/text/bible").text


def test_login_sets_an_httponly_strict_cookie_and_needs_the_form_token(world):
    with client(world) as c:
        refused = c.post("/login", data={"name": "wendy", "password": PASSWORD})
        assert refused.status_code == 403
        wrong = c.post("/login", data={"name": "wendy", "password": "nope nope", "csrf": c.cookies["mg_csrf"]})
        assert wrong.status_code == 401 and "wrong name or password" in wrong.text
        r = c.post("/login", data={"name": "wendy", "password": PASSWORD, "csrf": c.cookies["mg_csrf"]})
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("mg_access="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        page = c.get(f"/p/{SLUG}/text/bible").text
        assert "wendy" in page and 'id="edit-form"' in page  # a writer may edit


def test_an_expired_login_is_renewed_from_the_refresh_cookie_and_logging_out_ends_it(world):
    with client(world) as c:
        c.post("/login", data={"name": "dan", "password": PASSWORD, "csrf": c.cookies["mg_csrf"]})
        first = c.cookies.get("mg_refresh", path="/login")
        assert first and c.cookies.get("mg_access")
        # an access token past its 15 minutes (on loopback, no cookie at all would make it the local user)
        c.cookies.set("mg_access", "eyJhbGciOiJIUzI1NiJ9.e30.expired", domain="127.0.0.1")
        away = c.get(f"/p/{SLUG}/board")
        assert away.status_code == 303 and away.headers["location"] == f"/login?next=%2Fp%2F{SLUG}%2Fboard"
        back = c.get(away.headers["location"])
        assert back.status_code == 303 and back.headers["location"] == f"/p/{SLUG}/board"
        assert c.cookies.get("mg_refresh", path="/login") not in (None, first)  # rotated
        assert c.get(f"/p/{SLUG}/board").status_code == 200
        assert c.get("/login?next=//evil.example").headers["location"] == "/"  # only this site's paths
        out = c.post("/login/out", data={"csrf": c.cookies["mg_csrf"]})
        assert out.status_code == 303 and "mg_access" not in c.cookies
        assert c.get("/login").status_code == 200  # the form: the refresh token is revoked


def test_a_viewer_sees_no_edit_controls_and_a_forged_post_is_refused(world):
    before = (world.project_path() / "story" / "bible.md").read_bytes()
    with client(world, "viewer") as c:
        page = c.get(f"/p/{SLUG}/text/bible").text
        assert 'id="edit-form"' not in page and "viewer" in page
        board = c.get(f"/p/{SLUG}/board").text
        assert "shot 1.1" in board and 'class="approve"' not in board and 'class="new-take"' not in board
        assert 'id="render"' not in c.get(f"/p/{SLUG}/film").text
        form = {"text": "# taken over\n", "base": "", "digest": ""}
        no_token = c.post(f"/p/{SLUG}/text/bible", data=form, headers={"HX-Request": "true"})
        assert no_token.status_code == 403 and 'data-code="csrf"' in no_token.text
        by_role = c.post(f"/p/{SLUG}/text/bible", data=form, headers=csrf(c))
        assert by_role.status_code == 403 and 'data-code="access_denied"' in by_role.text
        assert c.post(f"/p/{SLUG}/render", headers=csrf(c)).status_code == 403
        assert c.post(f"/p/{SLUG}/board/1.1/takes/1/approve", headers=csrf(c)).status_code == 403
    assert (world.project_path() / "story" / "bible.md").read_bytes() == before


def test_a_cookie_from_another_origin_or_an_expired_one_does_not_get_in(world):
    with client(world, "writer", origin="https://evil.example") as c:
        assert c.get(f"/p/{SLUG}").status_code == 403
    with httpx.Client(base_url=world.url, headers={"accept": "text/html"}) as c:
        c.cookies.set("mg_access", "mgt_not-a-token", domain="127.0.0.1")
        r = c.get(f"/p/{SLUG}")
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=%2Fp%2F{SLUG}"


def test_saves_of_different_sections_merge_and_of_the_same_section_conflict(world):
    with client(world, "writer") as a, client(world, "writer") as b:
        digest, base = editor_of(a.get(f"/p/{SLUG}/text/bible").text)
        assert "### MIRA" in base and "### TOMAS" in base
        mira = base.replace("- look: 30s, soaked courier jacket, stubborn", "- look: 30s, yellow raincoat")
        tomas = base.replace("- look: 70s, patient hands", "- look: 70s, ink-stained hands")
        first = a.post(f"/p/{SLUG}/text/bible", data={"text": mira, "base": base, "digest": digest}, headers=csrf(a))
        assert first.status_code == 200 and "saved" in first.text
        second = b.post(f"/p/{SLUG}/text/bible", data={"text": tomas.replace("\n", "\r\n"), "base": base,
                                                        "digest": digest}, headers=csrf(b))  # fmt: skip
        assert second.status_code == 200 and "merged" in second.text
        on_disk = (world.project_path() / "story" / "bible.md").read_text()
        assert "yellow raincoat" in on_disk and "ink-stained hands" in on_disk and "\r" not in on_disk
        clash = base.replace("- look: 30s, soaked courier jacket, stubborn", "- look: 30s, green poncho")
        third = b.post(f"/p/{SLUG}/text/bible", data={"text": clash, "base": base, "digest": digest}, headers=csrf(b))
        assert third.status_code == 409 and "### MIRA" in third.text
        assert "green poncho" not in (world.project_path() / "story" / "bible.md").read_text()


def test_a_viewer_may_comment_and_the_comment_is_kept_in_the_project(world):
    with client(world, "viewer") as c:
        r = c.post(f"/p/{SLUG}/comments", data={"target": "shot:1.2", "text": "Lovely light here"}, headers=csrf(c))
        assert r.status_code == 200 and "Lovely light here" in r.text
        bad = c.post(f"/p/{SLUG}/comments", data={"target": "../etc", "text": "x"}, headers=csrf(c))
        assert bad.status_code == 400
        listed = c.get(f"/p/{SLUG}/comments", params={"target": "shot:1.2"}).text
        assert "Lovely light here" in listed and "viewer-token" in listed
    lines = (world.project_path() / "comments.jsonl").read_text().splitlines()
    entry = json.loads(lines[-1])
    assert entry["who"] == "viewer-token" and entry["role"] == "viewer" and entry["target"] == "shot:1.2"


@pytest.mark.parametrize("name", ["..%2Fmoviegen.toml", ".hidden", "nothing.mp4"])
def test_media_serves_only_the_project_s_renders_and_stills(world, name):
    with client(world, "viewer") as c:
        assert c.get(f"/p/{SLUG}/media/renders/{name}").status_code in (400, 404)
        frame = next((world.project_path() / "assets").glob("*.png")).name  # a still the fixture painted
        r = c.get(f"/p/{SLUG}/media/assets/{frame}")
        assert r.status_code == 200 and r.content[:4] == b"\x89PNG"


def test_a_person_the_project_is_not_shared_with_is_refused_everywhere(world):
    with client(world) as c:
        c.post("/login", data={"name": "olga", "password": PASSWORD, "csrf": c.cookies["mg_csrf"]})
        assert "mg_access" in c.cookies
        assert SLUG not in c.get("/").text
        for path in ("", "/text/bible", "/board", "/film", "/comments", "/media/renders/x.mp4", "/hls/master.m3u8"):
            r = c.get(f"/p/{SLUG}{path}")
            assert r.status_code == 403, (path, r.status_code)
        r = c.post(f"/p/{SLUG}/comments", data={"text": "hi"}, headers=csrf(c))
        assert r.status_code == 403
        assert live_refusal(world, f"mg_access={c.cookies['mg_access']}") in (403, 4403)


def live_refusal(world, cookie: str) -> int | None:
    """How the page's live socket is refused (an HTTP status or a close code), or None when it opens."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(world.url.replace("http", "ws") + f"/p/{SLUG}/live", additional_headers={"Cookie": cookie},
                     open_timeout=10) as ws:  # fmt: skip
            ws.recv(timeout=5)
            return None
    except InvalidStatus as exc:
        return exc.response.status_code
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


def test_the_live_socket_carries_presence_and_the_project_s_events(world):
    from websockets.sync.client import connect

    url = world.url.replace("http", "ws") + f"/p/{SLUG}/live"
    with connect(url, additional_headers={"Cookie": f"mg_access={world.tokens['viewer']}"}) as ws:
        assert json.loads(ws.recv(timeout=5)) == {"kind": "presence", "project": SLUG, "viewers": ["viewer-token"]}
        with client(world, "writer") as c:
            c.post(f"/p/{SLUG}/comments", data={"text": "live one"}, headers=csrf(c))
        events = [json.loads(ws.recv(timeout=5)) for _ in range(1)]
        assert events[0]["kind"] == "comment.added" and events[0]["text"] == "live one"
    assert live_refusal(world, "mg_access=mgt_wrong") == 401


def test_screenplay_saves_of_different_scenes_merge(world):
    with client(world, "writer") as a, client(world, "director") as b:
        page = a.get(f"/p/{SLUG}/text/screenplay").text
        assert 'id="scene-1"' in page and 'id="scene-4"' in page  # read view: one block a scene
        digest, base = editor_of(page)
        ours = base.replace("The bridge is gone.", "The bridge is gone. All of it.")
        theirs = base.replace("Negative. That road floods in an hour.", "Negative. That road floods by midnight.")
        assert ours != base and theirs != base
        first = a.post(
            f"/p/{SLUG}/text/screenplay", data={"text": ours, "base": base, "digest": digest}, headers=csrf(a)
        )
        assert first.status_code == 200
        second = b.post(f"/p/{SLUG}/text/screenplay", data={"text": theirs, "base": base, "digest": digest},
                        headers=csrf(b))  # fmt: skip
        assert second.status_code == 409  # both in scene 1: refused, naming it
        assert "EXT. FLOODED VALLEY ROAD" in second.text
        later = base.replace("taps a dead bulb with a pencil", "taps a dead bulb with a chewed pencil")
        third = b.post(f"/p/{SLUG}/text/screenplay", data={"text": later, "base": base, "digest": digest},
                       headers=csrf(b))  # fmt: skip
        assert third.status_code == 200 and "merged" in third.text
        on_disk = (world.project_path() / "screenplay.fountain").read_text()
        assert "All of it." in on_disk and "chewed pencil" in on_disk and "by midnight" not in on_disk


def test_a_line_of_the_screenplay_takes_comments_and_shows_how_many(world):
    with client(world, "viewer") as c:
        page = c.get(f"/p/{SLUG}/text/screenplay").text
        first = re.search(r'<details class="line-comments" id="line-1-1"><summary><b>([A-Z][A-Z ]+)</b> ([^<(]+)', page)
        assert first is not None, "no line to comment on in scene 1"
        r = c.post(f"/p/{SLUG}/comments", data={"target": "line:1:1", "text": "Say it quieter"}, headers=csrf(c))
        assert r.status_code == 200 and "Say it quieter" in r.text
        page = c.get(f"/p/{SLUG}/text/screenplay").text
        line = re.search(r'id="line-1-1"><summary>.*?</summary>', page, re.S).group(0)
        assert line.endswith("(1)</summary>")  # the count on the line itself
        assert "Comment on a line of scene 1 (1)" in page
        listed = c.get(f"/p/{SLUG}/comments", params={"target": "line:1:1"}).text
        assert "Say it quieter" in listed
    texts = [json.loads(x) for x in (world.project_path() / "comments.jsonl").read_text().splitlines()]
    assert {"target": "line:1:1", "text": "Say it quieter"}.items() <= texts[-1].items()
