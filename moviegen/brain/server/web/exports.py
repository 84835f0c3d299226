"""Exports in the web view: what the project's exports/ folder holds, to download (whoever may read the project),
and the export button per format (producers: the ``export`` tool, behind its own access check)."""

from __future__ import annotations

import re
import time
import typing

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from moviegen.brain.server.web.calls import call
from moviegen.brain.server.web.pages import checked, guarded, project_context, web
from moviegen.brain.server.web.render import page, part
from moviegen.core import locations
from moviegen.core.api import ExportFormat
from moviegen.core.errors import NotFoundError, UsageError

FORMATS = typing.get_args(ExportFormat)
LABELS = {"pdf": "Screenplay PDF", "fdx": "Final Draft (FDX)", "otio": "OpenTimelineIO", "edl": "CMX3600 EDL",
          "fcpxml": "FCPXML", "storyboard": "Storyboard PDF", "bundle": "Project bundle",
          "stems": "Audio stems (WAV)"}  # fmt: skip
# a file of exports/ or of its stems/ folder: no other folder, no hidden file, no way up
EXPORT_FILE = re.compile(r"(?:stems/)?[A-Za-z0-9][A-Za-z0-9._-]{0,200}")


def listing(request: Request, project: str) -> list[dict]:
    """The files in the project's exports/ folder (and stems/), newest first."""
    folder = locations.exports_dir(request.app.state.brain.project(project).path)
    rows = []
    for path in (*folder.glob("*"), *folder.glob("stems/*")):
        name = path.relative_to(folder).as_posix()
        try:
            if not servable(folder, name):
                continue
            st = path.stat()
        except OSError:  # removed while the list was read
            continue
        rows.append({"name": name, "size": st.st_size, "mtime": st.st_mtime,
                     "when": time.strftime("%Y-%m-%d %H:%M", time.localtime(st.st_mtime))})  # fmt: skip
    return sorted(rows, key=lambda r: (-r["mtime"], r["name"]))


def servable(folder, name: str) -> bool:
    """A plain file (no link, no hidden file) of exports/ or exports/stems/ (itself no link), by a name of ours."""
    if not EXPORT_FILE.fullmatch(name) or ".." in name:
        return False
    path = folder / name
    return path.is_file() and not path.is_symlink() and not path.parent.is_symlink()


def context(request: Request, project: str) -> dict:
    return {"files": listing(request, project), "formats": [(f, LABELS.get(f, f)) for f in FORMATS]}


async def exports_page(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        web(request).doors_check(request, "read", project, "web_exports", {})
        return page(request, "exports.html", **project_context(request, project, "exports"),
                    **context(request, project))  # fmt: skip

    return await guarded(request, handle)


async def exports_part(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        web(request).doors_check(request, "read", project, "web_exports", {})
        return part(request, "_exports.html", project=project, made=set(), **context(request, project))

    return await guarded(request, handle)


async def export_post(request: Request) -> Response:
    """Export in one format (the ``export`` tool: producers), then the list again with what it wrote."""
    project = request.path_params["project"]

    async def handle():
        await checked(request)
        fmt = str((await request.form()).get("format") or "")
        if fmt not in FORMATS:
            raise UsageError(f"no export format '{fmt}'", f"choose one of {', '.join(FORMATS)}")
        written = await call(request, "export", project_id=project, format=fmt)
        made = {f["path"].removeprefix("exports/") for f in written.get("files", [])}
        return part(request, "_exports.html", project=project, made=made, **context(request, project))

    return await guarded(request, handle)


async def download(request: Request) -> Response:
    """One exported file, as an attachment, for whoever may read the project."""
    project, name = request.path_params["project"], request.path_params["name"]

    async def handle():
        web(request).doors_check(request, "read", project, "web_export_download", {"name": name})
        folder = locations.exports_dir(request.app.state.brain.project(project).path)
        if not EXPORT_FILE.fullmatch(name) or ".." in name or (folder / name).is_symlink():
            raise UsageError(f"no export '{name}'", "use a link from the project's Exports page")
        if not servable(folder, name):
            raise NotFoundError(f"{project} has no export '{name}'", "export it first")
        path = folder / name
        return FileResponse(path, filename=path.name, headers={"Cache-Control": "private, no-store"})

    return await guarded(request, handle)
