"""A local stand-in for the chat-completions API of OpenAI and OpenRouter, over real HTTP on 127.0.0.1.

It follows the documented shapes (sources below):

- Request: ``POST {base}/chat/completions`` with ``Authorization: Bearer <key>`` and a JSON body with
  ``model`` (OpenRouter: or ``models``, its fallback list, tried in order), non-empty ``messages`` of
  ``{"role": "system"|"user"|"assistant", "content"}``, optional ``max_tokens``, ``temperature`` (0..2),
  ``seed``, ``response_format`` (``{"type": "json_schema", "json_schema": {"name": [A-Za-z0-9_-]{1,64},
  "strict", "schema"}}``), ``stream``, and ``stream_options`` (refused without ``stream``, as OpenAI does).
  A request that breaks these gets a 400 with the error body.
- Answer: ``{"id", "object": "chat.completion", "created", "model", "choices": [{"index": 0, "message":
  {"role": "assistant", "content"}, "finish_reason": "stop"|"length"}], "usage": {"prompt_tokens",
  "completion_tokens", "total_tokens"}}``; OpenRouter-like also ``provider`` and ``usage.cost`` (credits).
  ``max_tokens`` cuts the answer (``finish_reason: "length"``). Tokens are whitespace-separated words.
- Streaming: ``text/event-stream``, chunked, ``data: {"object": "chat.completion.chunk", ..., "choices":
  [{"index": 0, "delta": {...}, "finish_reason"}]}`` events (first the role, then a piece of text each, then
  the finish reason), with ``stream_options.include_usage`` (OpenRouter-like: always) a last chunk with
  ``"choices": []`` and the usage (``"usage": null`` on the others), then ``data: [DONE]``. OpenRouter-like
  streams start with the keep-alive comment ``: OPENROUTER PROCESSING``.
- Errors: OpenRouter-like ``{"error": {"code": <status>, "message", "metadata"}}``, else OpenAI's
  ``{"error": {"message", "type", "param", "code"}}``; 429 with ``Retry-After`` when scripted. A mid-stream
  failure (OpenRouter) is a ``data:`` event with an ``error`` object and ``finish_reason: "error"``.

Sources: OpenAI API reference, chat completions (the chat.completion and chat.completion.chunk objects;
``stream_options.include_usage``: "an additional chunk ... before the data: [DONE] message ... the choices
field will always be an empty array ... All other chunks will also include a usage field, but with a null
value"); OpenRouter docs: API reference overview and errors (https://openrouter.ai/docs/api/reference/errors-
and-debugging: the error shape, 400/401/402/403/408/429/502/503, Retry-After), streaming
(https://openrouter.ai/docs/api-reference/streaming: SSE comments, errors during streaming), usage accounting
(https://openrouter.ai/docs/use-cases/usage-accounting: ``usage.cost``), model fallbacks
(https://openrouter.ai/docs/guides/routing: ``models``; the response's ``model`` is the one used), structured
outputs (https://openrouter.ai/docs/structured-outputs), app attribution (HTTP-Referer, X-Title).

Per test: ``faults`` (in order, one per authorised request: :class:`Status`, :class:`Stall`, :class:`Drop`,
:class:`Malformed`, :class:`SchemaInvalid`, :class:`StreamError`), ``answers`` (texts or dicts sent as JSON;
without one a JSON-schema request gets a minimal instance of its schema, others an echo), ``unavailable_models``
(answer 503, or the next of ``models``), ``latency`` (seconds per request). Every request is recorded
(``requests``: path, headers, raw bytes, parsed body) and ``peak_in_flight`` is the most requests handled at
once.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes._http import send_bytes, send_json

KEY = "sk-or-v1-fake-0123456789abcdef0123456789"
PRICE_IN, PRICE_OUT = 0.15e-6, 0.60e-6  # USD (credits) per prompt / completion token, OpenRouter-like only
NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass
class Status:
    """Answer ``code`` with the error body (and ``Retry-After: retry_after`` when given)."""

    code: int
    message: str = "scripted failure"
    retry_after: str | None = None


@dataclass
class Stall:
    """Say nothing for ``seconds`` — before the answer, or after ``after`` stream events."""

    seconds: float
    after: int = 0


@dataclass
class Drop:
    """Close the connection: before any answer, or after ``after`` stream events (no ``[DONE]``). ``clean``:
    end the stream's body properly instead, just early (still no ``[DONE]``)."""

    after: int = 0
    clean: bool = False


