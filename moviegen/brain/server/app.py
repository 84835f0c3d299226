"""The brain's ASGI app: MCP over WebSocket (/mcp/ws) and streamable HTTP (/mcp), live events
(/events), /healthz and /metrics, with the token check at the door."""

from __future__ import annotations

import contextlib
import os
from types import SimpleNamespace

import anyio
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.message import ServerMessageMetadata
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from moviegen import __version__
from moviegen.brain.audit import Caller
from moviegen.brain.server import login, oidc, quick_calls, web, ws_transport
from moviegen.brain.server.auth import Credentials, authenticate
from moviegen.brain.server.door import OPEN_PATHS, Door
from moviegen.brain.server.limits import LoginLimiter
from moviegen.brain.server.metrics import CONTENT_TYPE, BrainMetrics
from moviegen.brain.server.tools import build_server


def create_app(
    brain, *, require_token: bool = False, max_message_bytes: int = 4 << 20, limiter: LoginLimiter | None = None
) -> Starlette:
    """The brain's app around a LocalBrain (which owns the jobs, their runners and the event bus). ``limiter``:
    how many wrong tokens an address may present (default: LoginLimiter.from_env())."""
    from moviegen.core import locations

    events, jobs = brain.bus, brain.jobs
    brain.mode = "brain server"
    metrics = BrainMetrics(brain)
    mcp = build_server(brain, on_call=metrics.tool_called)
    lowlevel = mcp._lowlevel_server  # the SDK's Server, which runs one session per connection
    tokens = Credentials(locations.home_dir())  # service tokens and people's access tokens (JWTs)
    limiter = limiter if limiter is not None else LoginLimiter.from_env()
    http_sessions = StreamableHTTPSessionManager(app=lowlevel, json_response=False, stateless=False)

    def door(scope_headers, client) -> object | None:
        """The caller (door.admit, which Door has already run over every route but /healthz)."""
        return authenticate(scope_headers, client.host if client else None, tokens, require_token)

    def refused(scope: Scope, refusal) -> None:
        if scope["type"] == "websocket":
            metrics.ws_rejected += 1

    async def mcp_ws(websocket: WebSocket) -> None:
        principal = door(websocket.headers, websocket.client)
        if principal is None:
            metrics.ws_rejected += 1
            await websocket.close(code=4401, reason="a valid token is required")
            return
        subprotocol = (
            ws_transport.SUBPROTOCOL if ws_transport.SUBPROTOCOL in websocket.scope.get("subprotocols", []) else None
        )
        await websocket.accept(subprotocol=subprotocol)
        metrics.ws_connections += 1
        metrics.ws_total += 1
        request = SimpleNamespace(state=SimpleNamespace(principal=principal), headers=websocket.headers)
        answer_now = on_sent = None
        if quick_calls.enabled():  # light reads answered by the reader itself (quick_calls.py)
            quick = quick_calls.QuickCalls(mcp, brain, request)
            on_sent = quick.sent

            async def answer_now(message):
                answer = await quick.answer(message)
                if answer is not None:  # (the session's stream counts the others)
                    metrics.messages_in += 1
                    metrics.quick_calls += 1
                return answer

        try:
            async with ws_transport.server_streams(websocket, max_message_bytes, answer_now, on_sent) as (read, write):
                read = _Tagged(read, ServerMessageMetadata(request_context=request), metrics)
                await lowlevel.run(read, write, lowlevel.create_initialization_options())
        except anyio.get_cancelled_exc_class():
            raise
        except Exception:  # noqa: BLE001 - one connection's failure never takes the brain down
            pass
        finally:
            metrics.ws_connections -= 1

    async def mcp_http(scope: Scope, receive: Receive, send: Send) -> None:
        metrics.http_requests += 1
        request = Request(scope, receive)
        principal = door(request.headers, request.client)
        if principal is None:
            await JSONResponse({"error": "a valid token is required"}, status_code=401)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await http_sessions.handle_request(scope, receive, send)

    async def events_ws(websocket: WebSocket) -> None:
        """Live events of the projects the caller may read (``?project=SLUG`` for one of them)."""
        principal = door(websocket.headers, websocket.client)
        if principal is None:
            await websocket.close(code=4401, reason="a valid token is required")
            return
        wanted = websocket.query_params.get("project")
        if wanted and not mcp.doors.visible(principal, wanted):
            caller = Caller(principal.name, principal.role, "ws")  # refused: in the audit trail (brain/audit.py)
            brain.audit_record(caller, "events", wanted, {"project": wanted}, "access_denied")
            await websocket.close(code=4403, reason=f"'{principal.name}' may not read project '{wanted}'")
            return

        def wants(project: str) -> bool:
            return (not wanted or project == wanted) and mcp.doors.visible(principal, project)

        # which brain process serves this socket (one of several with --processes N)
        await websocket.accept(headers=[(b"x-moviegen-pid", str(os.getpid()).encode())])
        queue, listener = events.subscribe_async(wants)
        try:
            async with anyio.create_task_group() as tg:

                async def watch_close() -> None:
                    while (await websocket.receive())["type"] != "websocket.disconnect":
                        pass
                    tg.cancel_scope.cancel()

                tg.start_soon(watch_close)
                while True:
                    await websocket.send_text(await queue.get())
        except Exception:  # noqa: BLE001 - a listener that went away
            pass
        finally:
            events.unsubscribe(listener)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})  # open to all: nothing more

    async def metrics_route(request: Request) -> Response:
        return Response(await anyio.to_thread.run_sync(metrics.render), media_type=CONTENT_TYPE)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        from moviegen.brain import schedule
        from moviegen.workers import resume

        # the scheduled jobs (gc, nightly renders) run here unless Celery beat does (executor celery; brain/schedule.py)
        app.state.scheduler = schedule.start_for(brain)
        # jobs the last brain left interrupted are taken up again (MOVIEGEN_JOBS__RESUME; workers/resume.py)
        app.state.resumer = resume.start_for(brain)
        try:
            async with http_sessions.run(), anyio.create_task_group() as tg:
                tg.start_soon(metrics.watch, events)
                tg.start_soon(login.warm)
                yield
                tg.cancel_scope.cancel()
        finally:
            if app.state.resumer is not None:  # no job is taken up once the brain is closing
                await anyio.to_thread.run_sync(app.state.resumer.stop)
            if app.state.scheduler is not None:
                await anyio.to_thread.run_sync(app.state.scheduler.stop)
        # running renders stop at a step boundary, recorded as interrupted (resumable); the workers stop too
        await anyio.to_thread.run_sync(brain.close)

    app = Starlette(
        routes=[
            WebSocketRoute("/mcp/ws", mcp_ws),
            Route("/mcp", _Asgi(mcp_http), methods=["GET", "POST", "DELETE"]),
            Route("/mcp/", _Asgi(mcp_http), methods=["GET", "POST", "DELETE"]),
            WebSocketRoute("/events", events_ws),
            Route("/healthz", healthz),
            Route("/metrics", metrics_route),
            *login.routes(tokens.people, limiter),  # POST /auth/login, /auth/refresh, /auth/logout
            *oidc.routes(),  # GET /auth/oidc/start, /auth/oidc/callback (sign-in with an identity provider)
            *web.routes(),  # the web view for collaborators, at / (moviegen.brain.server.web)
        ],
        lifespan=lifespan,
    )
    app.add_middleware(Door, tokens=tokens, require_token=require_token, on_refused=refused, limiter=limiter,
                       open_paths=OPEN_PATHS | login.PATHS | oidc.PATHS | web.OPEN_PATHS)  # fmt: skip
    web.install(app, brain, limiter, tokens.people)
    app.state.oidc = oidc.from_settings(brain.settings.oidc, tokens.people)  # None: not configured
    app.state.events, app.state.jobs, app.state.mcp, app.state.metrics = events, jobs, mcp, metrics
    return app


class _Asgi:
    """An ASGI callable as a route endpoint (Starlette treats plain functions as request handlers)."""

    def __init__(self, fn) -> None:
        self.fn = fn

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.fn(scope, receive, send)


class _Tagged:
    """The read stream, with the connection's identity attached to every request."""

    def __init__(self, stream, metadata, metrics: BrainMetrics) -> None:
        self._stream, self._metadata, self._metrics = stream, metadata, metrics

    def __aiter__(self):
        return self

    async def __anext__(self):
        item = await self._stream.__anext__()
        self._metrics.messages_in += 1
        if not isinstance(item, Exception) and item.metadata is None:
            item.metadata = self._metadata
        return item

    async def receive(self):
        return await self.__anext__()

    def __getattr__(self, name):
        return getattr(self._stream, name)

    async def __aenter__(self):
        await self._stream.__aenter__()
        return self

    async def __aexit__(self, *exc):
        return await self._stream.__aexit__(*exc)
