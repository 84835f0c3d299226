"""The studio's one client interface: everything a frontend does to a project, as one list of operations.

Each operation is declared here once — name, arguments with their types, result, and who may call it — and
three things are made from that one declaration, so they cannot drift apart:

- ``LocalBrain`` (moviegen.brain.local) implements every operation in-process;
- the brain server (moviegen.brain.server.tools) publishes each one as an MCP tool of the same name and
  arguments, and checks the caller's access (``@op``'s level) before it runs;
- ``RemoteBrain`` (moviegen.brain.remote) calls those tools over WebSocket and returns the same results.

Results are plain JSON values (dicts, lists, strings), so the in-process and the remote brain return
exactly the same thing. Access levels: ``open`` (no project; results filtered to what the caller may see),
``create`` (make a project), ``read`` (viewer and up), ``write`` (writer and up: story files, screenplay,
memory), ``direct`` (director and up: plan, storyboard, cast, renders, generation that spends), ``produce``
(producer and up: delete, export, webhooks); ``job_read``/``job_direct`` are ``read``/``direct`` on the job's project.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import Field

from moviegen.core.knowledge import GraphQuery

ACCESS_LEVELS = ("open", "create", "read", "write", "direct", "produce", "job_read", "job_direct")

ProjectId = Annotated[str, Field(min_length=1, max_length=64, description="the project's slug")]
Limit = Annotated[int, Field(ge=1, le=1000)]
Text = Annotated[str, Field(min_length=1, max_length=2_000_000)]
StoryName = Literal["logline", "bible", "outline"]
Mode = Literal["hybrid", "text", "vector"]
Aspect = Literal["16:9", "9:16", "1:1"]
ExportFormat = Literal["pdf", "fdx", "otio", "edl", "fcpxml", "storyboard", "bundle", "stems"]
UploadId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
BundlePiece = Annotated[str, Field(min_length=4, max_length=2_796_204, description="base64 of at most 2 MiB")]
TranscodePreset = Literal["web720", "web1080", "vertical", "prores", "audio", "wav", "preview", "gif", "poster", "hls"]
UserName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$", description="a user's name")]
PersonRole = Literal["producer", "director", "writer", "viewer"]
CommentText = Annotated[str, Field(min_length=1, max_length=4000)]
CommentTarget = Annotated[str, Field(pattern=r"^(project|(scene|shot|line):[A-Za-z0-9._:-]{1,64})$",
                                     description="project, scene:N, shot:N.M or line:SCENE:LINE")]  # fmt: skip
UploadKind = Literal["character_sheet", "scene_music", "scene_sound"]
WebhookId = Annotated[str, Field(pattern=r"^wh_[0-9a-f]{1,32}$", description="a webhook's id (wh_...)")]


def op(access: str) -> Callable:
    """Mark a method of ``StudioAPI`` as an operation with its access level."""
    if access not in ACCESS_LEVELS:
        raise ValueError(f"unknown access level {access!r}")

    def mark(fn: Callable) -> Callable:
        fn.__access__ = access
        return fn

    return mark


def operations() -> dict[str, Callable]:
    """Every operation of the interface, by name (the tool names of the brain server)."""
    return {name: fn for name, fn in vars(StudioAPI).items() if callable(fn) and hasattr(fn, "__access__")}


@runtime_checkable
class StudioAPI(Protocol):
    # ------------------------------------------------------------------ who, what
    @op("open")
    def whoami(self) -> dict[str, Any]:
        """Who the brain thinks is calling, with what rights, and which providers serve it; ``pid``: the brain
        process that answered (one of several with ``brain serve --processes N``)."""
        ...

    @op("open")
    def providers(self) -> dict[str, str]:
        """Capability -> the provider that will serve it."""
        ...

    @op("open")
    def providers_report(self, check: bool = False) -> dict[str, Any]:
        """Each capability's chain: every provider, whether it is configured, online or offline, and which one
        answers first; with ``check``, one cheap call to each configured online text provider. Never a key."""
        ...

    # ------------------------------------------------------------------ projects
    @op("open")
    def project_list(self) -> list[dict[str, Any]]:
        """The projects this caller may see: slug, title, stage, scenes, shots, last render."""
        ...

    @op("create")
    def project_create(
        self, premise: str, title: str | None = None,
        slug: str | None = None, seed: int | None = None, narration: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """Create a project from a premise."""
        ...

    @op("create")
    def project_import(
        self, text: Text, title: str | None = None, slug: str | None = None, filename: str = "screenplay.fountain"
    ) -> dict[str, Any]:
        """Create a project from a Fountain screenplay's text."""
        ...

    @op("read")
    def project_status(self, project_id: ProjectId) -> dict[str, Any]:
        """Where a project stands: story, shots, renders, providers."""
        ...

    @op("produce")
    def project_delete(self, project_id: ProjectId, purge: bool = False) -> dict[str, Any]:
        """Move a project to the trash (nothing is destroyed); with ``purge``, destroy it instead: its folder,
        memory (Neo4j nodes included), ledger and caches, and its copies in the trash, leaving one tombstone line
        in $MOVIEGEN_HOME/audit/tombstones.jsonl (who, when, slug, identity, sha256 of its moviegen.toml)."""
        ...

    # ------------------------------------------------------------------ story
    @op("write")
    def story_develop(self, project_id: ProjectId, force: bool = False, step: bool = False) -> dict[str, Any]:
        """Develop the story: logline, characters, places, outline and screenplay, one text call per stage.
        With ``step`` it pauses after each stage for story_approve or story_redo; ``force`` starts over on a
        project that has a screenplay. Returns where development stands (see story_review)."""
        ...

    @op("read")
    def story_review(self, project_id: ProjectId) -> dict[str, Any]:
        """Where story development stands: none, paused (the stage, what it wrote and which provider wrote
        it), interrupted (stopped midway; approve continues it) or done."""
        ...

    @op("write")
    def story_approve(self, project_id: ProjectId, step: bool | None = None) -> dict[str, Any]:
        """Approve the paused stage and go on (to the next pause, or with ``step`` false to the end); also
        continues a development that was interrupted midway."""
        ...

    @op("write")
    def story_redo(self, project_id: ProjectId, note: Annotated[str, Field(max_length=2000)] = "") -> dict[str, Any]:
        """Write the paused stage again, with an optional note for the writer (a language model reads it; the
        offline writer only changes its seed), and pause again."""
        ...

    @op("read")
    def screenplay_get(self, project_id: ProjectId) -> dict[str, Any]:
        """The screenplay (Fountain) and its digest, to pass back when updating ('' and null when none)."""
        ...

    @op("write")
    def screenplay_update(self, project_id: ProjectId, text: Text, expect_digest: str | None) -> dict[str, Any]:
        """Replace the screenplay; refused if it changed since ``expect_digest`` was read (null: there was none).
        Nothing is lost: the check and the write are one step."""
        ...

    @op("read")
    def story_file_get(self, project_id: ProjectId, name: StoryName) -> dict[str, Any]:
        """A story file (logline, bible or outline) and its digest."""
        ...

    @op("write")
    def story_file_update(
        self, project_id: ProjectId, name: StoryName, text: Text, expect_digest: str | None
    ) -> dict[str, Any]:
        """Replace a story file; refused if it changed since ``expect_digest`` was read."""
        ...

    @op("produce")
    def story_share(
        self, project_id: ProjectId, node: Annotated[str, Field(pattern=r"^(character|place):[a-z0-9-]{1,64}$")],
        into: ProjectId,
    ) -> dict[str, Any]:  # fmt: skip
        """Share a character (look, voice, approved sheet) or a place (its description) from this project into
        another — a series — recorded in both projects' graphs; producer of both projects."""
        ...

    @op("direct")
    def shots_plan(self, project_id: ProjectId, fresh: bool = False) -> dict[str, Any]:
        """Plan the shots into shots.toml (keeps edits of unchanged scenes unless fresh)."""
        ...

    # ------------------------------------------------------------------ storyboard and cast
    @op("read")
    def storyboard(self, project_id: ProjectId) -> dict[str, Any]:
        """Every shot with its takes, and what is wrong with the shot list if anything."""
        ...

    @op("direct")
    def storyboard_paint(self, project_id: ProjectId) -> dict[str, Any]:
        """Paint every shot's still that is not painted yet."""
        ...

    @op("direct")
    def take_new(self, project_id: ProjectId, shot_id: str) -> dict[str, Any]:
        """Paint another take of a shot."""
        ...

    @op("direct")
    def take_approve(self, project_id: ProjectId, shot_id: str, take: Annotated[int, Field(ge=1)]) -> dict[str, Any]:
        """Approve a take: the render uses exactly that still."""
        ...

    @op("direct")
    def take_reject(self, project_id: ProjectId, shot_id: str, take: Annotated[int, Field(ge=1)]) -> dict[str, Any]:
        """Reject a take."""
        ...

    @op("read")
    def cast_list(self, project_id: ProjectId) -> list[dict[str, Any]]:
        """The cast: names, roles, looks, voices, the shots they speak in."""
        ...

    @op("direct")
    def voice_sample(self, project_id: ProjectId, name: str) -> dict[str, Any]:
        """A character saying their first line: a WAV (base64) and where it is kept in the project."""
        ...

    @op("direct")
    def recast(self, project_id: ProjectId, name: str, voice: Annotated[str, Field(max_length=200)]) -> dict[str, Any]:
        """Change a character's voice — a description, an eSpeak voice ('en-us+f3 pitch 60'), or an ElevenLabs
        voice ('elevenlabs: Rachel (21m00Tcm4TlvDq8ikWAM)' or the bare id); returns the shots whose lines will
        be spoken again."""
        ...

    @op("direct")
    def sheet_paint(self, project_id: ProjectId, name: str) -> dict[str, Any]:
        """Paint a new character sheet take (a reference picture from the bible's look) with the image chain;
        the stills of an online render keep the character's face and costume from it."""
        ...

    @op("direct")
    def sheet_approve(self, project_id: ProjectId, name: str, take: Annotated[int, Field(ge=1)]) -> dict[str, Any]:
        """Make a sheet take the one the stills use (their next render paints the character's shots again)."""
        ...

    # ------------------------------------------------------------------ memory (the platform's tool contract)
    @op("read")
    def embed_text(self, text: Annotated[str, Field(min_length=1)], project_id: ProjectId) -> dict[str, Any]:
        """Embed one text with the project's own embedder."""
        ...

    @op("read")
    def batch_embed_texts(
        self, texts: Annotated[list[str], Field(min_length=1, max_length=2048)], project_id: ProjectId
    ) -> dict[str, Any]:
        """Embed up to 2,048 texts with the project's own embedder."""
        ...

    @op("read")
    def search_by_embedding(
        self, embedding: list[float], project_id: ProjectId, limit: Limit = 10, kinds: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """Nearest documents to a vector (the project's own embedder and dimension)."""
        ...

    @op("read")
    def batch_similarity_search(
        self, queries: Annotated[list[str], Field(min_length=1, max_length=256)], project_id: ProjectId,
        limit: Limit = 10,
    ) -> list[list[dict[str, Any]]]:  # fmt: skip
        """Nearest documents for each of up to 256 texts."""
        ...

    @op("write")
    def create_relationship(
        self, from_node: str, to_node: str, relationship: str, project_id: ProjectId,
        properties: dict[str, Any] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Link two nodes of the graph (story nodes or documents; types are UPPER_SNAKE_CASE)."""
        ...

    @op("read")
    def query_graph(self, cypher_query: Annotated[str, Field(min_length=1, max_length=20_000)],
                    project_id: ProjectId) -> list[dict[str, Any]]:  # fmt: skip
        """Read-only Cypher over the project's graph; any write is refused."""
        ...

    @op("read")
    def get_node_neighbors(
        self, node_id: str, project_id: ProjectId, depth: Annotated[int, Field(ge=1, le=4)] = 1,
        rel_types: list[str] | None = None, direction: Literal["out", "in", "both"] = "both",
    ) -> list[dict[str, Any]]:  # fmt: skip
        """A node's neighbourhood, nearest first."""
        ...

    @op("write")
    def store_document(self, content: Text, metadata: dict[str, Any], project_id: ProjectId) -> dict[str, Any]:
        """Store a document (metadata may carry kind, title, id, node); its id is also a graph node."""
        ...

    @op("write")
    def bulk_store_documents(
        self, documents: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10_000)], project_id: ProjectId
    ) -> dict[str, Any]:
        """Store up to 10,000 documents ({content, metadata} each) in one transaction (all or none)."""
        ...

    @op("write")
    def store_workflow_data(self, workflow_id: str, data: dict[str, Any], project_id: ProjectId) -> dict[str, Any]:
        """Remember a workflow run (inputs, choices, timings, outcome)."""
        ...

    @op("read")
    def search_similar_workflows(
        self, description: str, project_id: ProjectId, limit: Limit = 5
    ) -> list[dict[str, Any]]:
        """Past runs most like a description."""
        ...

    @op("read")
    def search_story(
        self, project_id: ProjectId, query: Annotated[str, Field(min_length=1, max_length=2000)], limit: Limit = 10,
        kinds: list[str] | None = None, mode: Mode = "hybrid",
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Search the project's memory in your own words: words, meaning and the story graph, fused."""
        ...

    @op("read")
    def search_projects(
        self, query: Annotated[str, Field(min_length=1, max_length=2000)],
        project_ids: Annotated[list[ProjectId], Field(min_length=1, max_length=100)] | None = None,
        limit: Limit = 10, kinds: list[str] | None = None, mode: Mode = "hybrid",
    ) -> list[dict[str, Any]]:  # fmt: skip
        """Search several projects at once — these, or every project you may read when none are named: each
        project's own search, the hits merged by score, each naming its ``project``."""
        ...

    @op("read")
    def graph_summary(self, project_id: ProjectId) -> dict[str, list[str]]:
        """The story graph's nodes by kind."""
        ...

    @op("read")
    def graph_node(self, project_id: ProjectId, node_id: str) -> dict[str, Any]:
        """One node of the graph."""
        ...

    @op("read")
    def graph_query(self, project_id: ProjectId, query: GraphQuery) -> list[dict[str, Any]]:
        """Structured graph query: start nodes by kind/key/name/properties, relationship types, direction, depth."""
        ...

    @op("write")
    def reindex(self, project_id: ProjectId, re_embed: bool = False) -> dict[str, Any]:
        """Rebuild the project's memory from its files (and, with re_embed, every vector)."""
        ...

    @op("read")
    def continuity_check(self, project_id: ProjectId) -> list[dict[str, Any]]:
        """Contradictions before generation: descriptions, props, time of day, absent speakers, shot casts."""
        ...

    @op("read")
    def analyze_media(self, project_id: ProjectId, path: str) -> dict[str, Any]:
        """Streams, duration, size, frame rate, loudness, a thumbnail and colours of a file in the project."""
        ...

    @op("read")
    def assistant_ask(
        self, project_id: ProjectId, question: Annotated[str, Field(min_length=1, max_length=2000)],
        ask_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """A question about the project, answered from its documents with numbered sources: by the project's
        language model when one is configured (mode 'llm': the answer citing them as [1], [2], streamed as
        ``assistant.delta`` events {ask_id, text, offset}, then ``assistant.answered``), else the passages
        themselves (search only; with a one-line ``warning`` when every model failed). Pass your own ``ask_id``
        to follow the answer's events from before it starts; the result carries it either way."""
        ...

    @op("read")
    def past_runs(self, project_id: ProjectId, limit: Limit = 20) -> list[dict[str, Any]]:
        """Finished and failed renders of the project, newest first."""
        ...

    @op("read")
    def cost_report(self, project_id: ProjectId, entries: Annotated[int, Field(ge=0, le=1000)] = 0) -> dict[str, Any]:
        """What the project's provider calls cost: totals by provider, model, stage, day and status, the
        budget and what is left of it, and (with ``entries``) the latest ledger entries."""
        ...

    # ------------------------------------------------------------------ renders and jobs
    @op("direct")
    def render_start(
        self, project_id: ProjectId, resolution: str | None = None, fps: int | None = None,
        aspect: Aspect | None = None, burn_subtitles: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """Start rendering the film in the background; follow it with job_status or the events socket."""
        ...

    @op("create")
    def film_make(
        self, premise: str, title: str | None = None,
        slug: str | None = None, seed: int | None = None, narration: bool = False, reuse: bool = False,
        resolution: str | None = None, fps: int | None = None, aspect: Aspect | None = None,
        burn_subtitles: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """Premise to film: create the project and start one job that develops, plans and renders it."""
        ...

    @op("read")
    def render_estimate(
        self, project_id: ProjectId, resolution: str | None = None, fps: int | None = None,
        aspect: Aspect | None = None, burn_subtitles: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """What render_start with the same arguments would do, without doing it: per stage the provider, the
        calls, how many are cached, what the rest would cost, the totals, the budget and what would be left.
        Sends nothing, writes nothing."""
        ...

    @op("create")
    def make_estimate(
        self, premise: str, title: str | None = None,
        slug: str | None = None, seed: int | None = None, narration: bool = False, reuse: bool = False,
        resolution: str | None = None, fps: int | None = None, aspect: Aspect | None = None,
        burn_subtitles: bool = False,
    ) -> dict[str, Any]:  # fmt: skip
        """What film_make with the same arguments would do, as render_estimate says it, with the story's text
        calls in front; scenes, shots and lines of a story not written yet come from the offline writer's draft
        of the premise. Creates nothing (level ``create``: it answers the callers who may make the film)."""
        ...

    @op("read")
    def job_list(self, project_id: ProjectId) -> list[dict[str, Any]]:
        """The project's jobs, running, finished, failed and interrupted, newest first (without logs)."""
        ...

    @op("job_read")
    def job_status(self, job_id: str) -> dict[str, Any]:
        """A job's status, progress per stage, result or error, and log."""
        ...

    @op("job_direct")
    def job_cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a job at its next step; what is finished is kept, and job_retry resumes it."""
        ...

    @op("job_direct")
    def job_retry(self, job_id: str) -> dict[str, Any]:
        """Run a finished, failed, cancelled or interrupted job again; finished steps are reused."""
        ...

    # ------------------------------------------------------------------ exports
    @op("produce")
    def export(self, project_id: ProjectId, format: ExportFormat) -> dict[str, Any]:
        """Write the screenplay (pdf, fdx), the last render's cut (otio, edl, fcpxml), the storyboard as a
        contact sheet (storyboard) or the whole project as one archive with a manifest of checksums (bundle)
        into the project's exports/ folder; returns each file's path in the project, size and sha256."""
        ...

    @op("create")
    def bundle_upload(
        self, piece: BundlePiece, upload_id: UploadId | None = None, offset: Annotated[int, Field(ge=0)] = 0
    ) -> dict[str, Any]:
        """Send a project bundle to the brain, one piece (base64 of at most 2 MiB) per call, for
        project_import_bundle: the first call (no upload_id, offset 0) starts an upload and returns its id;
        each next one names it and the offset its piece starts at. Returns the id and the bytes so far."""
        ...

    @op("create")
    def project_import_bundle(self, upload_id: UploadId, slug: str | None = None) -> dict[str, Any]:
        """Restore a project from an uploaded bundle (from export's format bundle) as ``slug`` (default: its
        own): every file's size and sha256 are checked before anything is written; unsafe paths, links and a
        taken slug are refused; the project gets an identity of its own. The upload is removed either way."""
        ...

    @op("direct")
    def media_upload(
        self, project_id: ProjectId, kind: UploadKind, target: Annotated[str, Field(min_length=1, max_length=64)],
        piece: BundlePiece, upload_id: UploadId | None = None, offset: Annotated[int, Field(ge=0)] = 0,
        last: bool = True,
    ) -> dict[str, Any]:  # fmt: skip
        """Bring in a character's reference picture (character_sheet; target: the character's name) or a
        scene's music or sound (scene_music, scene_sound; target: the scene's number), one piece (base64 of at
        most 2 MiB) per call: the first (no upload_id, offset 0) starts it, each next names it and its offset.
        The ``last`` piece (a one-piece file: the first) checks the whole file — type by content, size, that
        it decodes — stores it content-addressed and puts it to use (an approved sheet take; the scene's
        music or sound in soundtrack.toml). Returns the upload id and bytes so far, then what was stored."""
        ...

    # ------------------------------------------------------------------ media: transcodes and 3D models
    @op("direct")
    def transcode(
        self, project_id: ProjectId, presets: Annotated[list[TranscodePreset], Field(min_length=1, max_length=10)]
    ) -> dict[str, Any]:
        """Start a job that transcodes the last render into each preset, one after another, each into
        exports/transcodes/<preset>/ (whole or not at all; never scaled above the film's size); follow it like a
        render. Its result lists each preset's files (path, bytes, sha256) and, for hls, the variants."""
        ...

    @op("direct")
    def assets_3d(
        self, project_id: ProjectId, targets: Annotated[list[str], Field(max_length=200)] | None = None
    ) -> dict[str, Any]:
        """Make a 3D model (GLB) per target, 'character:NAME' or 'prop:NOUN' (none: every character): a
        procedural low-poly figure from the bible's build, look and the character's colour, or a primitive
        prop. Stored content-addressed in assets/, named in cast/models.toml, a ``model3d`` on the graph node."""
        ...

    @op("read")
    def assets_3d_list(self, project_id: ProjectId) -> list[dict[str, Any]]:
        """The project's 3D models: kind, name, graph node, asset path, provider, bytes."""
        ...

    @op("direct")
    def assets_push(self, project_id: ProjectId) -> dict[str, Any]:
        """Upload the project's assets/ files the shared S3 store (MOVIEGEN_ASSETS__S3_URL) lacks, each checked
        against its sha256 name (a damaged one is listed, never sent): uploaded, present, corrupt, bytes."""
        ...

    @op("direct")
    def assets_pull(self, project_id: ProjectId) -> dict[str, Any]:
        """Download from the shared S3 store what the project's index and files reference but its assets/ folder
        lacks, each verified before it lands: downloaded, present, missing (the store lacks it too), corrupt."""
        ...

    # ------------------------------------------------------------------ webhooks (producers: a URL may be a secret)
    @op("produce")
    def webhook_add(
        self, project_id: ProjectId, url: Annotated[str, Field(min_length=1, max_length=2000)],
        events: Annotated[list[str], Field(min_length=1, max_length=64)],
    ) -> dict[str, Any]:  # fmt: skip
        """Send the project's events (render.finished, job.failed, screenplay.updated, or any event the brain
        publishes, by name) to an http(s) URL, signed per Standard Webhooks. The result carries the signing
        secret (whsec_...): the only time it is ever shown."""
        ...

    @op("produce")
    def webhook_list(self, project_id: ProjectId) -> list[dict[str, Any]]:
        """The project's webhooks: URL, events, enabled (or the reason it was disabled), failures in a row,
        messages queued, the last delivery. Never a secret."""
        ...

    @op("produce")
    def webhook_remove(self, project_id: ProjectId, webhook_id: WebhookId) -> dict[str, Any]:
        """Remove a webhook, with its queued messages and its delivery log."""
        ...

    @op("produce")
    def webhook_enable(self, project_id: ProjectId, webhook_id: WebhookId) -> dict[str, Any]:
        """Turn a webhook disabled after a run of failures back on (for new events; its failures start at 0)."""
        ...

    @op("produce")
    def webhook_test(self, project_id: ProjectId, webhook_id: WebhookId) -> dict[str, Any]:
        """Send a signed ``webhook.test`` message now and say how it went (status code, latency, error);
        recorded in the log, neither retried nor counted as a failure."""
        ...

    @op("produce")
    def webhook_log(self, project_id: ProjectId, webhook_id: WebhookId, limit: Limit = 50) -> list[dict[str, Any]]:
        """A webhook's latest delivery attempts, newest first: time, event, attempt, status code, latency,
        error, outcome (delivered, retrying, failed, disabled, test)."""
        ...

    # ------------------------------------------------------------------ analytics and upkeep
    @op("read")
    def stats(self, project_id: ProjectId | None = None) -> dict[str, Any]:
        """A project's analytics (without one: every project the caller may read, and their totals): renders
        and jobs, time per render stage, the step and provider caches' hit rates, spend, the most-used tools."""
        ...

    @op("produce")
    def gc(self, project_id: ProjectId, apply: bool = False) -> dict[str, Any]:
        """What the project's retention policy and references let go: renders it drops, assets nothing
        references, their index records, and the bytes; removed only with ``apply`` (a dry run otherwise)."""
        ...

    @op("produce")
    def audit_log(self, project_id: ProjectId, limit: Limit = 50, verify: bool = False) -> dict[str, Any]:
        """The project's audit trail, newest last: every change and every refused call (seq, time, who, role, via,
        op, args_sha256, result, prev, hash); with ``verify``, whether its hash chain holds, or the first entry
        that does not (seq, line, problem)."""
        ...

    # ------------------------------------------------------------------ members (people: brain/server/people.py)
    @op("produce")
    def project_share(self, project_id: ProjectId, name: UserName, role: PersonRole) -> dict[str, Any]:
        """Share the project with a user (moviegen user add), with their role in it; sharing again changes the
        role. Bound to the project's identity: a project re-created under the same slug is not shared."""
        ...

    @op("produce")
    def project_unshare(self, project_id: ProjectId, name: UserName) -> dict[str, Any]:
        """Take a user off the project."""
        ...

    @op("produce")
    def project_members(self, project_id: ProjectId) -> list[dict[str, Any]]:
        """The people the project is shared with: name and role."""
        ...

    # ------------------------------------------------------------------ comments (viewers may comment)
    @op("read")
    def comment_add(self, project_id: ProjectId, text: CommentText, target: CommentTarget = "project"
                    ) -> dict[str, Any]:  # fmt: skip
        """Comment on the project, a scene, a shot or a screenplay line (``project``, ``scene:2``, ``shot:2.3``,
        ``line:2:5``), as the caller; kept in the project's comments.jsonl. Returns the comment (id, at, who,
        role, target, text)."""
        ...

    @op("read")
    def comment_list(self, project_id: ProjectId, target: CommentTarget | None = None, limit: Limit = 200
                     ) -> list[dict[str, Any]]:  # fmt: skip
        """The project's comments, oldest first (the last ``limit``), all of them or those on one target."""
        ...

    # ------------------------------------------------------------------ not tools: streams
    def follow(self, job_id: str, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """The job's view each time it changes, until it ends (the last one yielded is final)."""
        ...

    def events(self, project_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every event of a project (or of every project the caller may see), as it happens."""
        ...

    def close(self) -> None: ...


_MODELS: dict[str, type] = {}


def arguments_model(name: str) -> type:
    """A pydantic model of an operation's arguments, as the brain server's tools publish them."""
    import inspect

    from pydantic import create_model

    if name not in _MODELS:
        signature = inspect.signature(operations()[name], eval_str=True)
        fields = {p.name: (p.annotation, ... if p.default is inspect.Parameter.empty else p.default)
                  for p in signature.parameters.values() if p.name != "self"}  # fmt: skip
        _MODELS[name] = create_model(f"{name}Arguments", **fields)
    return _MODELS[name]


def invalid_arguments(name: str, field: str, problem: str):
    """The one error for arguments that do not fit an operation, in-process and over the wire alike."""
    from moviegen.core.errors import UsageError

    return UsageError(f"invalid {field or 'arguments'} for {name}: {problem}",
                      "see 'moviegen brain tools --json' for every operation's arguments")  # fmt: skip
