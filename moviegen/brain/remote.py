"""RemoteBrain: the brain's tools over MCP on a WebSocket, behind a plain synchronous API.

A deliberately small MCP client (initialize, then ``tools/call``), one JSON-RPC
message per text frame, on the ``websockets`` sync client: a CLI command that
talks to a running brain starts in milliseconds instead of importing the SDK
(0.8 s). The tests also drive the server with the SDK's own client. If the brain
restarts, the next call reconnects once and is retried.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from moviegen import __version__
from moviegen.core.errors import MoviegenError, ProviderError

PROTOCOL_VERSION = "2025-06-18"


class BrainUnavailable(ProviderError):
    code = "brain_unavailable"


class RemoteToolError(MoviegenError):
    code = "remote"


class RemoteBrain:
    def __init__(self, url: str, token: str | None = None, timeout: float = 120.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self._ws = None
        self._ids = itertools.count(1)

    def _connect(self) -> None:
        from websockets.sync.client import connect

        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        opener = connect(self.url, subprotocols=["mcp"], additional_headers=headers, compression=None,
                         max_size=64 << 20, open_timeout=10)  # fmt: skip
        ws = opener.__enter__()  # held open across calls; closed in _drop
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
                raise RemoteToolError(f"the brain refused {method}: {message['error'].get('message')}")
            return message["result"]

    def call(self, name: str, **args: Any) -> Any:
        """Call a tool; returns its structured result, or raises its error as one line."""
        from websockets.exceptions import ConnectionClosed, InvalidStatus

        for attempt in (1, 2):
            try:
                if self._ws is None:
                    self._connect()
                result = self._request("tools/call", {"name": name, "arguments": args})
                break
            except InvalidStatus as exc:
                raise BrainUnavailable(
                    f"the brain at {self.url} refused the connection ({exc.response.status_code})",
                    "set MOVIEGEN_BRAIN_TOKEN to a token from 'moviegen token create'",
                ) from None
            except (OSError, ConnectionClosed, TimeoutError) as exc:
                self._drop()
                if attempt == 2:
                    raise BrainUnavailable(
                        f"the brain at {self.url} is not answering: {exc}",
                        "start it with 'moviegen up', or unset MOVIEGEN_BRAIN_URL to work in-process",
                    ) from None
        if result.get("isError"):
            text = result["content"][0]["text"] if result.get("content") else "the tool failed"
            message, _, hint = text.removeprefix(f"Error executing tool {name}: ").partition(" → ")
            raise RemoteToolError(message, hint or None)
        data = result.get("structuredContent")
        if isinstance(data, dict) and set(data) == {"result"}:
            return data["result"]
        if data is None and result.get("content"):
            return json.loads(result["content"][0]["text"])
        return data

    # ---------------------------------------------------------------- the Brain protocol
    def providers(self) -> dict[str, str]:
        return self.call("whoami")["providers"]

    def generate_text(self, request):
        from moviegen.core.brain import TextResult

        return TextResult.model_validate(
            self.call(
                "generate_text", task=request.task, prompt=request.prompt, seed=request.seed, params=request.params
            )
        )

    def generate_image(self, request):
        import base64

        from moviegen.core.brain import ImageResult

        r = self.call("generate_image", prompt=request.prompt, width=request.width, height=request.height,
                      seed=request.seed, request=request.model_dump())  # fmt: skip
        return ImageResult(
            png=base64.b64decode(r["png_base64"]), width=r["width"], height=r["height"], provider=r["provider"]
        )

    def generate_speech(self, request):
        return _audio(self.call("generate_speech", **request.model_dump()))

    def generate_music(self, request):
        return _audio(self.call("generate_music", request=request.model_dump()))

    def store_workflow_data(self, project_id: str, workflow_id: str, data: dict) -> None:
        self.call("store_workflow_data", project_id=project_id, workflow_id=workflow_id, data=data)

    def _drop(self) -> None:
        if self._ws is not None:
            try:
                self._ws.close()
            except Exception:  # noqa: BLE001 - it is gone either way
                pass
            self._ws = None

    def close(self) -> None:
        self._drop()


def _audio(r: dict):
    import base64

    from moviegen.core.brain import AudioResult

    return AudioResult(pcm=base64.b64decode(r["pcm_f32_base64"]), sample_rate=r["sample_rate"],
                       channels=r["channels"], provider=r["provider"])  # fmt: skip
