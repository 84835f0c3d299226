"""A local stand-in for FAL.ai's queue API, over real HTTP on 127.0.0.1, serving its result files itself.

It follows the documented shapes (sources below):

- Submit: ``POST /{model_id}`` with ``Authorization: Key <key>`` and the model's input as JSON → 200
  ``{"request_id", "response_url", "status_url", "cancel_url", "queue_position"}``; the URLs use the model id's
  first two segments (``fal-ai/flux/dev`` → ``/fal-ai/flux/requests/{id}``). An unknown model is a 404.
- Status: ``GET /{app}/requests/{id}/status`` (``?logs=1`` adds the logs) → 202 ``{"status": "IN_QUEUE",
  "queue_position"}`` while queued, 202 ``{"status": "IN_PROGRESS", "logs": [{"message", "level", "source",
  "timestamp"}]}`` while running (one more line each poll), then 200 ``{"status": "COMPLETED", "logs",
  "metrics": {"inference_time"}}`` with ``error`` and ``error_type`` when the request failed.
- Result: ``GET /{app}/requests/{id}`` → the model's output: ``{"images": [{"url", "width", "height",
  "content_type"}], "seed", ...}`` for image models, ``{"video": {"url", "content_type", "file_name",
  "file_size"}}`` for video models. As on FAL, input is checked when the model runs, not when it is queued: a
  request that breaks the model's documented input ends COMPLETED and its result is a 422 ``{"detail":
  [{"loc": ["body", field], "msg", "type", "url"}]}``; a model failure is ``{"detail", "error_type"}`` with
  ``X-Fal-Error-Type``. Before completion: 400 ``{"detail": "Request is still in progress"}``.
- Cancel: ``PUT /{app}/requests/{id}/cancel`` → 202 ``{"status": "CANCELLATION_REQUESTED"}``, 400
  ``{"status": "ALREADY_COMPLETED"}``, 404 ``{"status": "NOT_FOUND"}``; a cancelled request then ends
  COMPLETED with ``error_type: "client_cancelled"`` (a 499 result).
- Errors otherwise: ``{"detail": "..."}`` — 401 without the key (the wording here is ours, not FAL's).

Stricter than FAL on purpose: a field the model does not document is refused (422, ``extra_forbidden``) — FAL's
apps, pydantic models, may ignore it silently, which would hide a field our client thinks it sets. Inputs that
are data URIs must decode to an image (Pillow) and are kept, decoded, in ``Request.files`` for the tests.

Sources: FAL queue docs (https://docs.fal.ai/model-endpoints/queue), fal-client's wire code
(github.com/fal-ai/fal, projects/fal_client/src/fal_client/client.py: status parsing, 202/200, logs=1, PUT
cancel), FAL's error docs (https://docs.fal.ai/errors, .../model-apis/request-errors), the cancel reference
(https://fal.ai/docs/inference-api/queue/cancel), the model schemas (fal-ai/fal-js's generated
``types/endpoints.ts``: FluxDevInput, SeedDream4EditInput, FluxPulidInput, KlingVideoV2MasterImageToVideoInput,
I2VOutput), and TanStack/ai#396 (verified against FAL: no FAILED status; a 422 surfaces on the result).

Per test: ``jobs`` (a :class:`Job` per submitted request, in order: how long it queues and runs, its logs, a
failure, its result file), ``faults`` (:class:`Status`, :class:`Malformed`, each for the first request of its
``on`` kind: submit, status, result, cancel, file). Every request is recorded (``requests``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes._http import handler, send_bytes, send_json

KEY = "0f1e2d3c-fake-fal-key:9a8b7c6d5e4f30211234abcd"  # FAL keys are 'key_id:key_secret'
SIZES = {"square_hd": (1024, 1024), "square": (512, 512), "portrait_4_3": (768, 1024), "portrait_16_9": (576, 1024),
         "landscape_4_3": (1024, 768), "landscape_16_9": (1024, 576)}  # fmt: skip
SEEDREAM_MIN_AREA = 921600  # "the minimum total image area is 921600 pixels ... scaled up, keeping the aspect"


@dataclass
class Status:
    """Answer ``code`` with ``body`` (default ``{"detail": message}``) and ``Retry-After`` when given."""

    code: int
    message: str = "scripted failure"
    retry_after: str | None = None
    on: str = "submit"
    body: Any = None


@dataclass
class Malformed:
    """200 with a body that is not JSON."""

    on: str = "submit"


@dataclass
class Job:
    """How one submitted request behaves."""

    queued: int = 0  # status polls answered IN_QUEUE (the position counting down)
    running: int = 1  # status polls answered IN_PROGRESS, one more log line each
    forever: bool = False  # never completes
    logs: list[str] = field(default_factory=lambda: ["Loading the model", "Generating", "Saving the result"])
    error: str | None = None  # the model fails with this detail
    error_status: int = 500
    error_type: str | None = None
    media: str = ""  # '' as the model makes it; 'jpeg', 'png', 'html' (a wrong type)
    size: tuple[int, int] | None = None  # the image's size, if not the model's
    foreign_urls: bool = False  # the submit answer points its URLs at another host


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    raw: bytes
    body: Any = None
    files: list[bytes] = field(default_factory=list)  # data-URI inputs, decoded


# ---------------------------------------------------------------------- the models' documented input
Check = Callable[[Any, "Request"], str | None]  # a problem ('type: message') or None


def string(v: Any, _: Request) -> str | None:
    return None if isinstance(v, str) else "string_type: Input should be a valid string"


def integer(lo: int, hi: int) -> Check:
    def check(v: Any, _: Request) -> str | None:
        if not isinstance(v, int) or isinstance(v, bool):
            return "int_type: Input should be a valid integer"
        return None if lo <= v <= hi else f"less_than_equal: Input should be between {lo} and {hi}"

    return check


def number(lo: float, hi: float) -> Check:
    def check(v: Any, _: Request) -> str | None:
        if not isinstance(v, int | float) or isinstance(v, bool):
            return "float_type: Input should be a valid number"
        return None if lo <= v <= hi else f"less_than_equal: Input should be between {lo} and {hi}"

    return check


def boolean(v: Any, _: Request) -> str | None:
    return None if isinstance(v, bool) else "bool_type: Input should be a valid boolean"


def enum(*values: str) -> Check:
    def check(v: Any, _: Request) -> str | None:
        return None if v in values else f"enum: Input should be {', '.join(repr(x) for x in values)}"

    return check


def image_size(*names: str) -> Check:
    def check(v: Any, _: Request) -> str | None:
        if isinstance(v, str):
            return None if v in (*SIZES, *names) else "enum: Input should be an ImageSize or a size name"
        if not isinstance(v, dict) or set(v) - {"width", "height"}:
            return "model_type: Input should be an ImageSize {width, height}"
        ok = all(isinstance(v.get(k, 512), int) and 1 <= v.get(k, 512) <= 14142 for k in ("width", "height"))
        return None if ok else "int_type: width and height should be integers from 1 to 14142"

    return check


def image_url(v: Any, req: Request) -> str | None:
    if not isinstance(v, str):
        return "string_type: Input should be a valid string"
    if v.startswith(("http://", "https://")):
        return None
    if not v.startswith("data:image/") or ";base64," not in v:
        return "image_load_error: Failed to load the image: not a URL or an image data URI"
    try:
        data = base64.b64decode(v.split(",", 1)[1], validate=True)
        from PIL import Image

        Image.open(io.BytesIO(data)).verify()
    except (binascii.Error, ValueError, OSError, SyntaxError):
        return "image_load_error: Failed to load the image. Please ensure the image file is not corrupted"
    req.files.append(data)
    return None


def image_urls(v: Any, req: Request) -> str | None:
    if not isinstance(v, list) or not v:
        return "list_type: Input should be a non-empty list of image URLs"
    return next((p for p in (image_url(u, req) for u in v) if p), None)


@dataclass(frozen=True)
class Model:
    required: dict[str, Check]
    optional: dict[str, Check]
    output: str  # 'flux', 'images' or 'video'


FLUX = Model(
    {"prompt": string},
    {"image_size": image_size(), "num_inference_steps": integer(1, 50), "seed": integer(0, 2**63),
     "guidance_scale": number(1, 20), "num_images": integer(1, 4), "enable_safety_checker": boolean,
     "output_format": enum("jpeg", "png"), "sync_mode": boolean, "acceleration": enum("none", "regular", "high")},
    "flux",
)  # fmt: skip
SEEDREAM_EDIT = Model(
    {"prompt": string, "image_urls": image_urls},
    {"image_size": image_size("auto", "auto_2K", "auto_4K"), "num_images": integer(1, 6), "max_images": integer(1, 6),
     "seed": integer(0, 2**63), "sync_mode": boolean, "enable_safety_checker": boolean,
     "enhance_prompt_mode": enum("standard", "fast")},
    "images",
)  # fmt: skip
PULID = Model(
    {"prompt": string, "reference_image_url": image_url},
    {"image_size": image_size(), "num_inference_steps": integer(1, 50), "guidance_scale": number(1, 10),
     "negative_prompt": string, "true_cfg": number(0, 10), "id_weight": number(0, 3), "enable_safety_checker": boolean,
     "max_sequence_length": enum("128", "256", "512"), "seed": integer(0, 2**63), "start_step": integer(0, 50),
     "sync_mode": boolean},
    "images",
)  # fmt: skip
KLING_I2V = Model(
    {"prompt": string, "image_url": image_url},
    {"duration": enum("5", "10"), "negative_prompt": string, "cfg_scale": number(0, 1)},
    "video",
)
TRELLIS = Model(
    {"image_url": image_url},
    {"seed": integer(0, 2**63), "ss_guidance_strength": number(0, 10), "ss_sampling_steps": integer(1, 50),
     "slat_guidance_strength": number(0, 10), "slat_sampling_steps": integer(1, 50),
     "mesh_simplify": number(0.9, 0.98), "texture_size": enum("512", "1024", "2048")},
    "model3d",
)  # fmt: skip
MODELS = {
    "fal-ai/trellis": TRELLIS,
    "fal-ai/flux/dev": FLUX,
    "fal-ai/flux/schnell": FLUX,
    "fal-ai/bytedance/seedream/v4/edit": SEEDREAM_EDIT,
    "fal-ai/flux-pulid": PULID,
    "fal-ai/kling-video/v2.1/standard/image-to-video": KLING_I2V,
}


def problems(model: Model, body: Any, req: Request) -> list[dict[str, Any]]:
    """FAL's validation errors for ``body``, or []."""
    if not isinstance(body, dict):
        return [_problem([], "model_type", "Input should be a JSON object")]
    found = [_problem([k], "missing", "Field required") for k in model.required if k not in body]
    for name, value in body.items():
        check = model.required.get(name) or model.optional.get(name)
        said = check(value, req) if check else "extra_forbidden: Extra inputs are not permitted"
        if said:
            kind, _, msg = said.partition(": ")
            found.append(_problem([name], kind, msg))
    return found


