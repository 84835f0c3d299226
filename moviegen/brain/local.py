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
from moviegen.core.settings import Settings, get_settings


class LocalBrain:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._instances: dict[str, Any] = {}

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
