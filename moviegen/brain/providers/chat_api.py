"""One client for the OpenAI chat-completions wire format, over httpx: OpenRouter and any OpenAI-compatible
server (Ollama, llama.cpp's server, vLLM, LM Studio) speak it.

httpx rather than the ``openai`` SDK: we control the exact wire format (what is sent is what the fake server
records and the tests assert), OpenRouter's extra fields (``models``, ``usage``, ``cost``) need no
``extra_body`` detour, and it adds no dependency (httpx is already one).

The request: ``POST {base_url}/chat/completions`` with ``Authorization: Bearer <key>`` (no header without a
key) and ``{"model", "messages": [system?, user], "max_tokens"?, "temperature"?, "seed",
"response_format"?: {"type": "json_schema", "json_schema": {"name", "strict": true, "schema"}}}``;
streaming adds ``"stream": true, "stream_options": {"include_usage": true}`` and reads server-sent events
(``data: {chunk}`` with ``choices[0].delta.content``; the usage chunk has empty choices; ``: comments`` are
skipped; the stream ends with ``data: [DONE]``). ``TextRequest.params`` are not sent (they serve the offline
writer). The answer's ``model`` (the one that answered), ``usage.prompt_tokens`` / ``completion_tokens``
and OpenRouter's ``usage.cost`` (credits, which are US dollars) fill the ``TextResult``.

Failures, each one kind: 401/403/402 ProviderAuthError; 429 RateLimitedError with the Retry-After header
(seconds or an HTTP date); 408, 5xx, connection errors, timeouts (httpx's: connect, and each read, so a
stall mid-stream counts), an error event in a stream and a stream that ends without ``[DONE]``
ProviderUnavailableError; a body that is not JSON or has no choices ProviderResponseError; another 4xx a
plain ProviderError. With a ``json_schema``, an answer that is not JSON or does not fit the schema is a
ProviderResponseError; the check is :func:`schema_problem`, a documented subset of JSON Schema, not a full
validator. The server's own error message (OpenRouter's ``{"error": {"code", "message", "metadata"}}``,
OpenAI's ``{"error": {"message", "type"}}``) is put into ours on one line, shortened.

The key lives in a SecretStr and goes only into the Authorization header: not into a repr, an error (a
server that echoes it has it blanked out) or a result, and it is never logged.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

from moviegen.core.brain import TextRequest, TextResult, Usage
from moviegen.core.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
    RateLimitedError,
)

MAX_DETAIL = 200  # characters of the server's own message kept in ours


class ChatAPI:
    """A chat-completions endpoint. ``name`` is the provider name results carry; ``key_env`` and ``model_env``
    are the variables hints name; ``headers`` and ``extra_body`` are what a provider adds (OpenRouter's).
    One instance serves many threads (httpx's Client pools connections)."""

    def __init__(
        self,
        name: str,
        *,
        base_url: str,
        model: str,
        api_key: str | None,
        key_env: str,
        model_env: str,
        timeout: float = 60.0,
        headers: dict[str, str] | None = None,
        extra_body: dict[str, Any] | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.name = name
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.key_env = key_env
        self.model_env = model_env
        self.timeout = timeout
        self._key = SecretStr(api_key) if api_key else None
        self._headers = {"Accept": "application/json", **(headers or {})}
        self._extra = dict(extra_body or {})
        self._client = client or httpx.Client(timeout=timeout)

    def __repr__(self) -> str:
        return f"ChatAPI({self.name!r}, url={self.url!r}, model={self.model!r}, key={'set' if self._key else 'none'})"

    def close(self) -> None:
        self._client.close()

    def body(self, request: TextRequest, *, stream: bool = False) -> dict[str, Any]:
        """The JSON sent for ``request`` (without the key, which only the Authorization header carries)."""
        messages = [{"role": "system", "content": request.system}] if request.system else []
        messages.append({"role": "user", "content": request.prompt})
        body: dict[str, Any] = {"model": self.model, "messages": messages}
        if request.max_tokens is not None:
            body["max_tokens"] = request.max_tokens
        if request.temperature is not None:
            body["temperature"] = request.temperature
        body["seed"] = request.seed
        if request.json_schema is not None:
            name = re.sub(r"[^A-Za-z0-9_-]", "_", request.task)[:64] or "answer"
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "strict": True, "schema": request.json_schema},
            }
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return {**body, **self._extra}

    # ------------------------------------------------------------------ calls
    def complete(self, request: TextRequest) -> TextResult:
        """One answer, all at once."""
        try:
            response = self._client.post(self.url, json=self.body(request), headers=self._auth_headers())
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        if response.status_code != 200:
            raise self._status_error(response.status_code, response.content, response.headers)
        try:
            payload = response.json()
        except ValueError:
            raise self._bad_body("an answer that is not JSON", response.text) from None
        if not isinstance(payload, dict):
            raise self._bad_body("an answer that is not a JSON object", response.text)
        error = payload.get("error")
        if error and not payload.get("choices"):  # OpenRouter: an error after the model started, with a 200
            code = _int(error.get("code")) if isinstance(error, dict) else None
            raise self._status_error(code if code and code >= 400 else 502, response.content, {})
        try:
            choice = payload["choices"][0]
            text = choice["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise self._bad_body("an answer without choices[0].message.content", response.text) from None
        if not isinstance(text, str):
            raise self._bad_body("an answer whose message has no text", response.text)
        if choice.get("finish_reason") == "error":
            raise ProviderUnavailableError(f"{self.name}'s model failed while answering", "try again")
        return self._result(request, text, payload.get("model"), payload.get("usage"), choice.get("finish_reason"))

    def stream(self, request: TextRequest, on_text: Callable[[str], None]) -> TextResult:
        """The answer as it is written: ``on_text(piece)`` for each piece of text, then the whole TextResult."""
        pieces: list[str] = []
        model: str | None = None
        usage: dict | None = None
        finish: str | None = None
        choices_seen = False
        try:
            with self._client.stream("POST", self.url, json=self.body(request, stream=True),
                                     headers=self._auth_headers()) as response:  # fmt: skip
                if response.status_code != 200:
                    raise self._status_error(response.status_code, response.read(), response.headers)
                for data in _sse_data(response.iter_lines()):
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        raise self._bad_body("a stream event that is not JSON", data) from None
                    if not isinstance(chunk, dict):
                        raise self._bad_body("a stream event that is not a JSON object", data)
                    if chunk.get("error"):
                        raise ProviderUnavailableError(
                            f"{self.name} failed mid-stream: {_detail(chunk, self._key)}", "try again"
                        )
                    model = chunk.get("model") or model
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices") or []:
                        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                            continue
                        choices_seen = True
                        finish = choice.get("finish_reason") or finish
                        piece = (choice.get("delta") or {}).get("content")
                        if isinstance(piece, str) and piece:
                            pieces.append(piece)
                            on_text(piece)
                else:
                    raise ProviderUnavailableError(
                        f"{self.name}'s stream ended before it was finished ({len(pieces)} pieces, no [DONE])",
                        "try again",
                    )
        except httpx.HTTPError as exc:
            raise self._transport_error(exc) from None
        if finish == "error":
            raise ProviderUnavailableError(f"{self.name}'s model failed while answering", "try again")
        if not choices_seen:
            raise ProviderResponseError(f"{self.name} sent a stream without choices", "try again")
        return self._result(request, "".join(pieces), model, usage, finish)

    # ------------------------------------------------------------------ the answer
    def _result(self, request: TextRequest, text: str, model: Any, usage: Any, finish: Any) -> TextResult:
        if request.json_schema is not None:
            text = _unfenced(text)
            cut = " (the answer was cut off at max_tokens)" if finish == "length" else ""
            try:
                value = json.loads(text)
            except ValueError:
                raise ProviderResponseError(
                    f"{self.name} answered with text that is not JSON{cut}: {_line(text, 80)}",
                    "raise max_tokens" if cut else "try again, or a model that supports structured output",
                ) from None
            problem = schema_problem(value, request.json_schema)
            if problem:
                raise ProviderResponseError(
                    f"{self.name}'s answer does not fit the schema: {problem}",
                    "try again, or a model that supports structured output",
                )
        usage = usage if isinstance(usage, dict) else {}
        cost = usage.get("cost")
        return TextResult(
            text=text,
            provider=self.name,
            model=model if isinstance(model, str) and model else self.model,
            usage=Usage(
                input_tokens=_int(usage.get("prompt_tokens")) or 0,
                output_tokens=_int(usage.get("completion_tokens")) or 0,
                cost_usd=float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None,
            ),
        )

    # ------------------------------------------------------------------ failures
    def _auth_headers(self) -> dict[str, str]:
        if self._key is None:
            return self._headers
        return {**self._headers, "Authorization": f"Bearer {self._key.get_secret_value()}"}

    def _transport_error(self, exc: httpx.HTTPError) -> ProviderError:
        if isinstance(exc, httpx.TimeoutException):
            return ProviderUnavailableError(
                f"{self.name} did not answer within {self.timeout:g} s ({type(exc).__name__})",
                "try again; a slow local model may need a longer MOVIEGEN_ROUTER__TIMEOUT",
            )
        if isinstance(exc, httpx.ConnectError):
            return ProviderUnavailableError(
                f"could not reach {self.name} at {self.url}: {type(exc).__name__}",
                "check the network and the base URL, or try again",
            )
        return ProviderUnavailableError(f"the connection to {self.name} broke off ({type(exc).__name__})", "try again")

    def _bad_body(self, what: str, text: str) -> ProviderResponseError:
        return ProviderResponseError(
            f"{self.name} sent {what}: {_line(text, 80, self._key)}", "try again; report it if it persists"
        )

    def _status_error(self, status: int, content: bytes, headers: Any) -> ProviderError:
        try:
            detail = _detail(json.loads(content), self._key)
        except ValueError:
            detail = _line(content.decode("utf-8", "replace"), MAX_DETAIL, self._key)
        said = f"{self.name} answered {status}" + (f": {detail}" if detail else "")
        if status in (401, 403):
            hint = f"check {self.key_env}" if status == 401 else f"check {self.key_env} and what the key may do"
            return ProviderAuthError(said, hint)
        if status == 402:
            return ProviderAuthError(said, f"the account behind {self.key_env} needs credits (OpenRouter: add credits)")
        if status == 429:
            return RateLimitedError(
                said, "wait, or raise the account's limits", retry_after(headers.get("Retry-After"))
            )
        if status == 408 or status >= 500:
            return ProviderUnavailableError(said, "try again")
        return ProviderError(said, f"check the model name ({self.model_env}) and the base URL")


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3); None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def schema_problem(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, at: str = "$") -> str | None:
    """The first way ``value`` breaks ``schema`` (``'$.scenes[1].title: expected string'``), or None.

    A subset of JSON Schema — what structured-output schemas (and pydantic's ``model_json_schema()``) use:
    ``type`` (one or a list), ``properties``, ``required``, ``additionalProperties`` (false or a schema),
    ``items``, ``enum``, ``const``, ``anyOf`` / ``oneOf`` (checked as any-of), ``allOf``, ``minItems`` /
    ``maxItems`` and ``$ref`` within the document (``#/$defs/...``). Other keywords (formats, patterns,
    lengths, numeric bounds) are not checked."""
    root = schema if root is None else root
    if not isinstance(schema, dict):
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        target: Any = root
        for part in ref.lstrip("#").strip("/").split("/") if ref != "#" else []:
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {}) if isinstance(target, dict) else {}
        problem = schema_problem(value, target, root, at)
        if problem:
            return problem
    types = schema.get("type")
    if types is not None:
        wanted = types if isinstance(types, list) else [types]
        if not any(_is_type(value, t) for t in wanted):
            return f"{at}: expected {' or '.join(map(str, wanted))}, got {_json_type(value)}"
    if "const" in schema and value != schema["const"]:
        return f"{at}: expected {json.dumps(schema['const'])}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{at}: expected one of {json.dumps(schema['enum'])[:80]}"
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options and all(schema_problem(value, o, root, at) for o in options):
            return f"{at}: fits none of {key}'s {len(options)} choices"
    for option in schema.get("allOf") or []:
        problem = schema_problem(value, option, root, at)
        if problem:
            return problem
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in schema.get("required") or []:
            if name not in value:
                return f"{at}: missing required key {name!r}"
        extra = schema.get("additionalProperties", True)
        for name, item in value.items():
            if name in props:
                problem = schema_problem(item, props[name], root, f"{at}.{name}")
            elif extra is False:
                problem = f"{at}: unexpected key {name!r}"
            else:
                problem = schema_problem(item, extra, root, f"{at}.{name}") if isinstance(extra, dict) else None
            if problem:
                return problem
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            return f"{at}: {len(value)} items, outside minItems/maxItems"
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                problem = schema_problem(item, schema["items"], root, f"{at}[{i}]")
                if problem:
                    return problem
    return None


