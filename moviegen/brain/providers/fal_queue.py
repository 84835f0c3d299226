"""A client of FAL.ai's queue API over httpx: submit, poll the status with its logs, fetch the result, cancel,
download the result's media. The image and video providers (fal_images.py, fal_video.py) are built on it.

httpx rather than the official ``fal-client``: httpx is already a dependency and what the chat providers use;
the queue API is four small JSON endpoints, so writing them keeps the exact wire format in view (what is sent is
what the fake server records and the tests assert), and fal-client would bring aiofiles, httpx-sse, websockets
and msgpack for uploads and realtime we do not use. The wire format below is fal-client's
(github.com/fal-ai/fal, projects/fal_client) and FAL's queue docs (https://docs.fal.ai/model-endpoints/queue).

- Submit: ``POST {queue}/{model_id}`` (``Authorization: Key $FAL_KEY``, the model's input as JSON) →
  ``{"request_id", "status_url", "response_url", "cancel_url", "queue_position"?}``.
- Status: ``GET {queue}/{app}/requests/{id}/status?logs=1`` → 202 ``{"status": "IN_QUEUE", "queue_position"}``,
  202 ``{"status": "IN_PROGRESS", "logs": [{"message", "timestamp", ...}]}``, 200 ``{"status": "COMPLETED",
  "logs", "metrics", "error"?, "error_type"?}``. ``{app}`` is the model id's first two segments (three under
  the ``workflows``/``comfy`` namespaces): ``fal-ai/flux/dev`` polls ``fal-ai/flux/requests/{id}``. The logs
  are the request's so far, so each message is reported once.
- Result: ``GET {queue}/{app}/requests/{id}``. FAL has no FAILED status: a request that fails still ends
  COMPLETED, and its error (a 422 for input the model refused, a 5xx for a runner that failed) comes back
  here, as ``{"detail": "..."}`` or ``{"detail": [{"loc", "msg", "type", ...}]}``.
- Cancel: ``PUT {queue}/{app}/requests/{id}/cancel`` → 202 ``{"status": "CANCELLATION_REQUESTED"}``, 400
  ``ALREADY_COMPLETED``, 404 ``NOT_FOUND``. A queued request is dropped; a running one is signalled.

The status, result and cancel URLs of the submit answer are used when they point at the queue host (else they
are built from the model id): the key is sent to the queue host only — never to the media URLs of a result,
which are public CDN links, fetched with a size cap and a content-type check (data URIs are decoded).

Waiting polls from ``poll_interval`` up to ``max_poll_interval`` seconds, until a deadline; a poll that fails
for a passing reason (5xx, timeout, 429) is tried again, up to ``POLL_FAILURES`` in a row. :meth:`FalQueue.run`
cancels the request at FAL when the wait ends any way but completion: the deadline, the caller's cancel event,
an error, an interrupt.

Failures, each one kind: 401/403/402 ProviderAuthError naming FAL_KEY; 429 RateLimitedError with Retry-After;
408, 5xx, timeouts and dropped connections ProviderUnavailableError (a deadline too); a body that is not the
documented JSON ProviderResponseError; another 4xx (422: the model refused the input) ProviderError with FAL's
own words. The key is in a SecretStr and goes only into the Authorization header: not into a repr, an error (a
server that echoes it has it blanked out), a log line or a result.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from moviegen.brain.providers.chat_api import retry_after
from moviegen.core.errors import (
    JobCancelledError,
    ProviderAuthError,
    ProviderDeadlineError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
    RateLimitedError,
)

log = logging.getLogger(__name__)

NAMESPACES = ("workflows", "comfy")  # model ids under these have three segments before the path
POLL_FAILURES = 5  # passing failures of the status poll in a row before the wait gives up
MAX_DETAIL = 200
KEY_HELP = "https://fal.ai/dashboard/keys"
INFRA_ERRORS = {"request_timeout", "startup_timeout", "runner_scheduling_failure", "runner_connection_timeout",
                "runner_disconnected", "runner_connection_refused", "runner_connection_error",
                "runner_incomplete_response", "runner_server_error", "internal_error"}  # fmt: skip


@dataclass(frozen=True)
class Handle:
    """A submitted request."""

    model: str
    request_id: str
    status_url: str
    response_url: str
    cancel_url: str


@dataclass
class QueueStatus:
    status: str  # IN_QUEUE, IN_PROGRESS, COMPLETED
    position: int | None = None
    logs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    error_type: str | None = None


@dataclass
class QueueUpdate:
    """What a progress callback receives: where the request is, and the log messages new since the last one."""

    request_id: str
    model: str
    status: str
    position: int | None
    logs: list[str]


def queue_from(settings: Any, client: httpx.Client | None = None) -> FalQueue:
    """The queue client the settings describe; no key is a ProviderAuthError that names FAL_KEY."""
    if settings.fal_key is None or not settings.fal_key.get_secret_value():
        raise ProviderAuthError("FAL needs an API key", f"set FAL_KEY ({KEY_HELP})")
    fal = settings.fal
    return FalQueue(key=settings.fal_key.get_secret_value(), queue_url=settings.fal_queue_url,
                    timeout=settings.router.timeout, poll_interval=fal.poll_interval,
                    max_poll_interval=fal.max_poll_interval, max_download=int(fal.max_download_mb * 2**20),
                    client=client)  # fmt: skip


def app_path(model: str) -> str:
    """The part of a model id the status, result and cancel URLs use: 'fal-ai/flux/dev' -> 'fal-ai/flux'."""
    parts = [p for p in model.strip("/").split("/") if p]
    n = 3 if parts and parts[0] in NAMESPACES else 2
    if len(parts) < n:
        raise ProviderError(f"'{model}' is not a FAL model id", "use one like fal-ai/flux/dev (https://fal.ai/models)")
    return "/".join(parts[:n])


def data_uri(data: bytes, content_type: str) -> str:
    """Inline file content for a FAL file input (``image_url`` and the like)."""
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


def sniff(data: bytes) -> str | None:
    """The media type the first bytes announce (for servers that say application/octet-stream)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if data.startswith(b"glTF"):
        return "model/gltf-binary"
    return None


