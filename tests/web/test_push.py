"""The live socket pushes the parts an event touches (push.py): each page says which parts it shows, and after
an event gets their new HTML, rendered for what its caller may do (a viewer's board has no approve buttons, a
director's has), and nothing for a route that is not a fragment of the project."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack

from tests.web.conftest import SLUG
from tests.web.test_pages import client, csrf, editor_of

BOARD = {"id": "board", "src": f"/p/{SLUG}/part/board", "live": "take. storyboard.painted shots."}
DOC = {"id": "doc", "src": f"/p/{SLUG}/part/text/bible", "live": "story.updated"}
PAGE_ROUTE = {"id": "sneaky", "src": f"/p/{SLUG}/text/bible", "live": "story."}  # a page, not a fragment
OTHER = {"id": "elsewhere", "src": "/p/another-project/part/board", "live": "story. take."}


def open_page(stack: ExitStack, world, role: str, parts: list[dict]):
    from websockets.sync.client import connect

    url = world.url.replace("http", "ws") + f"/p/{SLUG}/live"
    ws = stack.enter_context(connect(url, additional_headers={"Cookie": f"mg_access={world.tokens[role]}"}))
    ws.send(json.dumps({"parts": parts}))
    return ws


def heard(ws, until: str, seconds: float = 10) -> dict[str, dict]:
    """Messages up to the part (or event kind) ``until``, by part id or event kind (presence left out)."""
    got: dict[str, dict] = {}
    deadline = time.monotonic() + seconds
    while until not in got:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message["kind"] != "presence":
            got[message["id"] if message["kind"] == "part" else message["kind"]] = message
    return got


def test_an_approval_pushes_the_board_to_each_page_with_its_caller_s_controls(world):
    with ExitStack() as stack:
        viewer = open_page(stack, world, "viewer", [BOARD, OTHER])
        director = open_page(stack, world, "director", [BOARD])
        time.sleep(0.3)  # both sockets have read their parts
        with client(world, "director") as c:
            r = c.post(f"/p/{SLUG}/board/1.2/takes", headers=csrf(c))
            assert r.status_code == 200, r.text[-500:]
        seen_by_viewer, seen_by_director = heard(viewer, "board"), heard(director, "board")
    assert any(k.startswith("take.") for k in seen_by_viewer), seen_by_viewer  # the event, then its part
    mine, theirs = seen_by_director["board"]["html"], seen_by_viewer["board"]["html"]
    assert 'data-take="2"' in theirs and 'data-take="2"' in mine  # the new take, on both
    assert 'class="approve"' in mine and 'class="new-take"' in mine
    assert 'class="approve"' not in theirs and 'class="new-take"' not in theirs
    assert "elsewhere" not in seen_by_viewer  # another project's part is not this page's


def test_a_save_pushes_the_text_and_a_page_route_is_never_rendered(world):
    with ExitStack() as stack:
        pages = [open_page(stack, world, "viewer", [DOC, PAGE_ROUTE]) for _ in range(3)]
        time.sleep(0.3)
        with client(world, "writer") as c:
            digest, base = editor_of(c.get(f"/p/{SLUG}/text/bible").text)
            text = base + "\npushed-marker\n"
            r = c.post(f"/p/{SLUG}/text/bible", data={"text": text, "base": base, "digest": digest}, headers=csrf(c))
            assert r.status_code == 200
        for ws in pages:
            got = heard(ws, "sneaky")
            assert "pushed-marker" in got["doc"]["html"] and "<html" not in got["doc"]["html"]
            assert got["sneaky"]["html"] is None  # the page fetches it itself, through the door


def test_a_page_s_parts_are_its_project_s_only_and_progress_touches_none():
    from moviegen.brain.server.web.push import MAX_PARTS, Part, parts_of, touched

    said = json.dumps({"parts": [DOC, OTHER, {"id": "", "src": DOC["src"], "live": "x"}, "junk", BOARD]})
    assert parts_of(said, SLUG) == [Part("doc", DOC["src"], ("story.updated",)),
                                    Part("board", BOARD["src"], ("take.", "storyboard.painted", "shots."))]  # fmt: skip
    assert parts_of("not json", SLUG) is None and parts_of('{"kind": "x"}', SLUG) is None
    assert len(parts_of(json.dumps({"parts": [DOC] * (MAX_PARTS + 5)}), SLUG)) == MAX_PARTS
    board = parts_of(json.dumps({"parts": [BOARD]}), SLUG)
    assert touched(board, "take.approved") == board and touched(board, "story.updated") == []
    assert touched(board, "storyboard.painted") == board and touched(board, "storyboard.progress") == []