def _is_type(value: Any, name: Any) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kinds = {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}
    return name in kinds and isinstance(value, kinds[name])


def _json_type(value: Any) -> str:
    names = {bool: "boolean", int: "integer", float: "number", str: "string", dict: "object", list: "array"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _sse_data(lines: Any) -> Any:
    """The data of each server-sent event (data lines joined by newlines; comments and other fields skipped)."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


def _detail(payload: Any, key: SecretStr | None) -> str:
    """The server's own words from an error body (OpenRouter/OpenAI ``error.message``, vLLM's ``message``)."""
    if isinstance(payload, dict):
        error = payload.get("error")
        found = error.get("message") if isinstance(error, dict) else error
        found = found or payload.get("message") or payload.get("detail") or ""
    else:
        found = ""
    return _line(str(found), MAX_DETAIL, key)


def _line(text: str, limit: int, key: SecretStr | None = None) -> str:
    """One line, at most ``limit`` characters, with the key (if a server echoed it) blanked out."""
    if key is not None and key.get_secret_value():
        text = text.replace(key.get_secret_value(), "***")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unfenced(text: str) -> str:
    """The JSON inside a Markdown code fence, which some models add even when asked for JSON."""
    text = text.strip()
    if text.startswith("```") and text.endswith("```") and "\n" in text:
        return text[text.index("\n") + 1 : -3].strip()
    return text


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
