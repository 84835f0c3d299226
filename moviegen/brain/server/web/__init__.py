"""The web view for collaborators, served by the brain on its own port at ``/``: server-rendered HTML (Jinja2)
with vendored, pinned htmx and a small live script, no build step.

Who is calling is the door's answer (moviegen.brain.server.door: a token, the ``mg_access`` cookie a login
sets, or the local user on loopback); every action is the brain operation of the same name called through its
MCP tool (calls.py), so the pages can do nothing the tools would refuse. Every state-changing request also
passes a CSRF check (csrf.py) on top of the cookies' SameSite=Strict.

Pages: ``/login``; ``/`` the projects you may see; ``/p/SLUG`` a project's overview (stage, scenes, shots, last
render, spend, comments); ``/p/SLUG/text/NAME`` the screenplay and story files (edit: writers and up; saves
merge by scene); ``/p/SLUG/board`` the storyboard (approve / reject: directors and up); ``/p/SLUG/film`` the
player, renders and the render button; ``/p/SLUG/exports`` the exports to download (making them: producers);
``/p/SLUG/ask`` the assistant (its sources link to the scene or file
they come from); ``/p/SLUG/live`` the page's live feed (a WebSocket) with presence.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from moviegen.brain.server.web.render import HERE

STATIC = HERE / "static"
# the door lets these in without a token: the login page and the files it loads
OPEN_PATHS = frozenset({"/login", "/login/out"} | {f"/static/{p.name}" for p in STATIC.iterdir() if p.is_file()})


class Web:
    """What the pages share: presence, and the in-process ways to the door's check and to the login."""

    def __init__(self, brain, limiter, people) -> None:
        from moviegen.brain.server.web.live import Presence
        from moviegen.brain.server.web.push import Fragments

        self.brain, self.limiter, self.people, self.presence = brain, limiter, people, Presence()
        self.fragments = Fragments()
        self._login = None

    def doors_check(self, request: Request, level: str, project: str, op: str, arguments: dict[str, Any]) -> None:
        """The tools' own access check (recording a refusal in the audit trail), for a route that is not a tool."""
        from types import SimpleNamespace

        ctx = SimpleNamespace(request_context=SimpleNamespace(request=request))
        request.app.state.mcp.doors.check(ctx, level, project, op, arguments)

    async def log_in(self, request: Request, name: str, password: str) -> dict[str, Any]:
        """``POST /auth/login`` (moviegen.brain.server.login) called in-process, with its rate limits: the
        token pair, or ``{"error": {...}}``."""
        return await self._auth(request, 0, {"name": name, "password": password})

    async def refresh(self, request: Request, refresh_token: str) -> dict[str, Any]:
        """``POST /auth/refresh`` in-process: a new pair (the old refresh token stops working), or an error."""
        return await self._auth(request, 1, {"refresh_token": refresh_token})

    async def _auth(self, request: Request, route: int, payload: dict[str, str]) -> dict[str, Any]:
        if self._login is None:
            from moviegen.brain.server import login

            self._login = [r.endpoint for r in login.routes(self.people, self.limiter)]
        body = json.dumps(payload).encode()
        scope = {**request.scope, "method": "POST", "path": ("/auth/login", "/auth/refresh")[route],
                 "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]}  # fmt: skip
        sent = False

        async def receive():
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        response = await self._login[route](Request(scope, receive))
        return json.loads(response.body)


def _with(action: str, endpoint):
    async def route(request: Request):
        request.scope["path_params"]["action"] = action
        return await endpoint(request)

    return route


def routes() -> list:
    from moviegen.brain.server.web import ask, board, edit, exports, members, pages

    p = "/p/{project}"
    return [
        Route("/", pages.projects),
        Route("/login", pages.login_form),
        Route("/login", pages.login_post, methods=["POST"]),
        Route("/login/out", pages.logout, methods=["POST"]),
        Route(p, pages.overview),
        Route(p + "/part/overview", pages.overview_part),
        WebSocketRoute(p + "/live", pages.live_socket),
        Route(p + "/media/{area}/{name}", pages.media),
        Route(p + "/hls/{path:path}", pages.hls),
        Route(p + "/text/{name}", edit.text_page),
        Route(p + "/text/{name}", edit.save, methods=["POST"]),
        Route(p + "/text/{name}/file", edit.upload, methods=["POST"]),
        Route(p + "/part/text/{name}", edit.text_part),
        Route(p + "/comments", edit.comments_part),
        Route(p + "/comments", edit.comment_post, methods=["POST"]),
        Route(p + "/board", board.board_page),
        Route(p + "/part/board", board.board_part),
        Route(p + "/board/paint", _with("paint", board.take_action), methods=["POST"]),
        Route(p + "/board/{shot}/takes", _with("new", board.take_action), methods=["POST"]),
        Route(p + "/board/{shot}/takes/{take}/{action}", board.take_action, methods=["POST"]),
        Route(p + "/upload", board.upload_post, methods=["POST"]),
        Route(p + "/film", board.film_page),
        Route(p + "/part/jobs", board.jobs_part),
        Route(p + "/render", board.render_post, methods=["POST"]),
        Route(p + "/exports", exports.exports_page),
        Route(p + "/part/exports", exports.exports_part),
        Route(p + "/exports", exports.export_post, methods=["POST"]),
        Route(p + "/exports/{name:path}", exports.download),
        Route(p + "/members", members.members_page),
        Route(p + "/part/members", members.members_part),
        Route(p + "/members", members.share_post, methods=["POST"]),
        Route(p + "/members/{name}/remove", members.unshare_post, methods=["POST"]),
        Route(p + "/ask", ask.ask_page),
        Route(p + "/ask", ask.ask_post, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def install(app, brain, limiter, people) -> None:
    """Give ``app`` (create_app's) the web view's shared state (its routes come from ``routes()``): the login
    shares the door's limiter and people."""
    app.state.brain = brain
    app.state.web = Web(brain, limiter, people)
