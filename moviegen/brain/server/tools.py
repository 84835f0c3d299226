"""The brain's MCP surface: one tool per operation of the studio interface (moviegen.core.api), the
generation tools, resources and prompts — every one behind the same access check.

A tool is made from the operation's declaration: the same name, arguments and types, and its access level.
It finds the caller (a token at the door, or the local user on loopback), asks ``access.authorize``, and
calls the LocalBrain method of the same name. Errors cross the wire with their identity: a failed tool
returns ``isError`` with ``structuredContent = {"error": {code, message, hint}}``, so RemoteBrain raises the
same MoviegenError subclass LocalBrain would.
"""

from __future__ import annotations

import base64
import functools
import inspect
import logging
import os
import time
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, CallToolResult, TextContent
from pydantic import Field, ValidationError

from moviegen import __version__
from moviegen.brain import audit
from moviegen.brain.server.access import ROLES_FOR, authorize, may
from moviegen.brain.server.auth import LOCAL_USER, Principal
from moviegen.core.api import operations
from moviegen.core.brain import ImageRequest, MusicRequest, SpeechRequest, TextRequest
from moviegen.core.errors import (
    AccessDeniedError,
    MoviegenError,
    NotFoundError,
    UsageError,
)

log = logging.getLogger("moviegen.brain")

# light operations run on the event loop when the project's memory is open and in step with its files: under
# load the hop to a worker thread is what costs (dozens of threads trading the GIL and the store's lock)
QUICK = {"whoami", "providers", "embed_text", "search_by_embedding", "search_story", "job_status"}
# JSON-RPC codes of errors raised by resources and prompts (tools answer with isError results instead)
ERROR_CODES = {"access_denied": -32001, "not_found": -32002, "project_not_found": -32002, "usage": -32602}
PROJECT = Annotated[str, Field(min_length=1, max_length=64, description="the project's slug")]


def principal_of(ctx: Context | None) -> Principal:
    if ctx is None:
        return LOCAL_USER
    try:
        request = ctx.request_context.request
    except (ValueError, AttributeError):
        return LOCAL_USER
    if request is None:
        return LOCAL_USER  # stdio: the user who launched the process
    principal = getattr(getattr(request, "state", None), "principal", None)
    if principal is None:
        raise AccessDeniedError("the connection carries no identity", "connect with a token")
    return principal


def via_of(ctx: Context | None) -> str:
    """The transport a call came over, for the audit trail: stdio (no request), http (a starlette request,
    which has a scope) or ws (app.py's stand-in request for a WebSocket session)."""
    try:
        request = ctx.request_context.request if ctx is not None else None
    except (ValueError, AttributeError):
        request = None
    if request is None:
        return "stdio"
    return "http" if hasattr(request, "scope") else "ws"


def caller_of(principal: Principal, ctx: Context | None) -> audit.Caller:
    return audit.Caller(principal.name, principal.role, via_of(ctx))


def wire_error(exc: BaseException) -> MoviegenError:
    """What the caller is told: our errors as they are (a missing project's error names no path and no other
    project), bad arguments as a usage error, anything else as an internal error (logged, never sent)."""
    if isinstance(exc, MoviegenError):
        return exc
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return UsageError(f"invalid arguments: {err['msg']}" + (f" at {where}" if where else ""),
                          "check the tool's input schema (moviegen brain tools --json)")  # fmt: skip
    log.error("unexpected error: %s: %s", type(exc).__name__, exc, exc_info=exc)
    internal = MoviegenError("the brain failed unexpectedly", "see the brain's log ('moviegen logs')")
    internal.code = "internal"
    return internal


def error_result(exc: MoviegenError) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=exc.summary())],
                          structured_content={"error": exc.to_wire()}, is_error=True)  # fmt: skip


def protocol_error(exc: BaseException) -> MCPError:
    """For resources and prompts, which answer with JSON-RPC errors: a stable code and the same data."""
    err = wire_error(exc)
    return MCPError(code=ERROR_CODES.get(err.code, -32000), message=err.summary(), data=err.to_wire())


