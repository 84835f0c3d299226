"""Clips from FAL.ai image-to-video models: a shot marked ``motion = "video"`` goes in as its still and its
prompt, and comes back as an MP4 that starts on that still.

A real, paid, online provider: needs ``FAL_KEY``. ``FAL_VIDEO_MODEL`` (default
``fal-ai/kling-video/v2.1/standard/image-to-video``, Kling 2.1 Standard; a chain entry ``fal:<model>`` per
project) is sent its documented input: Kling models ``prompt``, ``image_url`` and ``duration`` — the string
"5" or "10", the one nearer the shot's length (FAL bills Kling by those seconds); other models ``prompt`` and
``image_url`` only (MiniMax/Hailuo choose their own length). Kling takes no seed or size: the clip has the
still's aspect at the model's resolution, so the result reports the length and size measured in the file (PyAV)
and the render fits it to the shot. The still travels as a PNG data URI (see fal_images.py); the answer's
``video.url`` is downloaded (``video/mp4`` only, size-capped). ``usage.seconds`` is what FAL bills: the
requested Kling duration, else the clip's length.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.brain import Usage, VideoRequest, VideoResult
from moviegen.core.errors import ProviderResponseError

NAME = "fal"
KLING_LENGTHS = (5, 10)  # seconds Kling's image-to-video endpoints offer


class FalVideo:
    def __init__(self, settings: Any, model: str | None = None, *, client: Any = None) -> None:
        from moviegen.brain.providers.fal_queue import queue_from  # httpx loads with the provider, not the registry

        self.queue = queue_from(settings, client)
        self.model = (model or "").strip() or settings.fal_video_model
        self.deadline = settings.fal.video_deadline

    def __repr__(self) -> str:
        return f"FalVideo(model={self.model!r})"

    def close(self) -> None:
        self.queue.close()

    def generate(self, request: VideoRequest, *, on_progress: Callable[[Any], None] | None = None,
                 cancel: threading.Event | None = None) -> VideoResult:  # fmt: skip
        args = arguments(self.model, request)
        result, _ = self.queue.run(self.model, args, self.deadline, on_progress=on_progress, cancel=cancel)
        video = result.get("video")
        url = video.get("url") if isinstance(video, dict) else None
        if not isinstance(url, str) or not url:
            raise ProviderResponseError(f"FAL's {self.model} answered without a video URL (video.url)",
                                        "try again; report it if it persists")  # fmt: skip
        mp4, _ = self.queue.download(url, ("video/mp4",))
        duration, width, height = probe(mp4)
        billed = float(args["duration"]) if "duration" in args else duration
        return VideoResult(mp4=mp4, duration=duration, width=width, height=height, provider=NAME, model=self.model,
                           usage=Usage(seconds=billed))  # fmt: skip


def arguments(model: str, request: VideoRequest) -> dict[str, Any]:
    from moviegen.brain.providers.fal_images import image_data_uri

    args: dict[str, Any] = {"prompt": request.prompt, "image_url": image_data_uri(request.image, max_side=4096)}
    if "kling-video" in model:
        args["duration"] = str(min(KLING_LENGTHS, key=lambda s: (abs(s - request.duration), s)))
    return args


def probe(mp4: bytes) -> tuple[float, int, int]:
    """Length (seconds) and frame size of an MP4, read from the file."""
    import av

    try:
        with av.open(io.BytesIO(mp4), format="mp4") as container:
            stream = container.streams.video[0]
            if container.duration:
                duration = container.duration / av.time_base
            else:
                duration = float(stream.duration * stream.time_base) if stream.duration else 0.0
            return round(duration, 3), stream.codec_context.width, stream.codec_context.height
    except (av.FFmpegError, IndexError, ValueError) as exc:
        raise ProviderResponseError(f"FAL's clip is not a playable MP4 ({type(exc).__name__})",
                                    "try again; report it if it persists") from None  # fmt: skip


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(
            NAME,
            "video",
            FalVideo,
            offline=False,
            description="clips from a shot's still through FAL.ai image-to-video models (online, paid; needs FAL_KEY)",
            configurable=True,
            needs=("fal_key",),
        )
    )
