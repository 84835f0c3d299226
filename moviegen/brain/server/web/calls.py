"""A page's way into the brain: the MCP tool of an operation, called in-process with the page's caller.

Every page action calls the same tool an MCP client would (moviegen.brain.server.tools): the same argument
check, the same access check (``access.authorize`` on the caller the door admitted), the same audit entry and
the same errors. So a viewer's POST from a page is refused by exactly the check that refuses the tool.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError
from starlette.requests import Request

from moviegen.brain.server.access import may
from moviegen.brain.server.auth import LOCAL_USER, Principal
from moviegen.core.errors import UsageError, error_from_wire


def principal(request: Request) -> Principal:
    """Who the door admitted (a token, the ``mg_access`` cookie, or the local user on loopback)."""
    return getattr(request.state, "principal", None) or LOCAL_USER


async def call(request: Request, name: str, /, **arguments: Any) -> Any:
    """The result of the operation ``name``, or its MoviegenError raised."""
    mcp = request.app.state.mcp
    ctx = Context(request_context=SimpleNamespace(request=request), mcp_server=mcp)
    try:
        result = await mcp.call_tool(name, arguments, ctx)
    except ToolError as exc:  # the SDK's own argument check: which field, and what is wrong with it
        cause = exc.__cause__
        if isinstance(cause, ValidationError) and cause.errors():
            err = cause.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise UsageError(f"invalid {field or 'arguments'} for {name}: {err['msg']}",
                             "check the form and try again") from None  # fmt: skip
        message = str(exc).removeprefix(f"Error executing tool {name}: ").splitlines()[0]
        raise UsageError(f"invalid arguments for {name}: {message}", "check the form and try again") from None
    data = result.structured_content
    if result.is_error:
        raise error_from_wire((data or {}).get("error") or {"code": "internal", "message": "the brain failed"})
    if isinstance(data, dict) and set(data) == {"result"}:
        return data["result"]
    return data


async def resource(request: Request, uri: str) -> str:
    """The text of one of the brain's MCP resources (``moviegen://projects/SLUG/shots``), behind the same
    access check as for an MCP client."""
    from mcp.shared.exceptions import MCPError

    mcp = request.app.state.mcp
    ctx = Context(request_context=SimpleNamespace(request=request), mcp_server=mcp)
    try:
        contents = await mcp.read_resource(uri, ctx)
    except MCPError as exc:
        data = exc.data
        raise error_from_wire(data if isinstance(data, dict) else {"code": "internal", "message": str(exc)}) from None
    return "".join(c.content if isinstance(c.content, str) else c.content.decode() for c in contents)


def allowed(request: Request, level: str, project: str) -> bool:
    """Whether the caller may act at ``level`` on ``project`` (the same check the tools make): what a page
    shows of its controls. The action itself is checked again by the tool."""
    return may(principal(request), level, project, request.app.state.brain.identity)