class Doors:
    """The access check of one server, bound to its brain (project identities come from there)."""

    def __init__(self, brain) -> None:
        self.brain = brain

    def check(self, ctx: Context | None, level: str, project_id: str | None, op: str = "",
              arguments: dict[str, Any] | None = None) -> Principal:  # fmt: skip
        """The caller, if it may act at ``level`` on the project; a refusal of ``op`` is recorded in the audit
        trail (brain/audit.py) before it is raised."""
        principal = principal_of(ctx)
        try:
            authorize(principal, level, project_id, self.brain.identity)
        except AccessDeniedError:
            self.brain.audit_record(caller_of(principal, ctx), op, project_id, arguments or {}, "access_denied")
            raise
        return principal

    def visible(self, principal: Principal, project_id: str) -> bool:
        return may(principal, "read", project_id, self.brain.identity)

    def check_all(self, ctx: Context | None, level: str, op: str = "", arguments: dict[str, Any] | None = None
                  ) -> Principal:  # fmt: skip
        """For an operation over every project the caller may reach (its optional project left out): the role
        check of ``level``; the projects are filtered with ``visible``."""
        principal = principal_of(ctx)
        if principal.role not in ROLES_FOR[level]:
            self.check(ctx, level, None, op, arguments)  # raises (and records) the role's refusal
        return principal


