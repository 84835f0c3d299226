"""The Members page of the web view against a real brain server: a producer shares the project with a user,
changes their role and takes them off (the ``project_share``/``project_unshare`` tools and their check); the
person's access follows; nobody else sees the page or may change who is in the project."""

from __future__ import annotations

import json
import re
import time

from tests.web.conftest import PASSWORD, SLUG
from tests.web.test_pages import client, csrf


def rows(html: str) -> dict[str, str]:
    """The members a page lists: name -> the role selected for them."""
    found = {}
    for name, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S):
        found[name] = re.search(r'<option value="(\w+)" selected>', cells).group(1)
    return found


def test_a_producer_shares_changes_a_role_and_takes_a_member_off(world):
    with client(world) as olga, client(world) as c:  # c: the local user on loopback, the brain's owner (a producer)
        olga.post("/login", data={"name": "olga", "password": PASSWORD, "csrf": olga.cookies["mg_csrf"]})
        assert olga.get(f"/p/{SLUG}").status_code == 403  # signed in, not a member
        page = c.get(f"/p/{SLUG}/members")
        assert page.status_code == 200 and 'href="/p/lantern-road/members" aria-current="page"' in page.text
        assert rows(page.text) == {"dan": "director", "vera": "viewer", "wendy": "writer"}

        shared = c.post(f"/p/{SLUG}/members", data={"name": "olga", "role": "director"}, headers=csrf(c))
        assert shared.status_code == 200, shared.text[-500:]
        assert rows(shared.text)["olga"] == "director" and '<tr class="made">' in shared.text
        board = olga.get(f"/p/{SLUG}/board")  # her next page, in the session she already had
        assert board.status_code == 200 and '<b class="role">director</b>' in board.text
        assert olga.get(f"/p/{SLUG}/members").status_code == 403  # a director does not manage members

        changed = c.post(f"/p/{SLUG}/members", data={"name": "olga", "role": "viewer"}, headers=csrf(c))
        assert rows(changed.text)["olga"] == "viewer"
        assert '<b class="role">viewer</b>' in olga.get(f"/p/{SLUG}/board").text
        removed = c.post(f"/p/{SLUG}/members/olga/remove", headers=csrf(c))
        assert removed.status_code == 200 and "olga" not in rows(removed.text)
        assert olga.get(f"/p/{SLUG}").status_code == 403  # off the project: no way in
        assert rows(c.get(f"/p/{SLUG}/part/members").text) == {"dan": "director", "vera": "viewer", "wendy": "writer"}
        again = c.post(f"/p/{SLUG}/members/olga/remove", headers=csrf(c))
        assert again.status_code == 404 and "is not a member" in again.text
    audit = [json.loads(line) for line in (world.project_path() / ".moviegen" / "audit.jsonl").read_text().splitlines()]
    assert [e["op"] for e in audit if e["op"] in ("project_share", "project_unshare") and e["result"] == "ok"][-3:] == [
        "project_share", "project_share", "project_unshare"]  # fmt: skip


def test_bad_input_is_one_clear_line_and_changes_nothing(world):
    with client(world) as c:
        before = rows(c.get(f"/p/{SLUG}/members").text)
        nobody = c.post(f"/p/{SLUG}/members", data={"name": "zed", "role": "writer"}, headers=csrf(c))
        assert nobody.status_code == 404 and "zed" in nobody.text
        bad_role = c.post(f"/p/{SLUG}/members", data={"name": "olga", "role": "owner"}, headers=csrf(c))
        assert bad_role.status_code == 400 and "invalid role for project_share: Input should be" in bad_role.text
        bad_name = c.post(f"/p/{SLUG}/members", data={"name": "../x", "role": "writer"}, headers=csrf(c))
        assert bad_name.status_code == 400 and "invalid name for project_share" in bad_name.text
        forged = c.post(f"/p/{SLUG}/members", data={"name": "olga", "role": "producer"})  # no form token
        assert forged.status_code == 403
        assert rows(c.get(f"/p/{SLUG}/members").text) == before


def test_only_producers_see_the_page_or_change_members(world):
    for role in ("writer", "director", "viewer"):
        with client(world, role) as c:
            assert "/members" not in c.get(f"/p/{SLUG}").text, role  # no Members tab
            for path in ("/members", "/part/members"):
                assert c.get(f"/p/{SLUG}{path}").status_code == 403, (role, path)
            refused = c.post(f"/p/{SLUG}/members", data={"name": "olga", "role": "producer"}, headers=csrf(c))
            assert refused.status_code == 403 and 'data-code="access_denied"' in refused.text
            assert c.post(f"/p/{SLUG}/members/vera/remove", headers=csrf(c)).status_code == 403
    with client(world) as c:
        assert rows(c.get(f"/p/{SLUG}/members").text) == {"dan": "director", "vera": "viewer", "wendy": "writer"}


def test_an_open_members_page_hears_a_change_made_elsewhere(world):
    """The page's live part is told when anyone shares or unshares (here: the CLI's tool through the brain), and
    fetches itself (the push sends no HTML for a part it does not render)."""
    from websockets.sync.client import connect

    part = {"id": "members", "src": f"/p/{SLUG}/part/members", "live": "project.shared project.unshared"}
    with client(world) as c:
        assert 'data-live="project.shared project.unshared"' in c.get(f"/p/{SLUG}/members").text
        with connect(world.url.replace("http", "ws") + f"/p/{SLUG}/live") as ws:  # the local user's page
            ws.send(json.dumps({"parts": [part]}))
            time.sleep(0.3)  # the socket has read its parts
            shared = c.post(f"/p/{SLUG}/members", data={"name": "olga", "role": "writer"}, headers=csrf(c))
            assert shared.status_code == 200
            got = {}
            deadline = time.monotonic() + 10
            while "members" not in got:
                message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
                got[message.get("id") or message["kind"]] = message
            assert "project.shared" in got and got["members"]["kind"] == "part" and got["members"]["html"] is None
        assert rows(c.get(part["src"]).text)["olga"] == "writer"  # what the page then fetches
        c.post(f"/p/{SLUG}/members/olga/remove", headers=csrf(c))
