"""RemoteBrain: the studio interface (moviegen.core.api) over MCP on a WebSocket to a running brain.

Every operation is a method made from its declaration: it calls the tool of the same name with the same
arguments and returns the same JSON as LocalBrain's method. A tool's error arrives as ``{code, message,
hint}`` and is raised as the same MoviegenError subclass LocalBrain would raise.

A deliberately small MCP client (initialize, then ``tools/call``), one JSON-RPC message per text frame, on
the ``websockets`` sync client: a CLI command that talks to a running brain starts in milliseconds instead
of importing the SDK (0.8 s). The tests also drive the server with the SDK's own client. If the brain
restarts, the next call reconnects once and is retried. Calls from several threads are serialized.
"""

from __future__ import annotations

import inspect
import itertools
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from moviegen import __version__
from moviegen.core.api import operations
from moviegen.core.errors import MoviegenError, ProviderError, UsageError, error_from_wire

PROTOCOL_VERSION = "2025-06-18"
ENDED = ("done", "failed", "cancelled", "interrupted")


class BrainUnavailable(ProviderError):
    code = "brain_unavailable"


class _Calls:
    """RemoteBrain's operation methods, one per declaration in moviegen.core.api."""


def _operation(name: str, declared) -> Any:
    signature = inspect.signature(declared)

    def method(self, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        arguments = {k: v for k, v in bound.arguments.items() if k != "self"}
        return self.call_tool(name, {k: _jsonable(v) for k, v in arguments.items()})

    method.__name__ = name
    method.__doc__ = declared.__doc__
    method.__signature__ = signature
    return method


for _name, _declared in operations().items():
    setattr(_Calls, _name, _operation(_name, _declared))


def _jsonable(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


class RemoteBrain(_Calls):
    mode = "brain server"

    def __init__(self, url: str, token: str | None = None, timeout: float = 120.0, ca=None) -> None:
        """``ca``: for a ``wss://`` URL, a CA file to trust instead of the system's store (or an
        ``ssl.SSLContext``); see moviegen.brain.tls."""
        from moviegen.brain.tls import context_for

        self.url = url
        self.token = token
        self.timeout = timeout
        self.ssl = context_for(url, ca)  # a bad CA file is reported now, before any connection
        self._ws = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """http(s)://host:port of the brain."""
        return self.url.rsplit("/mcp/ws", 1)[0].replace("ws", "http", 1)

    def _auth(self) -> dict[str, str] | None:
        """The Authorization header: the token, or what ``token`` gives when it is a callable (a person's login,
        refreshed as it nears expiry: moviegen.brain.session)."""
        token = self.token() if callable(self.token) else self.token
        return {"Authorization": f"Bearer {token}"} if token else None

    def _connect(self) -> None:
        from websockets.sync.client import connect

        headers = self._auth()
        ws = connect(self.url, subprotocols=["mcp"], additional_headers=headers, compression=None,
                     max_size=64 << 20, open_timeout=10, ssl=self.ssl)  # fmt: skip
        try:
            self._ws = ws
            self._request("initialize", {
                "protocolVersion": PROTOCOL_VERSION, "capabilities": {},
                "clientInfo": {"name": "moviegen-cli", "version": __version__},
            })  # fmt: skip
            ws.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        except BaseException:
            self._ws = None
            ws.close()
            raise

    def _request(self, method: str, params: dict) -> dict:
        rid = next(self._ids)
        self._ws.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=self.timeout))
            if message.get("id") != rid:
                continue  # notifications and server requests we do not use
            if "error" in message:
                error = message["error"]
                data = error.get("data")
                if isinstance(data, dict) and "code" in data and "message" in data:
                    raise error_from_wire(data)
                raise UsageError(f"the brain refused {method}: {error.get('message')}")
            return message["result"]

    def call(self, tool: str, /, **args: Any) -> Any:
        """Call a tool by name with keyword arguments (see call_tool)."""
        return self.call_tool(tool, args)

    def call_tool(self, name: str, args: dict[str, Any]) -> Any:
        """Call a tool; returns its structured result, or raises its error as the same MoviegenError."""
        with self._lock:
            result = self._call(name, args)
        if result.get("isError"):
            data = (result.get("structuredContent") or {}).get("error")
            if isinstance(data, dict):
                raise error_from_wire(data)
            text = result["content"][0]["text"] if result.get("content") else "the tool failed"
            raise _sdk_refusal(name, text.removeprefix(f"Error executing tool {name}: "))
        data = result.get("structuredContent")
        if isinstance(data, dict) and set(data) == {"result"}:
            return data["result"]
        if data is None and result.get("content"):
            return json.loads(result["content"][0]["text"])
        return data

    def _call(self, name: str, args: dict[str, Any]) -> dict:
        import ssl

        from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus

        for attempt in (1, 2):
            try:
                if self._ws is None:
                    self._connect()
                return self._request("tools/call", {"name": name, "arguments": args})
            except InvalidStatus as exc:
                if exc.response.status_code == 408 and attempt == 1:  # our head came too late (a stalled client):
                    self._drop()  # HTTP says a 408 may be retried on a new connection
                    continue
                raise _refused(self.url, exc) from None
            except ssl.SSLError as exc:
                self._drop()
                raise _tls_failed(self.url, exc) from None
            except InvalidMessage as exc:
                self._drop()
                raise _not_websocket(self.url, exc) from None
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                self._drop()
                if attempt == 2:
                    raise BrainUnavailable(
                        f"the brain at {self.url} is not answering: {exc}",
                        "start it with 'moviegen up', or unset MOVIEGEN_BRAIN_URL to work in-process",
                    ) from None
        raise AssertionError("unreachable")

    # ---------------------------------------------------------------- the Brain protocol (generation)
    def generate_text(self, request, *, check=None, on_text=None):
        """The brain's router answers; ``check`` runs here on the answer (no repair over the wire) and
        ``on_text`` gets it whole."""
        from moviegen.core.brain import TextResult

        result = TextResult.model_validate(self.call("generate_text", project_id=_project_of(request),
                                                     task=request.task, prompt=request.prompt, seed=request.seed,
                                                     params=request.params))  # fmt: skip
        if check is not None:
            check(result)
        if on_text is not None:
            on_text(result.text)
        return result

    def generate_image(self, request):
        import base64

        from moviegen.core.brain import ImageResult

        r = self.call("generate_image", project_id=_project_of(request), prompt=request.prompt,
                      width=request.width, height=request.height, seed=request.seed,
                      request=request.model_dump(mode="json"))  # fmt: skip
        return ImageResult(png=base64.b64decode(r["png_base64"]), width=r["width"], height=r["height"],
                           provider=r["provider"])  # fmt: skip

    def generate_speech(self, request):
        fields = request.model_dump(exclude={"project_id"})
        return _audio(self.call("generate_speech", project_id=_project_of(request), **fields))

    def generate_music(self, request):
        return _audio(
            self.call("generate_music", project_id=_project_of(request), request=request.model_dump(mode="json"))
        )

    # ---------------------------------------------------------------- streams
    def follow(self, job_id: str, timeout: float | None = None) -> Iterator[dict[str, Any]]:
        """The job's view as it changes, until it ends (polled: a status call costs well under a millisecond)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        view = self.job_status(job_id)
        yield view
        while view["status"] not in ENDED:
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(0.1)
            latest = self.job_status(job_id)
            if latest != view:
                view = latest
                yield view

    async def events(self, project_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """The brain's /events socket (this caller's projects, or one of them), followed across restarts."""
        import asyncio
        import ssl

        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidStatus, WebSocketException

        url = self.url.rsplit("/mcp/ws", 1)[0] + "/events" + (f"?project={project_id}" if project_id else "")
        headers = self._auth()
        while True:
            try:
                async with connect(url, additional_headers=headers, compression=None, ssl=self.ssl) as ws:
                    async for text in ws:
                        yield json.loads(text)
            except InvalidStatus as exc:
                raise _refused(url, exc, "its events") from None
            except ssl.SSLError as exc:  # retrying cannot make a certificate verify
                raise _tls_failed(url, exc) from None
            except (OSError, WebSocketException):
                await asyncio.sleep(1.0)

    def _drop(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:  # noqa: BLE001 - it is gone either way
                pass
            self._ws = None

    def close(self) -> None:
        self._drop()


def _refused(url: str, exc, what: str = "the connection") -> MoviegenError:
    """The door's one-line refusal ({"error": {code, message, hint}}: a token, 429 after too many wrong ones)."""
    try:
        error = json.loads(exc.response.body)["error"]
        return BrainUnavailable(f"the brain at {url} refused {what}: {error['message']}", error.get("hint"))
    except (TypeError, ValueError, KeyError):
        return BrainUnavailable(f"the brain at {url} refused {what} ({exc.response.status_code})",
                                "set MOVIEGEN_BRAIN_TOKEN to a token from 'moviegen token create'")  # fmt: skip