def _tool_for(name: str, declared, brain, doors: Doors, on_call=None):
    level = declared.__access__
    signature = inspect.signature(declared, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name != "self"]
    job_level = level.startswith("job_")
    method = getattr(brain, name)
    # an operation whose project may be left out, and whose implementation takes ``visible`` (stats), works on
    # every project the caller may read when it is left out
    all_projects = (
        "project_id" in signature.parameters and signature.parameters["project_id"].default is None
        and "visible" in inspect.signature(method).parameters
    )  # fmt: skip

    many_projects = "project_ids" in signature.parameters  # search_projects: several projects, each checked

    async def tool(ctx: Context, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = await dispatch(ctx, **kwargs)
        if on_call is not None:
            error = result.structured_content["error"]["code"] if isinstance(result, CallToolResult) else "ok"
            on_call(name, time.perf_counter() - started, error)
        return result

    async def dispatch(ctx: Context, **kwargs: Any) -> Any:
        project_id = kwargs.get("project_id")
        try:
            if job_level:
                project_id = await anyio.to_thread.run_sync(brain.job_project, kwargs["job_id"])
            if many_projects:  # each project named is checked; none named: every project the caller may read
                principal = doors.check_all(ctx, level, name, kwargs)
                for each in kwargs.get("project_ids") or ():
                    doors.check(ctx, level, each, name, kwargs)
                if kwargs.get("project_ids") is None:
                    kwargs["visible"] = functools.partial(doors.visible, principal)
            elif all_projects and project_id is None:
                principal = doors.check_all(ctx, level, name, kwargs)
                kwargs["visible"] = functools.partial(doors.visible, principal)
            else:
                principal = doors.check(ctx, level, project_id, name, kwargs)
            if kwargs.get("into") is not None:  # story_share: the receiving project at the same level
                doors.check(ctx, level, kwargs["into"], name, kwargs)
            with audit.calling(caller_of(principal, ctx)):  # the op's audit entry names this caller
                if level == "create" and principal.is_user:
                    return await created(ctx, principal, kwargs)
                return await served(principal, project_id, kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes an answer with its code
            return error_result(wire_error(exc))

    async def served(principal: Principal, project_id: str | None, kwargs: dict[str, Any]) -> Any:
        if name == "project_delete":
            kwargs["actor"] = f"{principal.name} ({principal.role})"
        if name == "whoami":
            return {"name": principal.name, "role": principal.role, "projects": list(principal.labels),
                    "version": __version__, "providers": brain.providers(), "pid": os.getpid()}  # fmt: skip
        if name in QUICK and (project_id is None or job_level or brain.knowledge_ready(project_id)):
            result = method(**kwargs)
        else:
            result = await anyio.to_thread.run_sync(functools.partial(method, **kwargs))
        if name == "project_list":
            result = [row for row in result if doors.visible(principal, row["slug"])]
        return result

    async def created(ctx: Context, principal: Principal, kwargs: dict[str, Any]) -> Any:
        """A person's new project is theirs to produce; reusing an existing one takes the right to direct it."""
        slug = kwargs.get("slug")
        reused = bool(kwargs.get("reuse")) and bool(slug) and await anyio.to_thread.run_sync(brain.store.exists, slug)
        if kwargs.get("reuse") and not slug:
            raise UsageError("reusing a project needs its slug", "pass the slug of a project shared with you")
        if reused:
            doors.check(ctx, "direct", slug, name, kwargs)
        result = await served(principal, None, kwargs)
        made = result.get("slug") or result.get("project") if isinstance(result, dict) else None
        if made and not reused and await anyio.to_thread.run_sync(brain.store.exists, made):  # not an estimate
            await anyio.to_thread.run_sync(brain.project_share, made, principal.name, "producer")
        return result

    tool.__name__ = name
    return with_context(tool, params, signature.return_annotation, declared.__doc__)


def with_context(wrapper, params: list[inspect.Parameter], returns: Any, doc: str | None):
    """Give ``wrapper(**arguments, ctx)`` the published signature: the arguments' names and types (for the
    input schema), a ``ctx: Context`` the SDK fills in, and the result's type (for the output schema)."""
    ctx_param = inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)
    wrapper.__dict__.pop("__wrapped__", None)
    wrapper.__doc__ = doc
    wrapper.__signature__ = inspect.Signature(
        [*[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params if p.name != "ctx"], ctx_param],
        return_annotation=returns,
    )
    wrapper.__annotations__ = {p.name: p.annotation for p in params if p.name != "ctx"} | {
        "ctx": Context, "return": returns}  # fmt: skip
    return wrapper


def _rewrap(wrapper, fn):
    signature = inspect.signature(fn, eval_str=True)
    return with_context(wrapper, list(signature.parameters.values()), signature.return_annotation, fn.__doc__)


class BrainServer(MCPServer):
    """The SDK's server, with a prompt that does not exist or lacks an argument answered -32602 (the SDK raises
    those itself, before any prompt runs: code 0 and a traceback in the log)."""

    async def get_prompt(self, name, arguments=None, context=None):
        prompt = self._prompt_manager.get_prompt(name)
        if prompt is None:
            raise MCPError(INVALID_PARAMS, f"no prompt '{name}'")
        missing = sorted(a.name for a in prompt.arguments or [] if a.required and a.name not in (arguments or {}))
        if missing:
            raise MCPError(INVALID_PARAMS, f"prompt '{name}' needs {', '.join(missing)}")
        return await super().get_prompt(name, arguments, context)


def build_server(brain, on_call=None) -> MCPServer:
    """One MCPServer bound to a LocalBrain (its projects, memory, jobs and events); ``on_call(tool, seconds,
    status)`` hears of every tool call (status: ``ok`` or the error's code), for /metrics."""
    mcp = BrainServer(
        name="moviegen-brain",
        version=__version__,
        instructions="moviegen's brain: a film project's story, memory (documents, vectors, story graph), "
        "storyboard, cast, renders and jobs, and the studio's AI providers. Every project tool takes project_id.",
    )
    doors = Doors(brain)
    mcp.doors = doors
    for name, declared in operations().items():
        mcp.add_tool(_tool_for(name, declared, brain, doors, on_call), name=name, description=declared.__doc__)
    _generation_tools(mcp, brain, doors, on_call)
    _resources_and_prompts(mcp, brain, doors)
    return mcp


def _generation_tools(mcp: MCPServer, brain, doors: Doors, on_call=None) -> None:
    """The providers themselves (they spend: directors and up), for a project's budget and ledger."""

    def generation(fn):
        async def wrapper(ctx: Context, **kwargs):
            project_id, started, status, caller = kwargs.get("project_id"), time.perf_counter(), "ok", None
            try:
                caller = caller_of(doors.check(ctx, "direct", project_id, fn.__name__, kwargs), ctx)
                brain.project(project_id)
                return await anyio.to_thread.run_sync(functools.partial(fn, **kwargs))
            except Exception as exc:  # noqa: BLE001 - every failure becomes an answer with its code
                err = wire_error(exc)
                status = err.code
                return error_result(err)
            finally:
                if caller is not None:  # it spends: in the audit trail (a refusal is recorded by the check)
                    brain.audit_record(caller, fn.__name__, project_id, kwargs, status)
                if on_call is not None:
                    on_call(fn.__name__, time.perf_counter() - started, status)

        wrapper.__name__ = fn.__name__
        return _rewrap(wrapper, fn)

    @mcp.tool()
    @generation
    def generate_text(project_id: PROJECT, task: str, prompt: str, seed: int = 7,
                      params: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        """Text from the configured text provider (offline: the procedural story writer, task 'story.develop')."""
        request = TextRequest(project_id=project_id, task=task, prompt=prompt, seed=seed, params=params or {})
        return brain.generate_text(request).model_dump()

    @mcp.tool()
    @generation
    def generate_image(
        project_id: PROJECT, prompt: str, width: Annotated[int, Field(ge=64, le=4096)] = 640,
        height: Annotated[int, Field(ge=64, le=4096)] = 360, seed: int = 7, request: ImageRequest | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """A picture from the configured image provider, as base64 PNG. ``request`` carries the shot's hints
        (place, time of day, framing, characters) for painters that draw from them."""
        req = request or ImageRequest(prompt=prompt, width=width, height=height, seed=seed, caption=prompt)
        r = brain.generate_image(req.model_copy(update={"project_id": project_id}))
        return {"png_base64": base64.b64encode(r.png).decode(), "width": r.width, "height": r.height,
                "provider": r.provider}  # fmt: skip

    @mcp.tool()
    @generation
    def generate_speech(
        project_id: PROJECT, text: Annotated[str, Field(min_length=1, max_length=5000)],
        voice: str = "en-us+f3", pitch: Annotated[int, Field(ge=0, le=100)] = 50,
        rate: Annotated[int, Field(ge=80, le=450)] = 165, seed: int = 7,
    ) -> dict[str, Any]:  # fmt: skip
        """Speech from the configured voice provider, as base64 float32 PCM."""
        request = SpeechRequest(project_id=project_id, text=text, voice=voice, pitch=pitch, rate=rate, seed=seed)
        return audio_view(brain.generate_speech(request))

    @mcp.tool()
    @generation
    def generate_music(project_id: PROJECT, request: MusicRequest) -> dict[str, Any]:
        """A score cue from the configured music provider, as base64 float32 PCM."""
        return audio_view(brain.generate_music(request.model_copy(update={"project_id": project_id})))


def audio_view(r) -> dict[str, Any]:
    return {"pcm_f32_base64": base64.b64encode(r.pcm).decode(), "sample_rate": r.sample_rate,
            "channels": r.channels, "provider": r.provider}  # fmt: skip


def _resources_and_prompts(mcp: MCPServer, brain, doors: Doors) -> None:
    def guarded(level: str):
        def decorate(fn):
            async def wrapper(ctx: Context, **kwargs):
                project_id = kwargs.get("project_id")
                try:
                    doors.check(ctx, level, project_id, fn.__name__, kwargs)
                    return await anyio.to_thread.run_sync(functools.partial(fn, **kwargs))
                except Exception as exc:  # noqa: BLE001 - every failure becomes a JSON-RPC error with a code
                    raise protocol_error(exc) from None

            wrapper.__name__ = fn.__name__
            wrapper.__access__ = level
            return _rewrap(wrapper, fn)

        return decorate

    @mcp.resource("moviegen://projects/{project_id}/screenplay", mime_type="text/plain")
    @guarded("read")
    def screenplay_resource(project_id: str) -> str:
        """The project's screenplay (Fountain)."""
        return brain.project(project_id).screenplay_text()

    @mcp.resource("moviegen://projects/{project_id}/shots", mime_type="application/toml")
    @guarded("read")
    def shots_resource(project_id: str) -> str:
        """The project's shot list (TOML)."""
        from moviegen.core import locations

        path = locations.shots_file(brain.project(project_id).path)
        if not path.exists():
            raise NotFoundError(f"{project_id} has no shot list yet", f"run 'moviegen plan {project_id}' first")
        return path.read_text(encoding="utf-8")

    @mcp.prompt()
    @guarded("read")
    def review_scene(project_id: str, scene: str) -> str:
        """Ask for notes on one scene of the screenplay."""
        from moviegen.core.scenes import scenes_of

        scenes = {s.id: s for s in scenes_of(brain.project(project_id).screenplay())}
        if scene not in scenes:
            raise UsageError(f"no scene {scene}", f"scenes are {', '.join(scenes)}")
        s = scenes[scene]
        body = "\n".join(f"{b.character}: {b.text}" if b.kind == "dialogue" else b.text for b in s.beats)
        return (
            f"You are a script editor. Give concise notes on this scene: clarity of want and obstacle, "
            f"dialogue that explains too much, continuity with the scenes around it.\n\n{s.heading}\n\n{body}"
        )

    @mcp.prompt()
    @guarded("read")
    def pitch(project_id: str) -> str:
        """Ask for a 60-second pitch of the project."""
        p = brain.project(project_id)
        return f"Write a 60-second pitch for the film '{p.info.title}'. Premise: {p.info.premise}"
