"""Provider registry. Built-ins and third-party plugins register the same way:
a module-level ``register(registry)`` function, found for plugins through the
``moviegen.providers`` entry-point group (simonw/llm's pattern)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from moviegen.core.errors import ProviderNotFoundError

CAPABILITIES = ("text", "image", "speech", "music", "embedding", "sound", "video", "model3d")
BUILTINS = (
    "moviegen.brain.providers.story_writer",
    "moviegen.brain.providers.openrouter",
    "moviegen.brain.providers.openai_compat",
    "moviegen.brain.providers.storyboard_painter",
    "moviegen.brain.providers.fal_images",
    "moviegen.brain.providers.fal_video",
    "moviegen.brain.providers.fal_model3d",
    "moviegen.brain.providers.espeak",
    "moviegen.brain.providers.score_synth",
    "moviegen.brain.providers.elevenlabs",
    "moviegen.brain.embedding",
)


@dataclass(frozen=True)
class ProviderSpec:
    """``factory()`` makes the provider; with ``configurable`` it is ``factory(settings, model)`` (online
    providers read their keys and URLs from the settings; ``model`` comes from a chain entry 'name:model')."""

    name: str
    capability: str
    factory: Callable[..., Any]
    offline: bool
    description: str
    configurable: bool = False
    needs: tuple[str, ...] = ()  # settings that must be set for it to be used (keys, URLs): else it is passed over

    def make(self, settings: Any, model: str | None = None) -> Any:
        return self.factory(settings, model) if self.configurable else self.factory()


class Registry:
    def __init__(self) -> None:
        self._specs: dict[tuple[str, str], ProviderSpec] = {}

    def add(self, spec: ProviderSpec) -> None:
        if spec.capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {spec.capability!r}")
        self._specs[(spec.capability, spec.name)] = spec

    def get(self, capability: str, name: str) -> ProviderSpec:
        try:
            return self._specs[(capability, name)]
        except KeyError:
            known = ", ".join(sorted(n for c, n in self._specs if c == capability)) or "none"
            raise ProviderNotFoundError(
                f"no {capability} provider named '{name}'",
                f"known {capability} providers: {known}; set MOVIEGEN_PROVIDERS__{capability.upper()}",
            ) from None

    def all(self) -> list[ProviderSpec]:
        return list(self._specs.values())


_REGISTRY: Registry | None = None


def registry() -> Registry:
    global _REGISTRY
    if _REGISTRY is None:
        reg = Registry()
        for module in BUILTINS:
            importlib.import_module(module).register(reg)
        for ep in entry_points(group="moviegen.providers"):
            ep.load()(reg)
        _REGISTRY = reg
    return _REGISTRY
