"""LocalBrain: the Brain protocol served in-process by the configured providers."""

from __future__ import annotations

from typing import Any

from moviegen.brain.providers.registry import registry
from moviegen.core.brain import (
    AudioResult,
    ImageRequest,
    ImageResult,
    MusicRequest,
    SpeechRequest,
    TextRequest,
    TextResult,
)
from moviegen.core.errors import MoviegenError
from moviegen.core.settings import Settings, get_settings


class LocalBrain:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._instances: dict[str, Any] = {}
        self._stores: dict[str, Any] = {}
        self._projects: dict[str, Any] = {}
        self._synced: dict[str, Any] = {}
        self._memory_lock: dict[str, Any] = {}

    def _provider(self, capability: str) -> Any:
        if capability not in self._instances:
            names: list[str] = getattr(self.settings.providers, capability)
            spec = registry().get(capability, names[0])
            self._instances[capability] = spec.factory()
        return self._instances[capability]

    def providers(self) -> dict[str, str]:
        return {cap: getattr(self.settings.providers, cap)[0] for cap in ("text", "image", "speech", "music")}

    def generate_text(self, request: TextRequest) -> TextResult:
        return self._provider("text").generate(request)

    def generate_image(self, request: ImageRequest) -> ImageResult:
        return self._provider("image").generate(request)

    def generate_speech(self, request: SpeechRequest) -> AudioResult:
        return self._provider("speech").generate(request)

    def generate_music(self, request: MusicRequest) -> AudioResult:
        return self._provider("music").generate(request)

    # ------------------------------------------------------------------ memory
    def project(self, project_id: str):
        """The project, re-read only when its moviegen.toml changed (a long-lived brain opens it often)."""
        from moviegen.core import locations
        from moviegen.core.project import ProjectStore

        store = ProjectStore(self.settings.projects_dir)
        try:
            stat = locations.project_config(store.path_of(project_id)).stat()
            signature = (stat.st_mtime_ns, stat.st_size)
        except (OSError, MoviegenError):
            return store.open(project_id)  # reports what is wrong, one line
        cached = self._projects.get(project_id)
        if cached is None or cached[0] != signature:
            cached = self._projects[project_id] = (signature, store.open(project_id))
        return cached[1]

    def knowledge(self, project_id: str):
        """The project's knowledge store, synced with its files (one per project per process)."""
        import threading

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

    def _default_embedder(self):
        if "embedder" not in self._instances:
            from moviegen.brain.knowledge.open import choose_embedder

            self._instances["embedder"] = choose_embedder(self.settings, None)
        return self._instances["embedder"]

    def embed_texts(self, texts: list[str]):
        return self._default_embedder().embed(texts)

    def embedder_name(self) -> str:
        return self._default_embedder().name

    def store_workflow_data(self, project_id: str, workflow_id: str, data: dict) -> None:
        self.knowledge(project_id).store_workflow_data(workflow_id, data)

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()