def _problem(loc: list[str], kind: str, msg: str) -> dict[str, Any]:
    return {"loc": ["body", *loc], "msg": msg, "type": kind, "url": f"https://docs.fal.ai/errors#{kind}"}


# ---------------------------------------------------------------------- the server
@dataclass
class _Queued:
    id: str
    model: str
    app: str
    request: Request
    job: Job
    problems: list[dict[str, Any]]
    polls: int = 0
    cancelled: bool = False
    stamps: list[str] = field(default_factory=list)
    start: float | None = None  # timed mode (FakeFal(latency=...)): when it leaves the queue and when it is done
    end: float | None = None

    @property
    def done(self) -> bool:
        if self.end is not None:
            return self.cancelled or time.time() >= self.end
        return self.cancelled or (not self.job.forever and self.polls > self.job.queued + self.job.running)

    def waiting(self, polls: int) -> bool:
        """Still IN_QUEUE (timed mode: until a runner is free)."""
        if self.start is not None:
            return time.time() < self.start
        return polls <= self.job.queued


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # a client that went away mid-answer
        pass


class FakeFal:
    def __init__(self, *, key: str = KEY, latency: float | None = None, concurrency: int = 8) -> None:
        """``latency``: each request runs this many seconds once one of ``concurrency`` runners takes it (FAL
        queues the rest); without it, requests advance by status polls (``Job``)."""
        self.key = key
        self.latency = latency
        self._runners = [0.0] * concurrency  # when each runner is free again
        self.jobs: list[Job] = []
        self.faults: list[Status | Malformed] = []
        self.requests: list[Request] = []
        self.queued: dict[str, _Queued] = {}
        self.files: dict[str, tuple[bytes, str]] = {}
        self._lock = threading.Lock()
        outer = self

        Handler = handler(outer.handle)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> FakeFal:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def seen(self, kind: str) -> list[Request]:
        """The recorded requests of one kind: submit, status, result, cancel, file."""
        return [r for r in self.requests if _kind(r.method, r.path) == kind]

    # ------------------------------------------------------------------ one request
    def handle(self, req: BaseHTTPRequestHandler) -> None:
        url = urlsplit(req.path)
        raw = req.rfile.read(int(req.headers.get("Content-Length", 0)))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = Request(req.command, url.path, parse_qs(url.query), {k.lower(): v for k, v in req.headers.items()},
                      raw, body)  # fmt: skip
        self.requests.append(rec)
        kind = _kind(req.command, url.path)
        try:
            if kind == "file":
                return self._file(req, rec)
            auth = req.headers.get("Authorization", "")
            if not auth.startswith("Key "):
                return send_json(req, 401, {"detail": "Missing or malformed Authorization header (expected 'Key ...')"})
            if auth != f"Key {self.key}":
                return send_json(req, 401, {"detail": "Invalid API key"})
            fault = next((f for f in self.faults if f.on == kind), None)
            if fault is not None:
                self.faults.remove(fault)
                if isinstance(fault, Malformed):
                    return send_bytes(req, 200, b'{"request_id": "req-', "application/json")
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                return send_json(req, fault.code, fault.body or {"detail": fault.message}, headers)
            if kind == "submit":
                return self._submit(req, rec, url.path.strip("/"))
            app, _, rest = url.path.strip("/").partition("/requests/")
            queued = self.queued.get(rest.split("/")[0])
            if queued is None or queued.app != app:
                if kind == "cancel":
                    return send_json(req, 404, {"status": "NOT_FOUND"})
                return send_json(req, 404, {"detail": "Request not found"})
            {"status": self._status, "result": self._result, "cancel": self._cancel}[kind](req, rec, queued)
        except OSError:  # the client hung up
            req.close_connection = True

    def _submit(self, req, rec: Request, model_id: str) -> None:
        model = MODELS.get(model_id)
        if model is None:
            return send_json(req, 404, {"detail": f"Application '{model_id}' not found"})
        job = self.jobs.pop(0) if self.jobs else Job()
        app = "/".join(model_id.split("/")[:2])
        queued = _Queued(uuid.uuid4().hex, model_id, app, rec, job, problems(model, rec.body, rec))
        now = time.time()
        if self.latency is not None:
            with self._lock:
                slot = min(range(len(self._runners)), key=self._runners.__getitem__)
                queued.start = max(now, self._runners[slot])
                queued.end = self._runners[slot] = queued.start + self.latency
        queued.stamps = [datetime.fromtimestamp(now + i / 1000, UTC).isoformat() for i in range(len(job.logs))]
        with self._lock:
            self.queued[queued.id] = queued
        host = "http://fal.invalid" if job.foreign_urls else self.base_url
        base = f"{host}/{app}/requests/{queued.id}"
        send_json(req, 200, {"request_id": queued.id, "response_url": base, "status_url": f"{base}/status",
                         "cancel_url": f"{base}/cancel", "queue_position": job.queued})  # fmt: skip

    def _status(self, req, rec: Request, q: _Queued) -> None:
        with self._lock:
            q.polls += 1
            polls, job = q.polls, q.job
        base = f"{self.base_url}/{q.app}/requests/{q.id}"
        with_logs = rec.query.get("logs", ["0"])[0] in ("1", "true", "True")
        if not q.done and q.waiting(polls):
            position = job.queued - polls if q.start is None else self._ahead(q)
            return send_json(req, 202, {"status": "IN_QUEUE", "queue_position": position, "response_url": base})
        shown = len(job.logs) if q.done else min(len(job.logs), polls - job.queued)
        logs = [{"message": m, "level": "INFO", "source": "USER", "timestamp": t}
                for m, t in zip(job.logs[:shown], q.stamps, strict=False)]  # fmt: skip
        if not q.done:
            return send_json(
                req, 202, {"status": "IN_PROGRESS", "logs": logs if with_logs else None, "response_url": base}
            )
        answer: dict[str, Any] = {"status": "COMPLETED", "logs": logs if with_logs else None,
                                  "metrics": {"inference_time": 0.01}, "response_url": base}  # fmt: skip
        if q.cancelled:
            answer |= {"error": "Request was cancelled", "error_type": "client_cancelled"}
        elif job.error is not None:
            answer |= {"error": job.error, "error_type": job.error_type or "runner_server_error"}
        send_json(req, 200, answer)

    def _ahead(self, q: _Queued) -> int:
        with self._lock:
            return sum(1 for o in self.queued.values() if o.start is not None and o.start < q.start and
                       time.time() < o.start)  # fmt: skip

    def _result(self, req, rec: Request, q: _Queued) -> None:
        if not q.done:
            return send_json(req, 400, {"detail": "Request is still in progress"})
        if q.cancelled:
            return send_json(req, 499, {"detail": "Request was cancelled", "error_type": "client_cancelled"},
                         {"X-Fal-Error-Type": "client_cancelled"})  # fmt: skip
        if q.problems:
            return send_json(req, 422, {"detail": q.problems})
        if q.job.error is not None:
            kind = q.job.error_type or "runner_server_error"
            return send_json(req, q.job.error_status, {"detail": q.job.error, "error_type": kind},
                         {"X-Fal-Error-Type": kind})  # fmt: skip
        send_json(req, 200, self._output(q))

    def _cancel(self, req, rec: Request, q: _Queued) -> None:
        with self._lock:
            if q.done:
                return send_json(req, 400, {"status": "ALREADY_COMPLETED"})
            q.cancelled = True
        send_json(req, 202, {"status": "CANCELLATION_REQUESTED"})

    def _file(self, req, rec: Request) -> None:
        found = self.files.get(rec.path.rsplit("/", 1)[-1])
        fault = next((f for f in self.faults if f.on == "file"), None)
        if fault is not None:
            self.faults.remove(fault)
            return send_json(req, fault.code, {"detail": fault.message})
        if found is None:
            return send_json(req, 404, {"detail": "Not found"})
        send_bytes(req, 200, found[0], found[1])

    # ------------------------------------------------------------------ what the models make
    def _output(self, q: _Queued) -> dict[str, Any]:
        body, model, job = q.request.body, MODELS[q.model], q.job
        seed = body.get("seed", 42)
        if model.output == "video":
            seconds = int(body.get("duration", "5"))
            data = mp4(seconds, q.request.files[0] if q.request.files else None)
            name = self._keep(q.id, "mp4", data, "video/mp4")
            return {"video": {"url": f"{self.base_url}/files/{name}", "content_type": "video/mp4",
                              "file_name": "output.mp4", "file_size": len(data)}}  # fmt: skip
        if model.output == "model3d":  # a real GLB: a box whose colour comes from the picture it was given
            data = glb(q.request.files[0] if q.request.files else b"")
            name = self._keep(q.id, "glb", data, "model/gltf-binary")
            return {"model_mesh": {"url": f"{self.base_url}/files/{name}", "content_type": "model/gltf-binary",
                                   "file_name": "model.glb", "file_size": len(data)}, "timings": {"inference": 0.01}}  # fmt: skip
        size = body.get("image_size", "landscape_4_3")
        width, height = SIZES[size] if isinstance(size, str) and size in SIZES else (
            (size.get("width", 512), size.get("height", 512)) if isinstance(size, dict) else (2048, 2048))  # fmt: skip
        if q.model.startswith("fal-ai/bytedance/seedream") and width * height < SEEDREAM_MIN_AREA:
            scale = (SEEDREAM_MIN_AREA / (width * height)) ** 0.5
            width, height = round(width * scale), round(height * scale)
        width, height = job.size or (width, height)
        fmt = job.media or ("png" if model.output != "flux" or body.get("output_format") == "png" else "jpeg")
        data, ctype = picture(width, height, f"{body.get('prompt')}{seed}", fmt)
        name = self._keep(q.id, {"png": "png", "jpeg": "jpg", "html": "html"}[fmt], data, ctype)
        images = [{"url": f"{self.base_url}/files/{name}", "width": width, "height": height, "content_type": ctype}]
        if model.output == "flux":
            return {"images": images, "timings": {"inference": 0.01}, "seed": seed, "has_nsfw_concepts": [False],
                    "prompt": body.get("prompt")}  # fmt: skip
        return {"images": images, "seed": seed}

    def _keep(self, request_id: str, ext: str, data: bytes, ctype: str) -> str:
        name = f"{request_id}.{ext}"
        self.files[name] = (data, ctype)
        return name


