"""The Exports page of the web view against a real brain server: producers export (the ``export`` tool, its
access check), whoever may read the project downloads what is there, and nothing outside exports/ is served."""

from __future__ import annotations

import re

from tests.web.conftest import PASSWORD, SLUG
from tests.web.test_pages import client, csrf


def test_a_producer_exports_and_a_viewer_downloads_but_may_not_export(world):
    folder = world.project_path() / "exports"
    with client(world) as c:  # the local user on loopback: the brain's owner, who may produce
        page = c.get(f"/p/{SLUG}/exports")
        assert page.status_code == 200 and 'hx-post="/p/lantern-road/exports"' in page.text
        assert 'value="fdx"' in page.text and 'value="bundle"' in page.text
        made = c.post(f"/p/{SLUG}/exports", data={"format": "fdx"}, headers=csrf(c))
        assert made.status_code == 200, made.text[-500:]
        name = re.search(r'<li class="made"><a href="/p/lantern-road/exports/([^"]+)" download>', made.text).group(1)
        assert name.endswith(".fdx") and (folder / name).is_file()
        wrong = c.post(f"/p/{SLUG}/exports", data={"format": "docx"}, headers=csrf(c))
        assert wrong.status_code == 400 and "no export format &#39;docx&#39;" in wrong.text
        assert c.post(f"/p/{SLUG}/exports", data={"format": "pdf"}).status_code == 403  # no form token

    with client(world, "viewer") as c:
        page = c.get(f"/p/{SLUG}/exports").text
        assert "hx-post" not in page and name in page  # no export button; the list
        got = c.get(f"/p/{SLUG}/exports/{name}")
        assert got.status_code == 200 and got.content == (folder / name).read_bytes()
        assert (
            got.headers["content-disposition"].startswith("attachment") and name in got.headers["content-disposition"]
        )
        refused = c.post(f"/p/{SLUG}/exports", data={"format": "pdf"}, headers=csrf(c))
        assert refused.status_code == 403 and 'data-code="access_denied"' in refused.text
    with client(world, "director") as c:  # exports are a producer's
        assert c.post(f"/p/{SLUG}/exports", data={"format": "pdf"}, headers=csrf(c)).status_code == 403
    assert not list(folder.glob("*.pdf"))


def test_only_files_of_exports_are_served_and_only_to_readers(world):
    (world.project_path() / "exports").mkdir(exist_ok=True)
    (world.project_path() / "exports" / ".hidden").write_text("no")
    (world.project_path() / "exports" / "link.pdf").symlink_to(world.project_path() / "moviegen.toml")
    with client(world, "viewer") as c:
        # (percent-encoded, so the client sends them as they are and the route hands them to the handler)
        for name in ("..%2Fmoviegen.toml", "stems%2F..%2F..%2Fmoviegen.toml", ".hidden", "sub%2Fx.pdf", "link.pdf"):
            r = c.get(f"/p/{SLUG}/exports/{name}")
            assert r.status_code == 400, (name, r.status_code)
            assert "[project]" not in r.text and r.text != "no"  # neither moviegen.toml nor the hidden file
        assert c.get(f"/p/{SLUG}/exports/nothing.pdf").status_code == 404
        assert "link.pdf" not in c.get(f"/p/{SLUG}/exports").text  # a link in exports/ is neither listed nor served
    with client(world) as c:
        c.post("/login", data={"name": "olga", "password": PASSWORD, "csrf": c.cookies["mg_csrf"]})
        for path in ("/exports", "/part/exports", "/exports/x.fdx"):
            assert c.get(f"/p/{SLUG}{path}").status_code == 403, path
