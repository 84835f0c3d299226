"""The assistant page over HTTP (the offline assistant: search only, no language model) with its sources linked
to their scene, and a viewer's comment in the project's audit trail (comment_add is level ``read`` but changes
the project)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from tests.web.conftest import SLUG
from tests.web.test_pages import client, csrf


def audit_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "moviegen", "audit", SLUG, *args], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_the_assistant_answers_with_sources_linked_to_their_scene(world):
    with client(world, "viewer") as c:
        page = c.get(f"/p/{SLUG}/ask")
        assert page.status_code == 200 and 'id="ask-form"' in page.text and 'aria-current="page">Ask' in page.text
        refused = c.post(f"/p/{SLUG}/ask", data={"question": "x"}, headers={"HX-Request": "true"})
        assert refused.status_code == 403 and 'data-code="csrf"' in refused.text
        r = c.post(f"/p/{SLUG}/ask", data={"question": "Who is waiting in the signal tower's lamp room?"},
                   headers=csrf(c))  # fmt: skip
        assert r.status_code == 200 and 'data-mode="search"' in r.text, r.text[-800:]
        links = re.findall(r'<li id="src-(\d+)"[^>]*>\s*<a href="([^"]+)">([^<]+)</a>', r.text)
        assert links, r.text
        scenes = {title: href for _, href, title in links if title.startswith("Scene ")}
        assert scenes, links
        for title, href in scenes.items():  # each scene's link is the screenplay at that scene
            number = re.match(r"Scene (\d+):", title).group(1)
            assert href == f"/p/{SLUG}/text/screenplay#scene-{number}"
        assert any("LAMP ROOM" in title for title in scenes)  # the tower's lamp room is scenes 2 and 4
        screenplay = c.get(f"/p/{SLUG}/text/screenplay").text
        for href in scenes.values():  # the anchor is on the page, and is that scene's heading
            anchor = href.split("#")[1]
            block = screenplay.split(f'id="{anchor}"', 1)[1][:400]
            title = next(t for t, h in scenes.items() if h == href)
            assert title.split(": ", 1)[1] in block
        empty = c.post(f"/p/{SLUG}/ask", data={"question": "   "}, headers=csrf(c))
        assert empty.status_code == 400 and "question is empty" in empty.text


def test_a_source_without_a_scene_links_to_its_story_file():
    from moviegen.brain.server.web.ask import answer_context

    result = {"mode": "llm", "answer": "She is a courier [1] racing the flood [2] <b>[9]</b>.", "citations": [1, 2],
              "sources": [{"n": 1, "id": "character:mira", "title": "Mira", "kind": "character", "scene": None,
                           "text": "", "found_by": ["bm25"]},
                          {"n": 2, "id": "logline", "title": "Logline", "kind": "logline", "scene": None,
                           "text": "", "found_by": ["vector"]},
                          {"n": 3, "id": "shot:2.1", "title": "Shot 2.1", "kind": "shot", "scene": "2",
                           "text": "", "found_by": ["vector"]}]}  # fmt: skip
    got = answer_context("lr", "who?", result)
    assert [s["href"] for s in got["sources"]] == ["/p/lr/text/bible", "/p/lr/text/logline",
                                                   "/p/lr/text/screenplay#scene-2"]  # fmt: skip
    assert [s["cited"] for s in got["sources"]] == [True, True, False]
    assert str(got["answer"]) == ('She is a courier <a class="cite" href="/p/lr/text/bible">[1]</a> racing the flood '
                                  '<a class="cite" href="/p/lr/text/logline">[2]</a> &lt;b&gt;[9]&lt;/b&gt;.')  # fmt: skip


def test_a_viewer_s_comment_is_in_the_audit_trail_with_who_and_role(world):
    with client(world, "viewer") as c:
        r = c.post(f"/p/{SLUG}/comments", data={"target": "scene:2", "text": "audit me"}, headers=csrf(c))
        assert r.status_code == 200
    shown = audit_cli(world.brain.env, "--json", "--verify", "--limit", "1000")
    assert shown.returncode == 0, shown.stderr[-2000:]
    view = json.loads(shown.stdout)
    comments = [e for e in view["entries"] if e["op"] == "comment_add"]
    assert comments and comments[-1]["who"] == "viewer-token" and comments[-1]["role"] == "viewer"
    assert comments[-1]["result"] == "ok" and comments[-1]["project"] == SLUG
    assert view["verify"]["ok"] is True and view["verify"]["entries"] == view["count"]
