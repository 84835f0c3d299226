"""Light tool calls over WebSocket, answered by the connection's reader itself.

Under load most of a search's cost was the SDK's per-request machinery around it — a task and events per
request, the request-state and OpenTelemetry middleware, two memory-stream hops — about 1.1 ms of CPU per call
against 0.15 ms for the search. A call of one of the light read tools below (:data:`QUICK_TOOLS`) whose project
memory is already open and in step with its files is run here instead, through the **same** ``Tool`` the SDK
holds: its argument validation, our access check, audit and metrics (``tools.py``), the SDK's own conversion of
the result, and the response serialised as the SDK does. Anything else — another method or tool, a call that
carries ``_meta`` (a progress token, a protocol version), a project whose memory must first be opened or synced,
arguments the tool refuses, any call before the initialize handshake or on a per-request (2026) connection —
goes to the SDK's session as before, which answers it (the tool never ran, or, for
an output it could not convert, ran read-only).

What a quick call does not get: the SDK's OpenTelemetry span. ``brain serve`` turns the path off with
MOVIEGEN_BRAIN_QUICK_CALLS=0 (the conformance tests compare both ways, answer for answer).
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import mcp_types as types
from mcp_types.methods import serialize_server_result
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

# read-only, no progress, no worker thread once the project's memory is open (tools.QUICK less the job tools,
# which look the job's project up in the index first)
QUICK_TOOLS = frozenset({"whoami", "providers", "embed_text", "search_by_embedding", "search_story"})


def enabled() -> bool:
    return os.environ.get("MOVIEGEN_BRAIN_QUICK_CALLS", "1").strip().lower() not in ("0", "false", "no", "off")


class QuickCalls:
    """One per connection: ``request`` is the connection's stand-in request (its caller), as the SDK's session
    would pass it to the tool in its context."""

    def __init__(self, mcp, brain, request) -> None:
        hinted = bool(mcp._lowlevel_server.cache_hints.get("tools/call"))  # the SDK would add hints: not ours to
        self.tools = {} if hinted else {name: mcp._tool_manager.get_tool(name) for name in QUICK_TOOLS}
        self.brain = brain
        self.context = SimpleNamespace(request_context=SimpleNamespace(request=request))
        self.version: str | None = None  # the protocol version the handshake settled on (none yet: the SDK's)

    async def answer(self, message: Any) -> str | None:
        """The response frame for ``message``, or None to hand it to the SDK's session."""
        if not isinstance(message, types.JSONRPCRequest):
            return None
        if message.method == "initialize":
            self.version = negotiated(message.params)
            return None
        if message.method != "tools/call" or self.version is None:
            return None
        params = message.params or {}
        tool = self.tools.get(params.get("name"))
        arguments = params.get("arguments") or {}
        if tool is None or "_meta" in params or not isinstance(arguments, dict):
            return None
        project = arguments.get("project_id")
        if project is not None and not (isinstance(project, str) and self.brain.knowledge_ready(project)):
            return None  # opening or syncing a project's memory runs in a worker thread: the SDK's path
        try:
            result = await tool.run(arguments, context=self.context, convert_result=True)
        except Exception:  # noqa: BLE001 - refused arguments and the like: the SDK answers them its own way
            return None
        try:  # the result in this protocol version's shape, as the SDK's runner sends it
            body = serialize_server_result(
                "tools/call", self.version, result.model_dump(by_alias=True, mode="json", exclude_none=True)
            )
        except Exception:  # noqa: BLE001 - a result the SDK would refuse to send: let it say so
            return None
        return types.JSONRPCResponse(jsonrpc="2.0", id=message.id, result=body).model_dump_json(
            by_alias=True, exclude_unset=True
        )


def negotiated(params: Any) -> str | None:
    """The version the SDK's initialize answers with (the one asked for when it speaks it, else its latest);
    None when it will refuse the request."""
    try:
        asked = types.InitializeRequestParams.model_validate(params or {}, by_name=False).protocol_version
    except Exception:  # noqa: BLE001 - the SDK answers the bad initialize itself
        return None
    return asked if asked in HANDSHAKE_PROTOCOL_VERSIONS else LATEST_HANDSHAKE_VERSION
