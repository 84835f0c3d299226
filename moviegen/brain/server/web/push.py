"""The parts of open pages that an event changed, rendered here and pushed over each page's live socket.

A page tells its socket which live parts it shows (``{"parts": [{"id", "src", "live"}]}``: the element's id, the
fragment route it was rendered from, the event kinds it shows). On each event of the project, every socket
whose page shows a part that event touches gets the part's new HTML (``{"kind": "part", "id", "html"}``), so 50
open pages cost one render, not 50 fragment requests queueing on the brain.

A part is rendered once per event per (fragment, what the caller may do): the read check is made again for
each page at each event, and the edit controls a fragment shows depend on ``can_write`` and ``can_direct``, so
pages whose callers differ there get their own render. The render is the fragment's own route handler, called
in-process with the first such page's caller, so it passes through the same tools and access checks as a GET.
A part that cannot be rendered here is sent as ``{"kind": "part", "id", "html": null}``: the page fetches it
itself (and shows what it is told). A socket with a backlog of events sends them all, then each part they touch
once. Progress events touch no part (``job.progress`` moves a page's bars in live.js).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.routing import Match

MAX_PARTS = 64
KEEP = 10.0  # seconds a render is kept for pages that hear the event late


@dataclass(frozen=True)
class Part:
    id: str
    src: str
    live: tuple[str, ...]

    def shows(self, kind: str) -> bool:
        return any(kind.startswith(prefix) for prefix in self.live)


def parts_of(message: str, project: str) -> list[Part] | None:
    """A page's ``{"parts": [...]}`` message: the parts of this project's pages (others are left out), or None
    when the message is not one."""
    try:
        data = json.loads(message)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("parts"), list):
        return None
    out = []
    for item in data["parts"][:MAX_PARTS]:
        if not isinstance(item, dict):
            continue
        pid, src, live = (str(item.get(k) or "")[:300] for k in ("id", "src", "live"))
        if pid and src.startswith(f"/p/{project}/") and live:
            out.append(Part(pid, src, tuple(p for p in live.split() if p)))
    return out


class Fragments:
    """The renders of one process's live parts, shared by every socket that hears the same event."""

    def __init__(self) -> None:
        self._renders: dict[tuple, asyncio.Task] = {}

    async def render(self, event: str, part: Part, caps: tuple[bool, ...], websocket) -> str | None:
        key = (event, part.src, caps)
        task = self._renders.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(render_part(websocket, part.src))
            self._renders[key] = task
            asyncio.get_running_loop().call_later(KEEP, self._renders.pop, key, None)
        return await asyncio.shield(task)


def capabilities(websocket, project: str) -> tuple[bool, bool, bool]:
    """(may read, may write, may direct) the project, for the socket's caller, now."""
    from moviegen.brain.server.web.calls import allowed

    return tuple(allowed(websocket, level, project) for level in ("read", "write", "direct"))  # type: ignore[return-value]


def _fragment_endpoints() -> frozenset:
    from moviegen.brain.server.web import board, edit, pages

    return frozenset({pages.overview_part, edit.text_part, edit.comments_part, board.board_part, board.jobs_part})


async def render_part(websocket, src: str) -> str | None:
    """The HTML of the fragment route ``src`` (a GET, in-process, as the socket's caller), or None when ``src``
    is not a fragment route or the render failed."""
    url = urlsplit(src)
    scope: dict[str, Any] = {**websocket.scope, "type": "http", "method": "GET", "path": url.path,
                             "raw_path": url.path.encode(), "query_string": url.query.encode(), "path_params": {},
                             "headers": [(k, v) for k, v in websocket.scope["headers"]
                                         if not k.startswith(b"sec-websocket") and k not in (b"upgrade", b"connection")]}  # fmt: skip
    endpoints = _fragment_endpoints()
    for route in websocket.app.router.routes:
        if getattr(route, "endpoint", None) not in endpoints:
            continue
        match, child = route.matches(scope)
        if match is Match.FULL:
            scope.update(child)

            async def receive():
                return {"type": "http.request", "body": b"", "more_body": False}

            try:
                response = await route.endpoint(Request(scope, receive))
            except Exception:  # noqa: BLE001 - the page fetches it itself, and shows what it is told
                return None
            return response.body.decode() if response.status_code == 200 else None
    return None


def touched(parts: list[Part], kind: str) -> list[Part]:
    """The parts an event of ``kind`` changes (none for progress: a page moves its bars itself, and the jobs
    list is rendered again when a job changes state)."""
    if not kind or kind == "presence" or kind.endswith(".progress"):
        return []
    return [p for p in parts if p.shows(kind)]


async def push(websocket, fragments: Fragments, project: str, touched: dict[Part, str]) -> bool:
    """Send each touched part (rendered for the last event that touched it); False when the caller may no
    longer read the project."""
    caps = capabilities(websocket, project)
    if not caps[0]:
        return False
    for part, event in touched.items():
        html = await fragments.render(event, part, caps, websocket)
        await websocket.send_text(json.dumps({"kind": "part", "id": part.id, "html": html}))
    return True