class FalQueue:
    """One queue host and key; one instance serves many threads (httpx's Client pools connections)."""

    def __init__(self, *, key: str, queue_url: str = "https://queue.fal.run", timeout: float = 60.0,
                 poll_interval: float = 1.0, max_poll_interval: float = 5.0, max_download: int = 200 * 2**20,
                 client: httpx.Client | None = None) -> None:  # fmt: skip
        self.queue_url = queue_url.rstrip("/")
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.max_poll_interval = max(poll_interval, max_poll_interval)
        self.max_download = max_download
        self._key = SecretStr(key)
        self._origin = _origin(self.queue_url)
        self._client = client or httpx.Client(timeout=timeout)

    def __repr__(self) -> str:
        return f"FalQueue(url={self.queue_url!r}, key={'set' if self._key.get_secret_value() else 'none'})"

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ the four endpoints
    def submit(self, model: str, arguments: dict[str, Any]) -> Handle:
        app = app_path(model)
        url = f"{self.queue_url}/{model.strip('/')}"
        payload = self._json(self._call("POST", url, model, json=arguments), model)
        request_id = payload.get("request_id")
        if not isinstance(request_id, str) or not request_id:
            raise self._bad_body(f"a submit answer without a request_id: {json.dumps(payload)[:80]}")
        base = f"{self.queue_url}/{app}/requests/{request_id}"

        def trusted(name: str, default: str) -> str:
            value = payload.get(name)
            return value if isinstance(value, str) and _origin(value) == self._origin else default

        handle = Handle(model, request_id, trusted("status_url", f"{base}/status"), trusted("response_url", base),
                        trusted("cancel_url", f"{base}/cancel"))  # fmt: skip
        log.debug("FAL %s: submitted %s", model, request_id)
        return handle

    def status(self, handle: Handle) -> QueueStatus:
        payload = self._json(self._call("GET", handle.status_url, handle.model, params={"logs": "1"}), handle.model)
        status = payload.get("status")
        if not isinstance(status, str):
            raise self._bad_body(f"a status without a status: {json.dumps(payload)[:80]}")
        position = payload.get("queue_position")
        logs = payload.get("logs")
        return QueueStatus(
            status=status,
            position=position if isinstance(position, int) and not isinstance(position, bool) else None,
            logs=[e for e in logs if isinstance(e, dict)] if isinstance(logs, list) else [],
            error=str(payload["error"]) if payload.get("error") else None,
            error_type=str(payload["error_type"]) if payload.get("error_type") else None,
        )

    def result(self, handle: Handle) -> dict[str, Any]:
        return self._json(self._call("GET", handle.response_url, handle.model, request_id=handle.request_id),
                          handle.model)  # fmt: skip

    def cancel(self, handle: Handle) -> str:
        """Ask FAL to drop (queued) or stop (running) the request: its answer, e.g. 'CANCELLATION_REQUESTED',
        'ALREADY_COMPLETED' or 'NOT_FOUND'."""
        try:
            response = self._client.put(handle.cancel_url, headers=self._auth())
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, handle.cancel_url) from None
        if response.status_code in (400, 404) or response.is_success:
            try:
                said = response.json().get("status")
            except (ValueError, AttributeError):
                said = None
            return said if isinstance(said, str) else ("OK" if response.is_success else str(response.status_code))
        raise self._status_error(response, handle.model)

    def cancel_quietly(self, handle: Handle) -> None:
        try:
            said = self.cancel(handle)
            log.info("FAL %s: cancelled %s (%s)", handle.model, handle.request_id, said)
        except ProviderError as exc:  # the request runs on and is billed; nothing more can be done from here
            log.warning("FAL %s: could not cancel %s: %s", handle.model, handle.request_id, exc.message)

    # ------------------------------------------------------------------ waiting
    def wait(self, handle: Handle, deadline: float, *, on_progress: Callable[[QueueUpdate], None] | None = None,
             cancel: threading.Event | None = None) -> QueueStatus:  # fmt: skip
        """Poll until COMPLETED (returned), ``deadline`` seconds pass (ProviderUnavailableError) or ``cancel`` is
        set (JobCancelledError). It does not cancel the request at FAL: :meth:`run` does."""
        end = time.monotonic() + deadline
        interval, failures, seen = self.poll_interval, 0, set()
        last: QueueStatus | None = None
        while True:
            if cancel is not None and cancel.is_set():
                raise JobCancelledError(f"the FAL request {handle.request_id} was cancelled",
                                        "run the same command again to make it anew")  # fmt: skip
            pause = interval
            try:
                status = self.status(handle)
                failures = 0
            except (ProviderUnavailableError, RateLimitedError) as exc:
                failures += 1
                if failures > POLL_FAILURES:
                    raise
                if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                    pause = max(pause, exc.retry_after)
                log.debug("FAL %s: status poll failed (%s), trying again", handle.request_id, exc.message)
            else:
                new = []
                for entry in status.logs:
                    mark = (entry.get("timestamp"), entry.get("message"))
                    if mark not in seen:
                        seen.add(mark)
                        if entry.get("message"):
                            new.append(str(entry["message"]))
                changed = last is None or (status.status, status.position) != (last.status, last.position)
                if changed:  # the queue moved: the request may be about to run or finish, so look again soon
                    interval = self.poll_interval
                for message in new:
                    log.debug("FAL %s: %s", handle.request_id, message)
                if on_progress is not None and (new or changed):
                    on_progress(QueueUpdate(handle.request_id, handle.model, status.status, status.position, new))
                last = status
                if status.status == "COMPLETED":
                    return status
                # IN_QUEUE, IN_PROGRESS — and any status FAL may add: keep polling until the deadline
            left = end - time.monotonic()
            if left <= 0:
                where = "not reached" if last is None else last.status
                if last is not None and last.position is not None:
                    where += f" at position {last.position}"
                raise ProviderDeadlineError(
                    f"FAL's {handle.model} did not finish request {handle.request_id} within {deadline:g} s "
                    f"(it was {where}), so it is cancelled",
                    "try again later, or allow longer (MOVIEGEN_FAL__DEADLINE, MOVIEGEN_FAL__VIDEO_DEADLINE)",
                )
            pause = min(pause, left)
            if cancel is not None:
                cancel.wait(pause)
            else:
                time.sleep(pause)
            interval = min(self.max_poll_interval, interval * 1.5)

    def run(self, model: str, arguments: dict[str, Any], deadline: float, *,
            on_progress: Callable[[QueueUpdate], None] | None = None,
            cancel: threading.Event | None = None) -> tuple[dict[str, Any], Handle]:  # fmt: skip
        """Submit, wait, fetch the result. A wait that ends any other way than completion cancels the request."""
        handle = self.submit(model, arguments)
        finished = False
        try:
            status = self.wait(handle, deadline, on_progress=on_progress, cancel=cancel)
            finished = True
        finally:
            if not finished:
                self.cancel_quietly(handle)
        result = self.result(handle)  # a request that failed answers its error here
        if status.error:  # ... and if it did not, the status said so
            detail = _line(status.error, MAX_DETAIL, self._key)
            if status.error_type in INFRA_ERRORS:
                raise ProviderUnavailableError(f"FAL's {model} failed ({status.error_type}): {detail}", "try again")
            raise ProviderError(f"FAL's {model} failed: {detail}", "check the request, or try another model")
        return result, handle

    # ------------------------------------------------------------------ media
    def download(self, url: str, accept: tuple[str, ...]) -> tuple[bytes, str]:
        """A result file and its media type: ``accept`` lists type prefixes ('image/', 'video/mp4'). No key is
        sent; larger than ``max_download`` bytes is refused."""
        if not isinstance(url, str) or not url:
            raise self._bad_body("a result without a file URL")
        if url.startswith("data:"):
            return self._inline(url, accept)
        if urlsplit(url).scheme not in ("http", "https"):
            raise self._bad_body(f"a result file at an address that is not http(s): {url[:60]}")
        try:
            with self._client.stream("GET", url, follow_redirects=True) as response:
                if response.status_code != 200:
                    status = response.status_code
                    kind = ProviderUnavailableError if status == 408 or status >= 500 else ProviderResponseError
                    raise kind(f"FAL's result file could not be fetched ({status}): {_short_url(url)}", "try again")
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_download:
                    raise self._too_big(int(length))
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_download:
                        raise self._too_big(size)
                    chunks.append(chunk)
                declared = response.headers.get("Content-Type", "")
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, _short_url(url)) from None
        data = b"".join(chunks)
        return data, self._media_type(declared, data, accept, url)

    def _inline(self, url: str, accept: tuple[str, ...]) -> tuple[bytes, str]:
        head, _, body = url.partition(",")
        if not head.endswith(";base64"):
            raise self._bad_body("a data URI result that is not base64")
        if len(body) * 3 // 4 > self.max_download:
            raise self._too_big(len(body) * 3 // 4)
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise self._bad_body("a data URI result that is not valid base64") from None
        return data, self._media_type(head[5:].removesuffix(";base64"), data, accept, "data URI")

    def _media_type(self, declared: str, data: bytes, accept: tuple[str, ...], where: str) -> str:
        kind = declared.split(";")[0].strip().lower()
        if not kind or kind in ("application/octet-stream", "binary/octet-stream"):
            kind = sniff(data) or kind
        if not kind.startswith(accept):
            raise self._bad_body(f"a result file of type {kind or 'unknown'} where {' or '.join(accept)} was "
                                 f"expected ({_short_url(where)})")  # fmt: skip
        return kind

    def _too_big(self, size: int) -> ProviderResponseError:
        return ProviderResponseError(
            f"FAL's result file is {size / 2**20:.1f} MB, over the {self.max_download / 2**20:g} MB cap",
            "raise MOVIEGEN_FAL__MAX_DOWNLOAD_MB if such files are expected",
        )

    # ------------------------------------------------------------------ the wire
    def _auth(self) -> dict[str, str]:
        return {"Accept": "application/json", "Authorization": f"Key {self._key.get_secret_value()}"}

    def _call(self, method: str, url: str, model: str, request_id: str = "", **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.request(method, url, headers=self._auth(), **kwargs)
        except httpx.HTTPError as exc:
            raise self._transport_error(exc, _short_url(url)) from None
        if not response.is_success:
            raise self._status_error(response, model, request_id)
        return response

    def _json(self, response: httpx.Response, model: str) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError:
            raise self._bad_body(f"an answer that is not JSON: {_line(response.text, 80, self._key)}") from None
        if not isinstance(payload, dict):
            raise self._bad_body(f"an answer that is not a JSON object: {_line(response.text, 80, self._key)}")
        return payload

    def _bad_body(self, what: str) -> ProviderResponseError:
        return ProviderResponseError(f"FAL sent {what}", "try again; report it if it persists")

    def _transport_error(self, exc: httpx.HTTPError, where: str) -> ProviderUnavailableError:
        if isinstance(exc, httpx.TimeoutException):
            return ProviderUnavailableError(f"FAL did not answer within {self.timeout:g} s ({type(exc).__name__})",
                                            "try again")  # fmt: skip
        if isinstance(exc, httpx.ConnectError):
            return ProviderUnavailableError(f"could not reach FAL at {where}: {type(exc).__name__}",
                                            "check the network and FAL_QUEUE_URL, or try again")  # fmt: skip
        return ProviderUnavailableError(f"the connection to FAL broke off ({type(exc).__name__})", "try again")

    def _status_error(self, response: httpx.Response, model: str, request_id: str = "") -> ProviderError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        detail = _detail(body, response.text, self._key)
        said = f"FAL answered {status}" + (f": {detail}" if detail else "")
        if status == 401:
            return ProviderAuthError(said, f"check FAL_KEY (keys: {KEY_HELP})")
        if status in (402, 403):
            return ProviderAuthError(
                said, "check FAL_KEY, and the account's balance and access at https://fal.ai/dashboard"
            )
        if status == 429:
            return RateLimitedError(said, "wait, or ask FAL for a higher concurrency limit",
                                    retry_after(response.headers.get("Retry-After")))  # fmt: skip
        if status == 408 or status >= 500:
            return ProviderUnavailableError(said, "try again")
        if status == 404 and not request_id:
            return ProviderError(f"FAL has no model '{model}' ({said})", "check the model id at https://fal.ai/models")
        what = f"FAL's {model} refused request {request_id}" if request_id else f"FAL's {model} refused the request"
        flagged = isinstance(body, dict) and isinstance(body.get("detail"), list) and any(
            isinstance(e, dict) and e.get("type") == "content_policy_violation" for e in body["detail"])  # fmt: skip
        hint = ("reword the prompt: FAL's content checker flagged it" if flagged else
                f"check the model's input (https://fal.ai/models/{model}/api), or choose another model")  # fmt: skip
        return ProviderError(f"{what} ({status}): {detail or 'no detail'}", hint)


def _detail(body: Any, text: str, key: SecretStr) -> str:
    """FAL's own words: ``detail`` as a string, or its list of ``{"loc", "msg"}`` as 'prompt: Field required'."""
    found: Any = body.get("detail") if isinstance(body, dict) else None
    if isinstance(found, list):
        parts = []
        for entry in found[:3]:
            if isinstance(entry, dict):
                loc = [str(p) for p in entry.get("loc") or [] if p != "body"]
                parts.append(f"{'.'.join(loc)}: {entry.get('msg', '')}" if loc else str(entry.get("msg", "")))
        found = "; ".join(p for p in parts if p) + ("; …" if len(found) > 3 else "")
    elif found is None:
        found = body.get("message") if isinstance(body, dict) else None
    return _line(str(found if found is not None else text), MAX_DETAIL, key)


def _line(text: str, limit: int, key: SecretStr | None = None) -> str:
    """One line, at most ``limit`` characters, with the key (if a server echoed it) blanked out."""
    if key is not None and key.get_secret_value():
        text = text.replace(key.get_secret_value(), "***")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(parts.scheme)


def _short_url(url: str) -> str:
    """An address for a message: no query string (signed CDN links carry tokens there)."""
    return url.split("?", 1)[0][:120]
