"""The web view's pages: logging in and out, the projects you may see, a project's overview, its live feed and
its media (renders and stills). Editing is in edit.py, the storyboard and the film in board.py."""

from __future__ import annotations

import re
from itertools import groupby
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.websockets import WebSocket

from moviegen.brain.server.door import ACCESS_COOKIE
from moviegen.brain.server.people import REFRESH_TTL
from moviegen.brain.server.web import csrf, live
from moviegen.brain.server.web.calls import call, principal, resource
from moviegen.brain.server.web.render import failure, page, part
from moviegen.core import locations
from moviegen.core.errors import AccessDeniedError, MoviegenError, NotFoundError, UsageError

REFRESH_COOKIE = "mg_refresh"

MEDIA_AREAS = {"renders": locations.renders_dir, "assets": locations.assets_dir}


def web(request: Request):
    return request.app.state.web


async def guarded(request: Request, handler):
    """Run a page handler, turning our errors into a page or an htmx flash line."""
    try:
        return await handler()
    except MoviegenError as exc:
        return failure(request, exc)


async def checked(request: Request) -> None:
    """The CSRF check of a state-changing request (raises a refusal)."""
    if not await csrf.passes(request):
        exc = AccessDeniedError("the request did not carry this page's form token",
                                "reload the page and try again (a request from another site is refused)")  # fmt: skip
        exc.code = "csrf"
        raise exc


def role_of(request: Request, project: str) -> str:
    """The caller's role in ``project``, to show."""
    me = principal(request)
    if me.is_user:
        return me.role_in(request.app.state.brain.identity(project)) or ""
    return me.role


def project_context(request: Request, project: str, tab: str) -> dict:
    from moviegen.brain.server.web.calls import allowed

    return {"project": project, "tab": tab, "role": role_of(request, project),
            "viewers": web(request).presence.viewers(project), "can_write": allowed(request, "write", project),
            "can_direct": allowed(request, "direct", project), "can_produce": allowed(request, "produce", project)}  # fmt: skip


# ---------------------------------------------------------------- login
def safe_next(value) -> str:
    """Where to go after logging in: a path of this site only."""
    value = str(value or "/")
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


def signed_in(request: Request, pair: dict, to: str) -> Response:
    """Go on to ``to`` holding the pair: the access token for every route, the refresh token for /login only."""
    secure = request.url.scheme == "https"
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(ACCESS_COOKIE, pair["access_token"], max_age=int(pair["expires_in"]), path="/",
                        httponly=True, samesite="strict", secure=secure)  # fmt: skip
    response.set_cookie(REFRESH_COOKIE, pair["refresh_token"], max_age=REFRESH_TTL, path="/login",
                        httponly=True, samesite="strict", secure=secure)  # fmt: skip
    return response


def oidc_label(request: Request) -> str | None:
    """The identity provider's host for the 'Sign in with' button, when one is configured (oidc.py)."""
    oidc = getattr(request.app.state, "oidc", None)
    return oidc.label if oidc is not None else None


async def login_form(request: Request) -> Response:
    """The login page; a browser holding a live refresh token (its access token expired) is signed in again
    without a password and sent back where it was."""
    to = safe_next(request.query_params.get("next"))
    held = request.cookies.get(REFRESH_COOKIE)
    if held:
        pair = await web(request).refresh(request, held)
        if "access_token" in pair:
            return signed_in(request, pair, to)
    response = page(request, "login.html", next=to, oidc=oidc_label(request))
    if held:
        response.delete_cookie(REFRESH_COOKIE, path="/login")
    return response


async def login_post(request: Request) -> Response:
    async def handle():
        await checked(request)
        form = await request.form()
        name, password = str(form.get("name") or ""), str(form.get("password") or "")
        answer = await web(request).log_in(request, name, password)
        if "access_token" not in answer:
            error = answer.get("error") or {}
            return page(request, "login.html", 401 if error.get("code") == "invalid_login" else 429,
                        error=error.get("message", "login failed"), name=name, next=safe_next(form.get("next")),
                        oidc=oidc_label(request))  # fmt: skip
        return signed_in(request, answer, safe_next(form.get("next")))

    return await guarded(request, handle)


async def logout(request: Request) -> Response:
    async def handle():
        await checked(request)
        refresh = request.cookies.get(REFRESH_COOKIE)
        if refresh:
            import anyio

            await anyio.to_thread.run_sync(web(request).people.revoke, refresh)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(ACCESS_COOKIE, path="/")
        response.delete_cookie(REFRESH_COOKIE, path="/login")
        return response

    return await guarded(request, handle)


