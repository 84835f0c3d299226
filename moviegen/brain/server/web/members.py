"""Members in the web view: who the project is shared with and their role in it, for its producers — share with
a user (``moviegen user add`` made them), change a role, take someone off. Each action is the tool an MCP client
would call (``project_share``, ``project_unshare``, ``project_members``: producers), behind its access check."""

from __future__ import annotations

import typing

from starlette.requests import Request
from starlette.responses import Response

from moviegen.brain.server.web.calls import call
from moviegen.brain.server.web.pages import checked, guarded, project_context
from moviegen.brain.server.web.render import page, part
from moviegen.core.api import PersonRole

ROLES = typing.get_args(PersonRole)


async def context(request: Request, project: str) -> dict:
    return {"members": await call(request, "project_members", project_id=project), "roles": ROLES}


async def members_page(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        listed = await context(request, project)  # the tool's check: producers only
        return page(request, "members.html", **project_context(request, project, "members"), **listed)

    return await guarded(request, handle)


async def members_part(request: Request) -> Response:
    project = request.path_params["project"]

    async def handle():
        return part(request, "_members.html", project=project, changed=None, **await context(request, project))

    return await guarded(request, handle)


async def share_post(request: Request) -> Response:
    """Share the project with a user in a role (sharing again changes the role), then the list again."""
    project = request.path_params["project"]

    async def handle():
        await checked(request)
        form = await request.form()
        name, role = str(form.get("name") or "").strip(), str(form.get("role") or "")
        await call(request, "project_share", project_id=project, name=name, role=role)
        return part(request, "_members.html", project=project, changed=name, **await context(request, project))

    return await guarded(request, handle)


async def unshare_post(request: Request) -> Response:
    """Take a user off the project, then the list again."""
    project, name = request.path_params["project"], request.path_params["name"]

    async def handle():
        await checked(request)
        await call(request, "project_unshare", project_id=project, name=name)
        return part(request, "_members.html", project=project, changed=None, **await context(request, project))

    return await guarded(request, handle)
