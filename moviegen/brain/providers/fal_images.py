"""Stills from FAL.ai (https://fal.ai/models): a text-to-image model for a shot's prompt, and a reference-
conditioned model for a shot whose request carries its characters' sheets, so that each keeps one face and
costume across the film.

A real, paid, online provider: needs ``FAL_KEY``; sends the prompt (and the sheets) to FAL through its queue
(fal_queue.py). The models, per use: ``FAL_IMAGE_MODEL`` (default ``fal-ai/flux/dev``, FLUX.1 [dev]) and
``FAL_REFERENCE_MODEL`` (default ``fal-ai/bytedance/seedream/v4/edit``, Seedream 4.0 edit: up to ten reference
images in ``image_urls``, so every character of a two-shot keeps theirs — FLUX PuLID takes one face only). A
chain entry ``fal:<model>`` or ``fal:<model>,<reference model>`` (a project's ``[providers] image = [...]``)
chooses them per project.

What each model is sent — its documented input fields only (the model page's API tab):
- FLUX (``fal-ai/flux/dev``, ``/schnell``): ``prompt``, ``image_size: {width, height}``, ``seed``,
  ``num_images: 1``, ``output_format: "png"``.
- Seedream 4.0 edit and other ``image_urls`` models: ``prompt``, ``image_urls`` (the sheets), ``image_size``,
  ``seed``, ``num_images: 1``.
- FLUX PuLID (``fal-ai/flux-pulid``): ``prompt``, ``reference_image_url`` (the first sheet), ``image_size``,
  ``seed``.
- another model: ``prompt``, ``image_size``, ``seed``, ``num_images`` (and ``image_urls`` with references).
The sheets travel as ``data:image/png;base64,...`` URIs, longest side at most 1024 px. FAL's docs say "some
models also accept data URIs ... but URLs are the universal format" (its CDN upload); Seedream's and Kling's
inputs are plain URL strings that FAL fetches for the model, and data URIs are the route the SDKs' own
``encode_image`` helpers offer, so no upload step (and no second key-bearing host) is needed.

The prompt of a reference-conditioned still names the characters of the images in order ("image 1: Mara, ...")
and asks for each face, hair and costume to be kept. The answer's first image (``images[0].url``) is
downloaded and made a PNG of exactly the requested size: FAL returns JPEG for some models and its own sizes for
others (Seedream scales small sizes up to 0.92 megapixels; FLUX rounds to multiples of 16), so a mismatch is
scaled to cover and centre-cropped with Pillow. ``usage.images = 1`` lets the ledger price it (``per_image``).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.brain import ImageRequest, ImageResult, Usage
from moviegen.core.errors import ProviderResponseError

NAME = "fal"
FLUX = ("fal-ai/flux/dev", "fal-ai/flux/schnell", "fal-ai/flux-1/dev", "fal-ai/flux-1/schnell")
PULID = ("fal-ai/flux-pulid",)
MAX_REFERENCE_SIDE = 1024


class FalImages:
    def __init__(self, settings: Any, model: str | None = None, *, client: Any = None) -> None:
        from moviegen.brain.providers.fal_queue import queue_from  # httpx loads with the provider, not the registry

        self.queue = queue_from(settings, client)
        chosen = [m.strip() for m in (model or "").split(",")]
        self.model = chosen[0] or settings.fal_image_model
        self.reference_model = chosen[1] if len(chosen) > 1 and chosen[1] else settings.fal_reference_model
        self.deadline = settings.fal.deadline

    def __repr__(self) -> str:
        return f"FalImages(model={self.model!r}, reference_model={self.reference_model!r})"

    def close(self) -> None:
        self.queue.close()

    def generate(self, request: ImageRequest, *, on_progress: Callable[[Any], None] | None = None,
                 cancel: threading.Event | None = None) -> ImageResult:  # fmt: skip
        """A still; ``on_progress`` receives the queue's updates (fal_queue.QueueUpdate), ``cancel`` set
        cancels the request at FAL."""
        model = self.reference_model if request.references else self.model
        result, handle = self.queue.run(model, arguments(model, request), self.deadline, on_progress=on_progress,
                                        cancel=cancel)  # fmt: skip
        data, _ = self.queue.download(first_image_url(result, model), ("image/",))
        png = to_png(data, request.width, request.height)
        return ImageResult(png=png, width=request.width, height=request.height, provider=NAME, model=model,
                           usage=Usage(images=1))  # fmt: skip


def arguments(model: str, request: ImageRequest) -> dict[str, Any]:
    """The JSON input ``model`` is sent for ``request``."""
    size = {"width": request.width, "height": request.height}
    if not request.references:
        args: dict[str, Any] = {"prompt": request.prompt, "image_size": size, "seed": request.seed, "num_images": 1}
        if model in FLUX:
            args["output_format"] = "png"
        return args
    prompt = reference_prompt(request)
    if model in PULID:
        return {"prompt": prompt, "reference_image_url": image_data_uri(request.references[0]), "image_size": size,
                "seed": request.seed}  # fmt: skip
    return {"prompt": prompt, "image_urls": [image_data_uri(r) for r in request.references], "image_size": size,
            "seed": request.seed, "num_images": 1}  # fmt: skip


def reference_prompt(request: ImageRequest) -> str:
    """The shot's prompt, and which character each reference image shows."""
    names = []
    for i, _ in enumerate(request.references):
        who = request.characters[i] if i < len(request.characters) else None
        label = (who.name + (f" ({who.look})" if who.look else "")) if who is not None else "a character"
        names.append(f"image {i + 1}: {label}")
    return (f"{request.prompt}\n\nThe reference images show the characters of this shot ({'; '.join(names)}). Keep "
            "each one's face, hair and costume exactly as in their reference image; take only the characters from "
            "them, not the background, pose or framing.")  # fmt: skip


