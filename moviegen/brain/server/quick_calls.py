"""Light tool calls over WebSocket, answered by the connection's reader itself.

Under load most of a search's cost was the SDK's per-request machinery around it — a task and events per
request, the request-state and OpenTelemetry middleware, two memory-stream hops — about 1.1 ms of CPU per call
against 0.15 ms for the search. A call of one of the light read tools below (:data:`QUICK_TOOLS`) whose project
memory is already open and in step with its files is run here instead, through the **same** ``Tool`` the SDK
holds: its argument validation, our access check, audit and metrics (``tools.py``), the SDK's own conversion of
the result, and the response shaped for the connection's protocol version as the SDK's runner shapes it.

Anything else goes to the SDK's session as before, which answers it: another method or tool, a call that
carries ``_meta`` (a progress token, a per-request protocol version), a project whose memory must first be
opened or synced, arguments the tool refuses (the tool never ran), and every call until the SDK has *answered*
the connection's ``initialize`` (the version is read from that answer, so a pipelined call never overtakes it,
and a connection that spoke the per-request 2026 protocol first never gets a quick answer). Once the tool has
run, a failure is answered here the way the SDK answers it (an error result, or -32603 for a result it cannot
send), so a tool is never run twice.

What a quick call does not get: the SDK's OpenTelemetry span, and ``notifications/cancelled`` (a quick call is
over before a cancel could arrive). ``brain serve`` turns the path off with MOVIEGEN_BRAIN_QUICK_CALLS=0 (the
conformance tests compare both ways, answer for answer).
"""

from __future__ import annotations

import logging
import os
from types import SimpleNamespace
from typing import Any

import mcp_types as types
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR, CallToolResult, TextContent
from mcp_types.methods import serialize_server_result
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from pydantic import ValidationError

# read-only, no progress, no worker thread once the project's memory is open (tools.QUICK less the job tools,
# which look the job's project up in the index first)
QUICK_TOOLS = frozenset({"whoami", "providers", "embed_text", "search_by_embedding", "search_story"})
log = logging.getLogger("moviegen.brain")


def enabled() -> bool:
    return os.environ.get("MOVIEGEN_BRAIN_QUICK_CALLS", "1").strip().lower() not in ("0", "false", "no", "off")


class QuickCalls:
    """One per connection: ``request`` is the connection's stand-in request (its caller), as the SDK's session
    would pass it to the tool in its context. ``answer`` sees every message in, ``sent`` every message out."""

    def __init__(self, mcp, brain, request) -> None:
        hinted = bool(mcp._lowlevel_server.cache_hints.get("tools/call"))  # the SDK would add hints: not ours to
        self.tools = {} if hinted else {name: mcp._tool_manager.get_tool(name) for name in QUICK_TOOLS}
        self.brain = brain
        self.context = SimpleNamespace(request_context=SimpleNamespace(request=request))
        self.version: str | None = None  # the protocol version the SDK's initialize answer settled on
        self.initializing: Any = None  # the id of the initialize request on its way
        self.envelope = False  # a request with _meta came before the handshake: the SDK's, for good

    def sent(self, message: Any) -> None:
        """A message the session sends: its answer to ``initialize`` opens the quick path."""
        if self.initializing is None or getattr(message, "id", None) != self.initializing:
            return
        self.initializing = None
        if isinstance(message, types.JSONRPCResponse) and not self.envelope:
            version = (message.result or {}).get("protocolVersion")
            self.version = version if version in HANDSHAKE_PROTOCOL_VERSIONS else None

    async def answer(self, message: Any) -> str | None:
        """The response frame for ``message``, or None to hand it to the SDK's session."""
        if not isinstance(message, types.JSONRPCRequest):
            return None
        params = message.params if isinstance(message.params, dict) else {}
        if self.version is None:
            if message.method == "initialize":
                self.initializing = message.id
            elif "_meta" in params:
                self.envelope = True
            return None
        if message.method != "tools/call" or "_meta" in params:
            return None
        name, arguments = params.get("name"), params.get("arguments")
        if (
            not isinstance(name, str)
            or name not in self.tools
            or not (arguments is None or isinstance(arguments, dict))
        ):
            return None
        arguments = arguments or {}
        project = arguments.get("project_id")
        try:
            ready = project is None or (isinstance(project, str) and self.brain.knowledge_ready(project))
        except Exception:  # noqa: BLE001 - whatever went wrong, the SDK's path says it
            ready = False
        if not ready:
            return None  # opening or syncing a project's memory runs in a worker thread: the SDK's path
        return await self._run(message.id, name, arguments)

    async def _run(self, rid: Any, name: str, arguments: dict[str, Any]) -> str | None:
        try:
            result = await self.tools[name].run(arguments, context=self.context, convert_result=True)
        except ToolError as exc:
            if type(exc) is ToolError and isinstance(exc.__cause__, ValidationError):
                return None  # arguments refused before the tool ran: the SDK answers (and logs) it
            log.error("tool %r failed after it ran: %r", name, str(exc))  # as the SDK's _handle_call_tool answers
            result = CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
        except MCPError as exc:
            return _frame(types.JSONRPCError(jsonrpc="2.0", id=rid, error=exc.error))
        try:  # the result in this protocol version's shape, as the SDK's runner sends it
            body = serialize_server_result(
                "tools/call", self.version, result.model_dump(by_alias=True, mode="json", exclude_none=True)
            )
        except Exception:  # noqa: BLE001 - as the SDK's runner answers a result it cannot send
            log.exception("tool %r returned an invalid result", name)
            error = types.ErrorData(code=INTERNAL_ERROR, message="Handler returned an invalid result")
            return _frame(types.JSONRPCError(jsonrpc="2.0", id=rid, error=error))
        return _frame(types.JSONRPCResponse(jsonrpc="2.0", id=rid, result=body))


def _frame(message) -> str:
    return message.model_dump_json(by_alias=True, exclude_unset=True)