# ---------------------------------------------------------------- projects
async def projects(request: Request) -> Response:
    async def handle():
        return page(request, "projects.html", projects=await call(request, "project_list"))

    return await guarded(request, handle)


_PARSED: dict[str, tuple[str, list]] = {}  # project -> (its shots.toml's text, the shots in it): the last one read


def shot_rows(project: str, text: str) -> list:
    """The shots of a shots.toml text, parsed once per version of the file (the standard library's fast reader:
    the page shows it, it does not edit it; every page open otherwise parses it again)."""
    import tomllib

    held = _PARSED.get(project)
    if held is None or held[0] != text:
        held = _PARSED[project] = (text, tomllib.loads(text).get("shot", []))
    return held[1]


async def overview_context(request: Request, project: str) -> dict:
    """The overview's facts: the project's status and spend, and its shot list as the brain's ``shots``
    resource."""
    import tomllib

    status = await call(request, "project_status", project_id=project)
    costs = await call(request, "cost_report", project_id=project)
    shots, problem = [], status.get("shots_problem")
    if not problem and status.get("shots"):
        try:
            shots = shot_rows(project, await resource(request, f"moviegen://projects/{project}/shots"))
        except (NotFoundError, tomllib.TOMLDecodeError) as exc:
            problem = str(exc)
    scenes = [(scene, list(group)) for scene, group in groupby(shots, key=lambda s: s.get("scene", "?"))]
    return {"status": status, "costs": costs, "scenes": scenes, "problem": problem}


async def overview(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        context = await overview_context(request, project)
        comments = await call(request, "comment_list", project_id=project)
        return page(request, "project.html", **project_context(request, project, "overview"), **context,
                    comments=comments, target="project")  # fmt: skip

    return await guarded(request, handle)


async def overview_part(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        return part(request, "_overview.html", project=project, **await overview_context(request, project))

    return await guarded(request, handle)


# ---------------------------------------------------------------- live and media
async def live_socket(websocket: WebSocket) -> None:
    """The page's live feed (live.py): the read check of the tools first (refused: closed with 4403)."""
    project = websocket.path_params["project"]
    try:
        web(websocket).doors_check(websocket, "read", project, "web_live", {"project": project})
    except MoviegenError as exc:
        await websocket.close(code=4403, reason=exc.message[:120])
        return
    await websocket.accept()
    await live.serve(websocket, websocket.app.state.brain.bus, web(websocket).presence, project,
                     principal(websocket).name, web(websocket).fragments)  # fmt: skip


HLS_FILE = re.compile(r"(master\.m3u8|\d{3,4}p/(index\.m3u8|seg_\d{3,6}\.ts))")  # the ladder's files only
TYPES = {".vtt": "text/vtt", ".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t"}


def _ladder(project) -> Path:
    from moviegen.services.transcode import output_dir

    return output_dir(project, "hls")


def hls_ladder(project, film: str | None) -> bool:
    """Whether the project's HLS ladder (moviegen transcode --preset hls) is of the film shown: made after it."""
    master, film_path = _ladder(project) / "master.m3u8", locations.renders_dir(project.path) / (film or "")
    return bool(film and master.is_file() and film_path.is_file()
                and master.stat().st_mtime >= film_path.stat().st_mtime)  # fmt: skip


async def hls(request: Request) -> Response:
    """The HLS ladder's playlists and segments, for whoever may read the project (the player's first source)."""
    return await _served(request, "hls", request.path_params["path"])


async def media(request: Request) -> Response:
    """A render (film, subtitles) or a still of the project, for whoever may read it."""
    return await _served(request, request.path_params["area"], request.path_params["name"])


async def _served(request: Request, area: str, name: str) -> Response:
    """A file of one of the project's areas (renders, assets: a bare file name; hls: the ladder's files), behind
    the tools' read check."""
    project = request.path_params["project"]

    async def handle():
        web(request).doors_check(request, "read", project, "web_media", {"area": area, "name": name})
        named = HLS_FILE.fullmatch(name) if area == "hls" else area in MEDIA_AREAS and "/" not in name
        if not named or name.startswith("."):
            raise UsageError(f"no media '{area}/{name}'", "use a link from the project's pages")
        held = request.app.state.brain.project(project)
        path = (_ladder(held) if area == "hls" else MEDIA_AREAS[area](held.path)) / name
        if not path.is_file():
            raise NotFoundError(f"{project} has no {area}/{name}", "render, paint or transcode it first")
        return FileResponse(path, media_type=TYPES.get(path.suffix), headers={"Cache-Control": "private, max-age=60"})

    return await guarded(request, handle)