@dataclass
class Malformed:
    """200 with a body (stream: an event) that is not JSON; ``what="no-choices"``: JSON without choices."""

    what: str = "not-json"


@dataclass
class SchemaInvalid:
    """Answer this text instead of JSON that fits the request's schema."""

    answer: str = '{"unexpected": true}'


@dataclass
class StreamError:
    """OpenRouter's mid-stream failure: after ``after`` events, an event with ``error`` (streams only;
    a non-streaming request gets a 502)."""

    after: int = 1
    message: str = "Provider returned error"


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]  # names in lower case
    raw: bytes
    body: Any = None  # the parsed JSON, None when the body was not JSON


@dataclass
class _Plan:
    """What the handler will send for one request."""

    model: str
    text: str
    finish: str
    usage: dict[str, Any]
    fault: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the benchmark opens many connections at once

    def handle_error(self, request, client_address) -> None:  # a client that went away mid-answer
        pass


class FakeChat:
    def __init__(self, *, key: str | None = KEY, openrouter: bool = False, latency: float = 0.0) -> None:
        self.key = key
        self.openrouter = openrouter
        self.latency = latency
        self.faults: list[Any] = []
        self.answers: list[str | dict] = []
        self.unavailable_models: set[str] = set()
        self.requests: list[Recorded] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive; streams are chunked, as the real services send them
            disable_nagle_algorithm = True  # headers and body leave at once (else ~40 ms of delayed ACK per call)
            timeout = 10  # an idle kept-alive connection's thread ends

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                outer.handle(self)

        self.server = _Server(("127.0.0.1", 0), Handler)
        prefix = "/api/v1" if openrouter else "/v1"
        self.base_url = f"http://127.0.0.1:{self.server.server_port}{prefix}"
        self.path = f"{prefix}/chat/completions"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)  # quick to stop

    def __enter__(self) -> FakeChat:
        self.thread.start()
        return self

    def reset_peak(self) -> None:
        """Start counting ``peak_in_flight`` afresh (between the runs of a benchmark)."""
        with self._lock:
            self.peak_in_flight = self.in_flight

    def __exit__(self, *exc) -> None:
        self._stop.set()  # wakes stalled answers
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ one request
    def handle(self, req: BaseHTTPRequestHandler) -> None:
        raw = req.rfile.read(int(req.headers.get("Content-Length", 0)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self.requests.append(Recorded(req.path, {k.lower(): v for k, v in req.headers.items()}, raw, body))
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency:
                self._stop.wait(self.latency)
            self._answer(req, body)
        except OSError:  # the client hung up (a timeout on its side, or a scripted drop)
            req.close_connection = True
        finally:
            with self._lock:
                self.in_flight -= 1

    def _answer(self, req: BaseHTTPRequestHandler, body: Any) -> None:
        if req.path != self.path:
            return self._error(req, 404, f"no route for {req.path}")
        if self.key is not None:
            auth = req.headers.get("Authorization", "")
            if not auth.startswith("Bearer "):
                return self._error(req, 401, "No auth credentials found")
            if auth != f"Bearer {self.key}":
                shown = auth[7:10] + "***" + auth[-4:]  # OpenAI shows a masked key
                return self._error(req, 401, f"Incorrect API key provided: {shown}")
        fault = self.faults.pop(0) if self.faults else None
        if isinstance(fault, Status):
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return self._error(req, fault.code, fault.message, headers)
        problem = self._invalid(body)
        if problem:
            return self._error(req, 400, problem)
        stream = bool(body.get("stream"))
        if isinstance(fault, Stall) and (not stream or fault.after == 0):
            self._stop.wait(fault.seconds)
        if isinstance(fault, Drop) and (not stream or fault.after == 0):
            return self._drop(req)
        if isinstance(fault, StreamError) and not stream:
            return self._error(req, 502, fault.message)
        models = (body.get("models") if self.openrouter else None) or [body.get("model")]
        if body.get("model") and body["model"] not in models:
            models = [body["model"], *models]
        model = next((m for m in models if m not in self.unavailable_models), None)
        if model is None:
            return self._error(req, 503, "No available model provider that meets your routing requirements")
        plan = self._plan(body, model, fault)
        if stream:
            return self._stream(req, body, plan)
        if isinstance(fault, Malformed):
            if fault.what == "no-choices":
                return send_json(req, 200, {"id": _id(), "object": "chat.completion", "model": model})
            return send_bytes(req, 200, b'{"id": "chatcmpl-1", "choices": [{"message": ', "application/json")
        answer = {
            "id": _id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": plan.text}, "finish_reason": plan.finish}
            ],
            "usage": plan.usage,
            **plan.extra,
        }
        send_json(req, 200, answer)

    def _invalid(self, body: Any) -> str | None:
        """What is wrong with the request body, as the services say it, or None."""
        if not isinstance(body, dict):
            return "We could not parse the JSON body of your request."
        models = body.get("models")
        if self.openrouter and models is not None:
            if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
                return "'models' must be a non-empty array of model IDs"
        elif not isinstance(body.get("model"), str) or not body["model"]:
            return "you must provide a model parameter"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "'messages' must be a non-empty array"
        for m in messages:
            if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
                return f"Invalid message: {json.dumps(m)[:80]}"
            if not isinstance(m.get("content"), str):
                return "message content must be a string"
        if "max_tokens" in body and (not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1):
            return "max_tokens must be a positive integer"
        temperature = body.get("temperature", 1)
        if not isinstance(temperature, int | float) or not 0 <= temperature <= 2:
            return "temperature must be between 0 and 2"
        if "stream_options" in body and not body.get("stream"):
            return "The 'stream_options' parameter is only allowed when 'stream' is enabled."
        fmt = body.get("response_format")
        if fmt is not None:
            if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
                return "response_format.type must be text, json_object or json_schema"
            if fmt["type"] == "json_schema":
                spec = fmt.get("json_schema")
                if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
                    return "response_format.json_schema.schema must be an object"
                if not isinstance(spec.get("name"), str) or not NAME.fullmatch(spec["name"]):
                    return "response_format.json_schema.name must match ^[a-zA-Z0-9_-]{1,64}$"
        return None

    def _plan(self, body: dict, model: str, fault: Any) -> _Plan:
        fmt = body.get("response_format") or {}
        if isinstance(fault, SchemaInvalid):
            text = fault.answer
        elif self.answers:
            answer = self.answers.pop(0)
            text = answer if isinstance(answer, str) else json.dumps(answer)
        elif fmt.get("type") == "json_schema":
            schema = fmt["json_schema"]["schema"]
            text = json.dumps(instance_for(schema, schema))
        else:
            text = "Echo: " + next((m["content"] for m in reversed(body["messages"]) if m["role"] == "user"), "")
        pieces = re.findall(r"\s*\S+", text) or [text]
        finish = "stop"
        if body.get("max_tokens") and len(pieces) > body["max_tokens"]:
            pieces, finish = pieces[: body["max_tokens"]], "length"
            text = "".join(pieces)
        prompt = sum(len(m["content"].split()) for m in body["messages"])
        usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": len(pieces),
                                 "total_tokens": prompt + len(pieces)}  # fmt: skip
        extra: dict[str, Any] = {}
        if self.openrouter:
            usage["cost"] = round(prompt * PRICE_IN + len(pieces) * PRICE_OUT, 12)
            extra["provider"] = "FakeProvider"
        return _Plan(model, text, finish, usage, fault, extra)

    # ------------------------------------------------------------------ streaming
    def _stream(self, req: BaseHTTPRequestHandler, body: dict, plan: _Plan) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "text/event-stream")
        req.send_header("Cache-Control", "no-cache")
        req.send_header("Transfer-Encoding", "chunked")
        req.end_headers()
        include_usage = self.openrouter or bool((body.get("stream_options") or {}).get("include_usage"))
        base = {"id": _id(), "object": "chat.completion.chunk", "created": int(time.time()), "model": plan.model,
                **plan.extra}  # fmt: skip
        if include_usage:
            base["usage"] = None

        def event(choices: list, **more: Any) -> bytes:
            return b"data: " + json.dumps({**base, "choices": choices, **more}).encode() + b"\n\n"

        events = [event([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])]
        events += [
            event([{"index": 0, "delta": {"content": p}, "finish_reason": None}])
            for p in re.findall(r"\s*\S+", plan.text) or [plan.text]
        ]
        events.append(event([{"index": 0, "delta": {}, "finish_reason": plan.finish}]))
        if include_usage:
            events.append(event([], usage=plan.usage))
        fault = plan.fault
        if isinstance(fault, Malformed):
            events.insert(1, b'data: {"id": "chatcmpl-1", "choices": [{"delta": \n\n')
            if fault.what == "no-choices":
                events = [b'data: {"id": "chatcmpl-1", "object": "chat.completion.chunk"}\n\n']
        if self.openrouter:
            _chunk(req, b": OPENROUTER PROCESSING\n\n")
        for sent, data in enumerate(events):
            if isinstance(fault, Stall) and 0 < fault.after == sent:  # (after 0: stalled before the headers)
                self._stop.wait(fault.seconds)
            if isinstance(fault, Drop) and sent == fault.after:
                return _chunk(req, b"") if fault.clean else self._drop(req)
            if isinstance(fault, StreamError) and sent == fault.after:
                error = {"code": "server_error", "message": fault.message}
                _chunk(req, event([{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}], error=error))
                return _chunk(req, b"")
            _chunk(req, data)
        _chunk(req, b"data: [DONE]\n\n")
        _chunk(req, b"")

    # ------------------------------------------------------------------ writing
    def _error(self, req: BaseHTTPRequestHandler, status: int, message: str, headers: dict | None = None) -> None:
        if self.openrouter:
            payload = {"error": {"code": status, "message": message, "metadata": {"provider_name": "FakeProvider"}}}
        else:
            kind = "invalid_request_error" if status < 500 else "server_error"
            payload = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        send_json(req, status, payload, headers)

    def _drop(self, req: BaseHTTPRequestHandler) -> None:
        req.wfile.flush()
        req.close_connection = True
        req.connection.shutdown(socket.SHUT_RDWR)


def _chunk(req: BaseHTTPRequestHandler, data: bytes) -> None:
    """One piece of a chunked body (an empty one ends the body)."""
    req.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    req.wfile.flush()


def _id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def instance_for(schema: Any, root: Any) -> Any:
    """A small value that fits ``schema`` (every property filled in, as strict structured output does)."""
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("$ref"), str):
        target = root
        for part in schema["$ref"].lstrip("#").strip("/").split("/"):
            target = target[part] if part else target
        return instance_for(target, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return instance_for(schema[key][0], root)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {name: instance_for(sub, root) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [instance_for(schema.get("items") or {"type": "string"}, root)] * max(1, schema.get("minItems", 1))
    return {"string": "text", "integer": 1, "number": 1.5, "boolean": True, "null": None}.get(kind)
