"""LocalBrain: the whole studio interface (moviegen.core.api) and the Brain protocol, served in-process.

It is what a one-shot CLI command uses when no brain server runs, what the tests use, and what the brain
server wraps (each tool checks the caller, then calls the method of the same name here). It owns the
project's memory stores, the event bus every change is published on, and the job manager with its runners.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from moviegen.brain.ops.asset_store import AssetStoreOps
from moviegen.brain.ops.audit import AuditOps
from moviegen.brain.ops.cast import CastOps
from moviegen.brain.ops.comments import CommentOps
from moviegen.brain.ops.costs import CostOps, ProviderOps
from moviegen.brain.ops.estimate import EstimateOps
from moviegen.brain.ops.exports import ExportOps
from moviegen.brain.ops.jobs import JobOps
from moviegen.brain.ops.media_jobs import MediaOps
from moviegen.brain.ops.members import MemberOps
from moviegen.brain.ops.memory import MemoryOps
from moviegen.brain.ops.projects import ProjectOps
from moviegen.brain.ops.stats import StatsOps
from moviegen.brain.ops.story import StoryOps
from moviegen.brain.ops.webhooks import WebhookOps
from moviegen.brain.providers.registry import registry
from moviegen.brain.usage import ToolTally
from moviegen.core.brain import (
    AudioResult,
    ImageRequest,
    ImageResult,
    Model3DRequest,
    Model3DResult,
    MusicRequest,
    SoundRequest,
    SpeechRequest,
    TextRequest,
    TextResult,
    VideoRequest,
    VideoResult,
)
from moviegen.core.errors import MoviegenError
from moviegen.core.settings import Settings, get_settings
from moviegen.workers.events import EventBus
from moviegen.workers.jobs import JobManager


def _checked(cls):
    """Every operation checks its arguments against its declaration first (as the server's tools do), so a bad
    argument is the same UsageError in-process and over the wire."""
    import functools
    import inspect

    from pydantic import ValidationError

    from moviegen.brain import audit
    from moviegen.core.api import arguments_model, invalid_arguments, operations

    for name, declared in operations().items():
        impl = getattr(cls, name)
        signature = inspect.signature(declared)

        def checked(self, *args, __impl=impl, __name=name, __signature=signature, __level=declared.__access__,
                    **kwargs):  # fmt: skip
            extra = {k: kwargs.pop(k) for k in list(kwargs) if k not in __signature.parameters}  # internal options
            bound = __signature.bind(self, *args, **kwargs)
            given = {k: v for k, v in bound.arguments.items() if k != "self"}
            # the audit trail (brain/audit.py): a changing call is recorded once it ends, ok or not, bad arguments too
            with audit.recording(functools.partial(self.audit_call, __name, given), __name, __level) as call:
                try:
                    model = arguments_model(__name).model_validate(given)
                except ValidationError as exc:
                    err = exc.errors()[0]
                    raise invalid_arguments(__name, ".".join(str(p) for p in err["loc"]), err["msg"]) from None
                started, ok, call.arguments = time.perf_counter(), False, model
                try:
                    call.result = __impl(self, **{k: getattr(model, k) for k in given}, **extra)
                    ok = True
                    return call.result
                finally:
                    if isinstance(given.get("project_id"), str) and __name != "project_delete":  # for moviegen stats
                        self.tally.count(given["project_id"], __name, time.perf_counter() - started, ok)

        setattr(cls, name, functools.wraps(impl)(checked))
    return cls


@_checked
class LocalBrain(ProjectOps, CastOps, StoryOps, MemoryOps, JobOps, CostOps, ProviderOps, EstimateOps, ExportOps, StatsOps,
                 WebhookOps, MediaOps, AuditOps, AssetStoreOps, MemberOps, CommentOps):  # fmt: skip
    def __init__(self, settings: Settings | None = None, *, workers: int | None = None, nice: int = 0,
                 mode: str = "in-process") -> None:  # fmt: skip
        """``workers``: render worker processes for jobs (None: the settings'; 1: in this process); ``nice``
        lowers their priority (the studio keeps its keys responsive)."""
        from moviegen.core.project import ProjectStore

        self.settings = settings or get_settings()
        self.store = ProjectStore(self.settings.projects_dir)
        self.mode = mode
        self.bus = EventBus()
        self._workers = self.settings.render.workers if workers is None else workers
        self._nice = nice
        self._runners = None
        self.jobs = JobManager(self, self.bus, self._borrow_runner)
        self._instances: dict[str, Any] = {}
        self._stores: dict[str, Any] = {}
        self._projects: dict[str, Any] = {}
        self._synced: dict[str, Any] = {}
        self._memory_lock: dict[str, Any] = {}
        self._ledgers: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._router = None
        self._webhooks = self._webhook_dispatcher()  # listens to the bus from the start (ops/webhooks.py)
        self.tally = ToolTally(self.store.path_of)

    # ------------------------------------------------------------------ generation (the Brain protocol)
    @property
    def router(self):
        if self._router is None:
            from moviegen.brain.router import Router

            self._router = Router(self.settings, registry(), self.ledger, self.project)
        return self._router

    def ledger(self, project_id: str):
        """The project's cost ledger (and provider cache), one per project per process."""
        with self._lock:
            if project_id not in self._ledgers:
                from moviegen.brain.ledger import Ledger

                self._ledgers[project_id] = Ledger(self.project(project_id).path)
            return self._ledgers[project_id]

    def providers(self) -> dict[str, str]:
        return self.chain_heads()

    def chain_heads(self, project_id: str = "") -> dict[str, str]:
        """Capability -> the provider (``name`` or ``name:model``) at the head of its chain (the project's, when
        given): the one that serves it unless it fails ('none configured' when no provider can be used)."""
        out = {}
        for capability in ("text", "image", "speech", "music", "video", "sound", "model3d"):
            chain = self.router.chain(capability, project_id)
            out[capability] = (
                (f"{chain[0][0]}:{chain[0][1]}" if chain[0][1] else chain[0][0]) if chain else "none configured"
            )
        return out

    def offline(self, capability: str, name: str) -> bool:
        """True when ``name`` makes ``capability`` on this machine (no key, no bill)."""
        return registry().get(capability, name.partition(":")[0]).offline

    def generate_text(self, request: TextRequest, *, check=None, on_text=None, job: str = "") -> TextResult:
        """Through the router: the project's chain, retries, fallbacks, cache, budget and ledger. In-process
        callers may pass ``check`` (raise ProviderResponseError for an unusable answer: repaired once, then the
        next provider) and ``on_text`` (the answer as it streams)."""
        return self.router.call("text", request, TextResult, check=check, on_text=on_text, job=job)

    # Media goes through the router like text, but is not kept in its cache (the render's index holds the asset).
    # ``provider`` restricts the chain to one provider (a render step the coordinator gave to it); ``options``
    # reach providers that take them (FAL: on_progress, cancel).
    def generate_image(self, request: ImageRequest, *, provider: str | None = None, job: str = "",
                       options: dict | None = None) -> ImageResult:  # fmt: skip
        return self.router.call("image", request, ImageResult, only=provider, cache=False, job=job, options=options)

    def generate_video(self, request: VideoRequest, *, provider: str | None = None, job: str = "",
                       options: dict | None = None) -> VideoResult:  # fmt: skip
        return self.router.call("video", request, VideoResult, only=provider, cache=False, job=job, options=options)

    def generate_model3d(self, request: Model3DRequest, *, provider: str | None = None,
                         job: str = "") -> Model3DResult:  # fmt: skip
        return self.router.call("model3d", request, Model3DResult, only=provider, cache=False, job=job)

    def generate_speech(self, request: SpeechRequest, *, provider: str | None = None, job: str = "") -> AudioResult:
        return self.router.call("speech", request, AudioResult, only=provider, cache=False, job=job)

    def generate_sound(self, request: SoundRequest, *, provider: str | None = None, job: str = "") -> AudioResult:
        return self.router.call("sound", request, AudioResult, only=provider, cache=False, job=job)

    def generate_music(self, request: MusicRequest, *, provider: str | None = None, job: str = "") -> AudioResult:
        return self.router.call("music", request, AudioResult, only=provider, cache=False, job=job)

    def cast_voices(self, project_id: str, cast: dict[str, str]) -> dict[str, dict]:
        """A distinct voice of the speech chain's online head for each character (name -> description), chosen
        from the account's library: name -> {provider, voice_id, voice, reasons}. Empty when the head is offline."""
        chain = self.router.chain("speech", project_id)
        if not chain or self.offline("speech", chain[0][0]):
            return {}
        name, model = chain[0]
        speaker = self.router.provider("speech", name, model)
        if not hasattr(speaker, "cast"):
            return {}
        return {who: {"provider": name, **choice.to_dict()} for who, choice in speaker.cast(cast).items()}

    # ------------------------------------------------------------------ projects
    def project(self, project_id: str):
        """The project, re-read only when its moviegen.toml changed (a long-lived brain opens it often)."""
        from moviegen.core import locations

        try:
            stat = locations.project_config(self.store.path_of(project_id)).stat()
            signature = (stat.st_mtime_ns, stat.st_size)
        except (OSError, MoviegenError):
            return self.store.open(project_id)  # reports what is wrong, one line
        cached = self._projects.get(project_id)
        if cached is None or cached[0] != signature:
            cached = self._projects[project_id] = (signature, self.store.open(project_id))
        return cached[1]

    def project_slugs(self) -> list[str]:
        return self.store.slugs()

    def identity(self, project_id: str) -> str:
        """The project's identity (a UUID in moviegen.toml), given to projects made before identities were."""
        project = self.project(project_id)
        if not project.info.id:
            with self._lock:
                project = self.store.open(project_id)
                if not project.info.id:
                    project.update(id=uuid.uuid4().hex)
            project = self.project(project_id)
        return project.info.id

    def forget(self, project_id: str) -> None:
        """Close and drop what is cached for a project (before it is deleted or its memory rebuilt)."""
        store = self._stores.pop(project_id, None)
        if store is not None:
            store.close()
        ledger = self._ledgers.pop(project_id, None)
        if ledger is not None:
            ledger.close()
        self._synced.pop(project_id, None)
        self._projects.pop(project_id, None)

    # ------------------------------------------------------------------ memory
    def knowledge(self, project_id: str):
        """The project's knowledge store, synced with its files (one per project per process)."""
        from moviegen.brain.knowledge.open import open_store, sync_story
        from moviegen.services.story_graph import sources_signature

        project = self.project(project_id)
        with self._memory_lock.setdefault(project_id, threading.Lock()):
            store = self._stores.get(project_id)
            signature = sources_signature(project)
            if store is None:
                store = self._stores[project_id] = open_store(project, self.settings)
            elif self._synced.get(project_id) != signature:
                sync_story(store, project)
            self._synced[project_id] = signature
            return store

    def knowledge_ready(self, project_id: str) -> bool:
        """True when the project's memory is open and its files have not changed since it was last synced:
        a call can then use it at once (no opening, no re-extraction)."""
        from moviegen.services.story_graph import sources_signature

        if project_id not in self._stores:
            return False
        try:
            return self._synced.get(project_id) == sources_signature(self.project(project_id))
        except MoviegenError:
            return False

    # ------------------------------------------------------------------ runners and shutdown
    def _ensure_runners(self):
        """The one runner owner of this brain (workers/runners.py), made on first use; worker processes build
        their own LocalBrain from the environment's settings."""
        with self._lock:
            if self._runners is None:
                from moviegen.workers.runners import Runners

                self._runners = Runners(LocalBrain, self._workers, nice=self._nice)
            return self._runners

    def _borrow_runner(self):
        return self._ensure_runners().borrow()

    def warm(self) -> None:
        """Start the render workers now (they boot while the caller does other start-up work)."""
        self._ensure_runners().warm()

    def close(self) -> None:
        """Stop everything this brain started: running jobs at their next step (recorded as interrupted), then
        the worker pool (a job waiting on one of its steps ends at once), then the open stores."""
        self.jobs.stop()
        if self._runners is not None:
            self._runners.close()
            self._runners = None
        self.jobs.shutdown()
        self._webhooks.close()  # after the jobs: their last events are queued for delivery too
        for store in self._stores.values():
            store.close()
        self._stores.clear()
        for ledger in self._ledgers.values():
            ledger.close()
        self._ledgers.clear()
        self.tally.flush()
