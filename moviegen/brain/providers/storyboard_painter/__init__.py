"""The offline image provider: a procedural storyboard painter (Pillow + numpy).

It draws stylised storyboard frames from the request's structured hints —
place, time of day, framing, cast, action — and ignores prose it cannot
understand. It is not an image model; configure one for photographic frames.
"""

from __future__ import annotations

import io

from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.brain import ImageRequest, ImageResult

NAME = "storyboard-painter"


class StoryboardPainter:
    def generate(self, request: ImageRequest) -> ImageResult:
        from moviegen.brain.providers.storyboard_painter.compose import paint

        img = paint(request)
        buf = io.BytesIO()
        img.save(buf, format="PNG", compress_level=1)
        return ImageResult(png=buf.getvalue(), width=img.width, height=img.height, provider=NAME)


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(
            NAME,
            "image",
            StoryboardPainter,
            offline=True,
            description="procedural storyboard frames (offline; not an image model)",
        )
    )
