"""The storyboard (stills, takes, approve / reject for directors) and the film (player, renders, the render
button with each stage's progress). Each action is the brain operation of the same name."""

from __future__ import annotations

import time
from pathlib import PurePath

from starlette.requests import Request
from starlette.responses import Response

from moviegen.brain.server.web.calls import call
from moviegen.brain.server.web.pages import checked, guarded, project_context
from moviegen.brain.server.web.render import page, part
from moviegen.core.errors import UsageError

PIECE = 2 << 20  # bytes per media_upload call
UPLOAD_LIMIT = 200 << 20  # the largest upload the brain keeps (services.uploads.MAX_AUDIO)


async def board_context(request: Request, project: str) -> dict:
    board = await call(request, "storyboard", project_id=project)
    shots = []
    for s in board["shots"]:
        takes = [{**t, "frame_name": PurePath(t["frame"]).name} for t in s.get("takes") or []]
        shots.append({**s, "frame_name": PurePath(s["frame"]).name if s.get("frame") else None, "takes": takes})
    return {"shots": shots, "problem": board["problem"]}


async def board_page(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        return page(request, "board.html", **project_context(request, project, "board"),
                    **await board_context(request, project))  # fmt: skip

    return await guarded(request, handle)


async def board_part(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        context = {"project": project, **project_context(request, project, "board")}
        return part(request, "_board.html", **context, **await board_context(request, project))

    return await guarded(request, handle)


def _take(request: Request) -> int:
    try:
        return int(request.path_params["take"])
    except ValueError:
        raise UsageError("a take is a number", "use the board's buttons") from None


async def take_action(request: Request) -> Response:
    """approve / reject a take, or paint a new one (``take_new``), then the board again."""
    project, shot, action = (request.path_params.get(k) for k in ("project", "shot", "action"))

    async def handle():
        await checked(request)
        if action == "new":
            await call(request, "take_new", project_id=project, shot_id=shot)
        elif action in ("approve", "reject"):
            await call(request, f"take_{action}", project_id=project, shot_id=shot, take=_take(request))
        elif action == "paint":
            await call(request, "storyboard_paint", project_id=project)
        else:
            raise UsageError(f"no board action '{action}'", "use the board's buttons")
        context = {"project": project, **project_context(request, project, "board")}
        return part(request, "_board.html", **context, **await board_context(request, project))

    return await guarded(request, handle)


async def upload_post(request: Request) -> Response:
    """A character's reference picture or a scene's music or sound, from the board's form (multipart): the file
    goes to the brain's ``media_upload`` in 2 MiB pieces, which checks and keeps it; the answer is one line."""
    import base64

    from starlette.datastructures import UploadFile

    project = request.path_params["project"]

    async def handle():
        await checked(request)
        form = await request.form(max_part_size=UPLOAD_LIMIT)
        file, kind, target = form.get("file"), str(form.get("kind", "")), str(form.get("target", "")).strip()
        if not isinstance(file, UploadFile):
            raise UsageError("no file was sent", "choose a file, then Upload")
        data = await file.read(UPLOAD_LIMIT + 1)
        if len(data) > UPLOAD_LIMIT:
            raise UsageError(f"the file is over {UPLOAD_LIMIT >> 20} MiB", "send a smaller file")
        if not data:
            raise UsageError("the file is empty", "choose the file again")
        upload_id, result = None, {}
        for at in range(0, len(data), PIECE):
            result = await call(request, "media_upload", project_id=project, kind=kind, target=target,
                                piece=base64.b64encode(data[at : at + PIECE]).decode(),
                                upload_id=upload_id, offset=at, last=at + PIECE >= len(data))  # fmt: skip
            upload_id = result["upload_id"]
        what = "sheet (approved)" if kind == "character_sheet" else kind.removeprefix("scene_")
        return part(request, "_uploaded.html", message=f"{result['target']}: {what} kept as {result['asset']}")

    return await guarded(request, handle)


# ---------------------------------------------------------------- film
async def jobs_context(request: Request, project: str) -> dict:
    jobs = [j for j in await call(request, "job_list", project_id=project) if j["kind"] in ("render", "make")]
    jobs.sort(key=lambda j: j.get("started") or 0, reverse=True)
    for j in jobs:
        j["when"] = time.strftime("%Y-%m-%d %H:%M", time.localtime(j.get("started") or 0))
    return {"jobs": jobs[:20]}


async def film_page(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        status = await call(request, "project_status", project_id=project)
        last = status.get("last_render") or {}
        film = PurePath(last["film"]).name if last.get("film") else None
        jobs = await jobs_context(request, project)
        done = next((j["result"] for j in jobs["jobs"] if j["status"] == "done" and j.get("result")), {})
        vtt = next((PurePath(s).name for s in done.get("subtitles", []) if s.endswith(".vtt")), None)
        if film and not vtt:
            vtt = film.rsplit(".", 1)[0] + ".vtt"
        from moviegen.brain.server.web.pages import hls_ladder

        ladder = hls_ladder(request.app.state.brain.project(project), film)
        return page(request, "film.html", **project_context(request, project, "film"), film=film, vtt=vtt,
                    duration=done.get("duration") or last.get("duration"), hls=ladder, **jobs)  # fmt: skip

    return await guarded(request, handle)


async def jobs_part(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        return part(request, "_jobs.html", project=project, **await jobs_context(request, project))

    return await guarded(request, handle)


async def render_post(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        await checked(request)
        await call(request, "render_start", project_id=project)
        return part(request, "_jobs.html", project=project, **await jobs_context(request, project))

    return await guarded(request, handle)