def image_data_uri(data: bytes, max_side: int = MAX_REFERENCE_SIDE) -> str:
    """A PNG data URI of ``data``, scaled down to ``max_side`` pixels on its longest side if larger (a PNG that
    fits is sent byte for byte)."""
    from PIL import Image

    from moviegen.brain.providers.fal_queue import data_uri

    image = _open(data, "a reference image")
    if image.format == "PNG" and max(image.size) <= max_side:
        return data_uri(data, "image/png")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return data_uri(buf.getvalue(), "image/png")


def first_image_url(result: dict[str, Any], model: str) -> str:
    """``images[0].url`` (or ``image.url``, which some models answer with)."""
    images = result.get("images")
    first = images[0] if isinstance(images, list) and images else result.get("image")
    url = first.get("url") if isinstance(first, dict) else None
    if not isinstance(url, str) or not url:
        raise ProviderResponseError(f"FAL's {model} answered without an image URL (images[0].url)",
                                    "try again; report it if it persists")  # fmt: skip
    return url


def to_png(data: bytes, width: int, height: int) -> bytes:
    """``data`` (PNG, JPEG, WebP) as a PNG of exactly width x height: scaled to cover and centre-cropped when the
    size differs; a PNG of the right size is kept as it is."""
    from PIL import Image, ImageOps

    image = _open(data, "a result image")
    if image.format == "PNG" and image.size == (width, height):
        return data
    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    if image.size != (width, height):
        image = ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _open(data: bytes, what: str):
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ProviderResponseError(f"{what} is not an image Pillow can read ({type(exc).__name__})",
                                    "try again; report it if it persists") from None  # fmt: skip
    return image


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(
            NAME,
            "image",
            FalImages,
            offline=False,
            description="stills from FAL.ai image models, characters kept from their sheets (online, paid; "
            "needs FAL_KEY)",
            configurable=True,
            needs=("fal_key",),
        )
    )