def picture(width: int, height: int, text: str, fmt: str) -> tuple[bytes, str]:
    """A real image: a colour from ``text`` and a lighter square in the middle."""
    if fmt == "html":
        return b"<html><body>Access denied</body></html>", "text/html; charset=utf-8"
    from PIL import Image, ImageDraw

    colour = tuple(hashlib.sha256(text.encode()).digest()[:3])
    image = Image.new("RGB", (width, height), colour)
    ImageDraw.Draw(image).rectangle((width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill=(240, 240, 240))
    buf = io.BytesIO()
    image.save(buf, format="PNG" if fmt == "png" else "JPEG", quality=90)
    return buf.getvalue(), "image/png" if fmt == "png" else "image/jpeg"


def glb(picture: bytes) -> bytes:
    """A binary glTF 2.0 box (trimesh), coloured by the picture's digest."""
    import trimesh

    box = trimesh.creation.box(extents=(0.5, 1.7, 0.3))
    box.visual.face_colors = [*hashlib.sha256(picture).digest()[:3], 255]
    return box.export(file_type="glb")


def mp4(seconds: int, still: bytes | None, fps: int = 8) -> bytes:
    """A real H.264 MP4 of ``seconds`` at the still's aspect (Kling keeps it), 480 pixels wide."""
    import av
    import numpy as np
    from PIL import Image

    width, height = 480, 270
    frame = np.full((height, width, 3), 90, np.uint8)
    if still is not None:
        image = Image.open(io.BytesIO(still)).convert("RGB")
        height = max(2, round(width * image.height / image.width / 2) * 2)
        frame = np.asarray(image.resize((width, height)))
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(seconds * fps):
            shifted = np.roll(frame, i * 4, axis=1)
            for packet in stream.encode(av.VideoFrame.from_ndarray(shifted, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buf.getvalue()


def _kind(method: str, path: str) -> str:
    if path.startswith("/files/"):
        return "file"
    if method == "POST":
        return "submit"
    if method == "PUT" and path.endswith("/cancel"):
        return "cancel"
    return "status" if path.endswith("/status") else "result"
