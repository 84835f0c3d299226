"""The brain's MCP surface: tools (pydantic-validated arguments, typed results), resources and prompts.

Each tool is a thin wrapper over LocalBrain, the knowledge store or a service.
Every tool that touches a project takes ``project_id`` and checks the caller's
access first; the caller comes from the transport (a token at the door, or the
local user on loopback).
"""

from __future__ import annotations

import base64
import functools
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, ValidationError

from moviegen import __version__
from moviegen.brain.server.auth import LOCAL_USER, AccessDenied, Principal, check_access
from moviegen.core.brain import ImageRequest, MusicRequest, SpeechRequest, TextRequest
from moviegen.core.errors import MoviegenError
from moviegen.core.knowledge import DocumentIn, Edge, GraphQuery, GraphRow, Neighbor, SearchFilter, SearchHit

K = Annotated[int, Field(ge=1, le=1000)]
PROJECT = Annotated[str, Field(min_length=1, max_length=64, description="the project's slug")]


class Embedding(BaseModel):
    embedder: str
    dim: int
    vector: list[float]


class Embeddings(BaseModel):
    embedder: str
    dim: int
    vectors: list[list[float]]


class Hits(BaseModel):
    hits: list[SearchHit]


class StoredIds(BaseModel):
    ids: list[str]


class Screenplay(BaseModel):
    project_id: str
    text: str
    digest: str