def _tls_failed(url: str, exc) -> MoviegenError:
    import ssl

    from moviegen.brain.tls import CA_HINT, why

    if isinstance(exc, ssl.SSLCertVerificationError):
        mismatch = exc.verify_code in (62, 64)  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
        hint = "connect to a name or address the certificate carries" if mismatch else CA_HINT
        return BrainUnavailable(f"the brain at {url} presented a certificate that does not verify ({why(exc)})",
                                hint)  # fmt: skip
    return BrainUnavailable(f"no TLS connection to the brain at {url} ({why(exc)})",
                            "is it serving TLS (--tls-cert)? a brain without it is reached with ws://")  # fmt: skip


def _not_websocket(url: str, exc) -> MoviegenError:
    hint = "if it serves TLS (--tls-cert), use wss://" if url.startswith("ws://") else "check the URL and port"
    return BrainUnavailable(f"the brain at {url} did not answer as a WebSocket server ({exc})", hint)


def _sdk_refusal(name: str, text: str) -> MoviegenError:
    """The SDK's own refusals (arguments that do not fit the schema, an unknown tool), as the same UsageError
    an in-process brain raises: pydantic's report is 'N validation error(s) for …', the field, the problem."""
    from moviegen.core.api import invalid_arguments

    lines = text.splitlines()
    if len(lines) >= 3 and "validation error" in lines[0]:
        return invalid_arguments(name, lines[1].strip(), lines[2].strip().split(" [type=")[0])
    return UsageError(lines[0] if lines else text, "see 'moviegen brain tools --json' for every tool")


def _project_of(request) -> str:
    if not request.project_id:
        raise UsageError("a generation request needs the project it is for", "set project_id on the request")
    return request.project_id


def _audio(r: dict):
    import base64

    from moviegen.core.brain import AudioResult

    return AudioResult(pcm=base64.b64decode(r["pcm_f32_base64"]), sample_rate=r["sample_rate"],
                       channels=r["channels"], provider=r["provider"])  # fmt: skip


__all__ = ["BrainUnavailable", "MoviegenError", "RemoteBrain"]
