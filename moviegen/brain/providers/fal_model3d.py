"""3D models from FAL.ai image-to-3D: a character's sheet in, a GLB out.

A real, paid, online provider: needs ``FAL_KEY``. ``FAL_3D_MODEL`` (default ``fal-ai/trellis``, Microsoft's
TRELLIS; a chain entry ``fal:<model>`` per project) is sent its documented input: ``image_url`` (the PNG as a
data URI, as the stills' references are) and ``texture_size`` "1024"; its output's ``model_mesh.url`` (a
``File``) is downloaded — binary glTF only, size-capped — and checked to be a GLB (magic ``glTF``, version 2,
its declared length). FAL prices TRELLIS per request: ``usage.images = 1`` lets the ledger price it with
``per_image``.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from typing import Any

from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.brain import Model3DRequest, Model3DResult, Usage
from moviegen.core.errors import ProviderResponseError

NAME = "fal"
ACCEPT = ("model/gltf-binary", "model/gltf")


class FalModel3D:
    def __init__(self, settings: Any, model: str | None = None, *, client: Any = None) -> None:
        from moviegen.brain.providers.fal_queue import queue_from  # httpx loads with the provider, not the registry

        self.queue = queue_from(settings, client)
        self.model = (model or "").strip() or settings.fal_3d_model
        self.deadline = settings.fal.video_deadline  # a mesh takes as long as a clip, not a still

    def __repr__(self) -> str:
        return f"FalModel3D(model={self.model!r})"

    def close(self) -> None:
        self.queue.close()

    def generate(self, request: Model3DRequest, *, on_progress: Callable[[Any], None] | None = None,
                 cancel: threading.Event | None = None) -> Model3DResult:  # fmt: skip
        from moviegen.brain.providers.fal_images import image_data_uri

        args = {"image_url": image_data_uri(request.image), "texture_size": "1024"}
        result, _ = self.queue.run(self.model, args, self.deadline, on_progress=on_progress, cancel=cancel)
        mesh = result.get("model_mesh")
        url = mesh.get("url") if isinstance(mesh, dict) else None
        if not isinstance(url, str) or not url:
            raise ProviderResponseError(f"FAL's {self.model} answered without a model URL (model_mesh.url)",
                                        "try again; report it if it persists")  # fmt: skip
        glb, _ = self.queue.download(url, ACCEPT)
        check_glb(glb, self.model)
        return Model3DResult(glb=glb, provider=NAME, model=self.model, usage=Usage(images=1))


def check_glb(data: bytes, model: str) -> None:
    """A binary glTF 2.0 whose header's length is the file's (a truncated download fails here)."""
    if len(data) < 12 or data[:4] != b"glTF":
        raise ProviderResponseError(f"FAL's {model} sent a model that is not a GLB", "try again")
    version, length = struct.unpack("<II", data[4:12])
    if version != 2 or length != len(data):
        raise ProviderResponseError(f"FAL's {model} sent a broken GLB (version {version}, {len(data)} of {length} "
                                    "bytes)", "try again")  # fmt: skip


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(
            NAME,
            "model3d",
            FalModel3D,
            offline=False,
            description="3D models (GLB) from a character's sheet through FAL.ai image-to-3D (online, paid; FAL_KEY)",
            configurable=True,
            needs=("fal_key",),
        )
    )