def guard(fn):
    """Our errors reach the client as one line (what went wrong → what to do), never as a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except MoviegenError as exc:
            raise ToolError(exc.line()) from None
        except ValidationError as exc:
            raise ToolError(f"invalid arguments: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}") from None

    return wrapper


def quick(brain):
    """For light tools (a search, an embedding, a job's status): run on the event loop when the project's
    memory is already open and in step with its files, instead of hopping to a worker thread. Under load the
    hop is what costs: dozens of worker threads trading the GIL and the store's lock. Anything that may take
    long (opening a project's memory, re-extracting its story graph) still runs in a thread."""

    def decorate(fn):
        @functools.wraps(fn)
        async def wrapper(*args, **kwargs):
            project_id = kwargs.get("project_id")
            if project_id is None or brain.knowledge_ready(project_id):
                return fn(*args, **kwargs)
            return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

        return wrapper

    return decorate


def _audio(r) -> dict[str, Any]:
    return {
        "pcm_f32_base64": base64.b64encode(r.pcm).decode(), "sample_rate": r.sample_rate, "channels": r.channels,
        "provider": r.provider,
    }  # fmt: skip


def principal_of(ctx: Context | None) -> Principal:
    if ctx is None:
        return LOCAL_USER
    try:
        request = ctx.request_context.request
    except (ValueError, AttributeError):
        return LOCAL_USER
    if request is None:
        return LOCAL_USER  # stdio: the user who launched the process
    state = getattr(request, "state", None)
    principal = getattr(state, "principal", None)
    if principal is None:
        raise AccessDenied("the connection carries no identity", "connect with a token")
    return principal


def build_server(brain, jobs, events) -> MCPServer:
    """One MCPServer bound to a LocalBrain, its job manager and event bus."""
    from moviegen.core.project import ProjectStore

    mcp = MCPServer(
        name="moviegen-brain",
        version=__version__,
        instructions="moviegen's brain: a film project's memory (documents, vectors, story graph), its story and "
        "render tools, and the studio's AI providers. Every project tool takes project_id.",
    )
    projects = ProjectStore(brain.settings.projects_dir)
    fast = quick(brain)

    def project(ctx: Context | None, project_id: str, write: bool = False):
        check_access(principal_of(ctx), project_id, write=write)
        return brain.project(project_id)

    def memory(ctx: Context | None, project_id: str, write: bool = False):
        check_access(principal_of(ctx), project_id, write=write)
        return brain.knowledge(project_id)

    @mcp.tool()
    @fast
    @guard
    def whoami(ctx: Context) -> dict[str, Any]:
        """Who the brain thinks is calling, and with what rights (a cheap call to check a connection)."""
        p = principal_of(ctx)
        return {
            "name": p.name, "role": p.role, "projects": list(p.projects), "version": __version__,
            "providers": brain.providers(),
        }  # fmt: skip

    # ---------------------------------------------------------------- memory tools
    @mcp.tool()
    @fast
    @guard
    def embed_text(text: Annotated[str, Field(min_length=1)]) -> Embedding:
        """Embed one text with the brain's default embedder."""
        v = brain.embed_texts([text])[0]
        return Embedding(embedder=brain.embedder_name(), dim=len(v), vector=v.tolist())

    @mcp.tool()
    @guard
    def batch_embed_texts(texts: Annotated[list[str], Field(min_length=1, max_length=2048)]) -> Embeddings:
        """Embed up to 2,048 texts at once."""
        vs = brain.embed_texts(texts)
        return Embeddings(embedder=brain.embedder_name(), dim=vs.shape[1], vectors=vs.tolist())

    @mcp.tool()
    @guard
    def store_document(project_id: PROJECT, document: DocumentIn, ctx: Context) -> StoredIds:
        """Store (or replace, by id) one document in the project's memory."""
        ids = memory(ctx, project_id, write=True).bulk_store_documents([document])
        events.publish("memory.stored", project=project_id, ids=ids)
        return StoredIds(ids=ids)

    @mcp.tool()
    @guard
    def bulk_store_documents(
        project_id: PROJECT,
        documents: Annotated[list[DocumentIn], Field(min_length=1, max_length=10_000)],
        ctx: Context,
    ) -> StoredIds:
        """Store up to 10,000 documents in one transaction (all or none)."""
        ids = memory(ctx, project_id, write=True).bulk_store_documents(documents)
        events.publish("memory.stored", project=project_id, count=len(ids))
        return StoredIds(ids=ids)

    @mcp.tool()
    @fast
    @guard
    def search_by_embedding(
        project_id: PROJECT, vector: list[float], ctx: Context, k: K = 10, kinds: list[str] | None = None
    ) -> Hits:
        """Nearest documents to a vector (the project's own embedder and dimension)."""
        return Hits(hits=memory(ctx, project_id).search_by_embedding(vector, k, SearchFilter(kinds=kinds or [])))

    @mcp.tool()
    @guard
    def batch_similarity_search(
        project_id: PROJECT, vectors: Annotated[list[list[float]], Field(min_length=1, max_length=256)],
        ctx: Context, k: K = 10,
    ) -> list[Hits]:  # fmt: skip
        """Nearest documents for each of up to 256 vectors."""
        return [Hits(hits=h) for h in memory(ctx, project_id).batch_similarity_search(vectors, k)]

    @mcp.tool()
    @fast
    @guard
    def search_story(
        project_id: PROJECT,
        query: Annotated[str, Field(min_length=1, max_length=2000)],
        ctx: Context,
        k: K = 10,
        kinds: list[str] | None = None,
        mode: Literal["hybrid", "text", "vector"] = "hybrid",
    ) -> Hits:
        """Search the project's memory in your own words: words, meaning and the story graph, fused."""
        return Hits(hits=memory(ctx, project_id).search(query, k, SearchFilter(kinds=kinds or []), mode=mode))

    @mcp.tool()
    @guard
    def create_relationship(project_id: PROJECT, edge: Edge, ctx: Context) -> Edge:
        """Link two nodes of the story graph (types are UPPER_SNAKE_CASE)."""
        return memory(ctx, project_id, write=True).create_relationship(edge)

    @mcp.tool()
    @guard
    def query_graph(project_id: PROJECT, query: GraphQuery, ctx: Context) -> list[GraphRow]:
        """Structured graph query: start nodes by kind/key/name/properties, relationship types, direction, depth."""
        return memory(ctx, project_id).query_graph(query)

    @mcp.tool()
    @guard
    def get_node_neighbors(
        project_id: PROJECT, key: str, ctx: Context, depth: Annotated[int, Field(ge=1, le=4)] = 1,
        rel_types: list[str] | None = None, direction: Literal["out", "in", "both"] = "both",
    ) -> list[Neighbor]:  # fmt: skip
        """A node's neighbourhood, nearest first."""
        return memory(ctx, project_id).get_node_neighbors(key, depth, rel_types, direction)

    @mcp.tool()
    @guard
    def store_workflow_data(project_id: PROJECT, workflow_id: str, data: dict[str, Any], ctx: Context) -> StoredIds:
        """Remember a workflow run (inputs, choices, timings, outcome)."""
        memory(ctx, project_id, write=True).store_workflow_data(workflow_id, data)
        return StoredIds(ids=[f"workflow:{workflow_id}"])

    @mcp.tool()
    @guard
    def search_similar_workflows(project_id: PROJECT, description: str, ctx: Context, k: K = 5) -> list[dict[str, Any]]:
        """Past runs most like a description."""
        return memory(ctx, project_id).search_similar_workflows(description, k)

    # ---------------------------------------------------------------- studio tools
    from moviegen.services import status as status_service

    @mcp.tool()
    @guard
    def project_create(
        premise: Annotated[str, Field(min_length=1, max_length=4000)], ctx: Context, title: str | None = None
    ) -> dict[str, Any]:
        """Create a project from a premise."""
        from moviegen.services.story import start_project

        principal = principal_of(ctx)
        if not principal.may("*", write=True) and "*" not in principal.projects:
            raise AccessDenied(f"'{principal.name}' may not create projects")
        settings = brain.settings
        p = start_project(projects, premise, fmt=settings.default_format(), seed=settings.seed, title=title)
        events.publish("project.created", project=p.slug)
        return {"slug": p.slug, "title": p.info.title, "path": str(p.path)}

    @mcp.tool()
    @guard
    def project_list(ctx: Context) -> list[dict[str, Any]]:
        """The projects this caller may see."""
        principal = principal_of(ctx)
        return [
            {"slug": p.slug, "title": p.info.title, "stage": p.info.stage.value}
            for p in projects.list()
            if principal.may(p.slug)
        ]

    @mcp.tool()
    @guard
    def project_status(project_id: PROJECT, ctx: Context) -> dict[str, Any]:
        """Where a project stands: story, shots, renders, providers."""
        return status_service.project_status(project(ctx, project_id), brain.providers(), "brain server")

    @mcp.tool()
    @guard
    def story_develop(project_id: PROJECT, ctx: Context, force: bool = False) -> dict[str, Any]:
        """Develop the story: logline, characters, places, outline and screenplay."""
        from moviegen.services.story import develop

        story = develop(project(ctx, project_id, write=True), brain, force=force)
        events.publish("story.developed", project=project_id)
        return story.model_dump()

    @mcp.tool()
    @guard
    def screenplay_get(project_id: PROJECT, ctx: Context) -> Screenplay:
        """The screenplay (Fountain) and its digest, to pass back when updating."""
        from moviegen.core import atomic, locations

        p = project(ctx, project_id)
        return Screenplay(
            project_id=project_id,
            text=p.screenplay_text(),
            digest=atomic.file_digest(locations.screenplay_file(p.path)),
        )

    @mcp.tool()
    @guard
    def screenplay_update(
        project_id: PROJECT, text: Annotated[str, Field(min_length=1, max_length=2_000_000)], expect_digest: str,
        ctx: Context,
    ) -> Screenplay:  # fmt: skip
        """Replace the screenplay; refused if it changed since ``expect_digest`` was read (nothing is lost)."""
        p = project(ctx, project_id, write=True)
        digest = p.write_screenplay(text, expect_digest=expect_digest)
        events.publish("screenplay.updated", project=project_id, digest=digest)
        return Screenplay(project_id=project_id, text=text, digest=digest)

    @mcp.tool()
    @guard
    def shots_plan(project_id: PROJECT, ctx: Context, fresh: bool = False) -> dict[str, Any]:
        """Plan the shots into shots.toml (keeps edits of unchanged scenes unless fresh)."""
        from moviegen.services.planner import plan

        summary = plan(project(ctx, project_id, write=True), fresh=fresh)
        events.publish("shots.planned", project=project_id, **summary)
        return summary

    @mcp.tool()
    @guard
    def render_start(
        project_id: PROJECT, ctx: Context, resolution: str | None = None, fps: int | None = None,
        aspect: Literal["16:9", "9:16", "1:1"] | None = None, burn_subtitles: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """Start rendering the film in the background; follow it with job_status or the events socket."""
        from moviegen.services.render.pipeline import RenderOptions

        options = RenderOptions.for_project(
            project(ctx, project_id, write=True), brain.settings, resolution=resolution, fps=fps, aspect=aspect,
            burn_subtitles=burn_subtitles,
        )  # fmt: skip
        return jobs.start_render(project_id, options).view()

    @mcp.tool()
    @fast
    @guard
    def job_status(job_id: str, ctx: Context) -> dict[str, Any]:
        """A job's status and progress per stage."""
        job = jobs.get(job_id)
        check_access(principal_of(ctx), job.project)
        return job.view()

    @mcp.tool()
    @fast
    @guard
    def job_list(project_id: PROJECT, ctx: Context) -> list[dict[str, Any]]:
        """The project's jobs in this brain, running and finished, newest first (job_status has their logs)."""
        check_access(principal_of(ctx), project_id)
        return [{k: v for k, v in job.view().items() if k != "log"} for job in jobs.for_project(project_id)]

    @mcp.tool()
    @fast
    @guard
    def job_cancel(job_id: str, ctx: Context) -> dict[str, Any]:
        """Cancel a job at its next step; what is finished is kept, and render_start resumes it."""
        job = jobs.get(job_id)
        check_access(principal_of(ctx), job.project, write=True)
        return jobs.cancel(job_id).view()

    @mcp.tool()
    @guard
    def continuity_check(project_id: PROJECT, ctx: Context) -> list[dict[str, Any]]:
        """Contradictions before generation: descriptions, props, time of day, absent speakers, shot casts."""
        from moviegen.services.continuity import continuity_check as check

        return [f.model_dump() for f in check(project(ctx, project_id))]

    @mcp.tool()
    @guard
    def analyze_media(project_id: PROJECT, path: str, ctx: Context) -> dict[str, Any]:
        """Streams, duration, size, frame rate, loudness, a thumbnail and dominant colours of a file in the project."""
        from moviegen.services.media import analyze, inside

        return analyze(inside(project(ctx, project_id).path, path))

    @mcp.tool()
    @guard
    def generate_text(task: str, prompt: str, seed: int = 7, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Text from the configured text provider (offline: the procedural story writer, task 'story.develop')."""
        return brain.generate_text(TextRequest(task=task, prompt=prompt, seed=seed, params=params or {})).model_dump()

    @mcp.tool()
    @guard
    def generate_image(
        prompt: str, width: Annotated[int, Field(ge=64, le=4096)] = 640, height: Annotated[int, Field(ge=64, le=4096)] = 360,
        seed: int = 7, request: ImageRequest | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """A picture from the configured image provider, as base64 PNG. ``request`` carries the shot's hints
        (place, time of day, framing, characters) for painters that draw from them."""
        req = request or ImageRequest(prompt=prompt, width=width, height=height, seed=seed, caption=prompt)
        r = brain.generate_image(req)
        return {
            "png_base64": base64.b64encode(r.png).decode(),
            "width": r.width,
            "height": r.height,
            "provider": r.provider,
        }

    @mcp.tool()
    @guard
    def generate_speech(
        text: Annotated[str, Field(min_length=1, max_length=5000)], voice: str = "en-us+f3",
        pitch: Annotated[int, Field(ge=0, le=100)] = 50, rate: Annotated[int, Field(ge=80, le=450)] = 165, seed: int = 7,
    ) -> dict[str, Any]:  # fmt: skip
        """Speech from the configured voice provider, as base64 float32 PCM."""
        r = brain.generate_speech(SpeechRequest(text=text, voice=voice, pitch=pitch, rate=rate, seed=seed))
        return _audio(r)

    @mcp.tool()
    @guard
    def generate_music(request: MusicRequest) -> dict[str, Any]:
        """A score cue from the configured music provider, as base64 float32 PCM."""
        return _audio(brain.generate_music(request))

    # ---------------------------------------------------------------- resources and prompts
    @mcp.resource("moviegen://projects/{project_id}/screenplay", mime_type="text/plain")
    def screenplay_resource(project_id: str) -> str:
        """The project's screenplay (Fountain)."""
        return projects.open(project_id).screenplay_text()

    @mcp.resource("moviegen://projects/{project_id}/shots", mime_type="application/toml")
    def shots_resource(project_id: str) -> str:
        """The project's shot list (TOML)."""
        from moviegen.core import locations

        return locations.shots_file(projects.open(project_id).path).read_text(encoding="utf-8")

    @mcp.prompt()
    def review_scene(project_id: str, scene: str) -> str:
        """Ask for notes on one scene of the screenplay."""
        from moviegen.core.scenes import scenes_of

        scenes = {s.id: s for s in scenes_of(projects.open(project_id).screenplay())}
        if scene not in scenes:
            raise ValueError(f"no scene {scene}; scenes are {', '.join(scenes)}")
        s = scenes[scene]
        body = "\n".join(f"{b.character}: {b.text}" if b.kind == "dialogue" else b.text for b in s.beats)
        return (
            f"You are a script editor. Give concise notes on this scene: clarity of want and obstacle, "
            f"dialogue that explains too much, continuity with the scenes around it.\n\n{s.heading}\n\n{body}"
        )

    @mcp.prompt()
    def pitch(project_id: str) -> str:
        """Ask for a 60-second pitch of the project."""
        p = projects.open(project_id)
        return f"Write a 60-second pitch for the film '{p.info.title}'. Premise: {p.info.premise}"

    return mcp
