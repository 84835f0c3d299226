"""Task entry points that run inside worker processes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moviegen.core.brain import Brain
from moviegen.services.render.steps import run_step

_brain: Brain | None = None


def init_worker(brain_factory: Callable[[], Brain], nice: int = 0) -> None:
    """Pool initializer: each worker process builds its own brain once (at a lower priority if asked)."""
    global _brain
    if nice:
        import os

        os.nice(nice)
    _brain = brain_factory()


def run(kind: str, job: dict[str, Any]) -> dict[str, Any]:
    if _brain is None:
        raise RuntimeError("worker used before init_worker")
    return run_step(kind, job, _brain)


def ready() -> bool:
    """A no-op the pool submits to start its processes early."""
    return _brain is not None
