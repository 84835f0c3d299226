"""RemoteBrain: the brain's tools over MCP on a WebSocket, behind a plain synchronous API.

An event loop runs in a background thread and holds one MCP session; calls are
sent to it and waited for. If the brain restarts, the next call reconnects once
and is retried.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from moviegen.core.errors import MoviegenError, ProviderError


class BrainUnavailable(ProviderError):
    code = "brain_unavailable"


class RemoteToolError(MoviegenError):
    code = "remote"


class RemoteBrain:
    def __init__(self, url: str, token: str | None = None, timeout: float = 120.0) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="moviegen-remote-brain", daemon=True)
        self._thread.start()
        self._session = None
        self._stack = None

    # ---------------------------------------------------------------- connection
    async def _connect(self) -> None:
        from contextlib import AsyncExitStack

        from mcp.client.session import ClientSession

        from moviegen.brain.server.ws_transport import client_streams

        await self._disconnect()
        stack = AsyncExitStack()
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else None
        try:
            read, write = await stack.enter_async_context(client_streams(self.url, headers))
            session = await stack.enter_async_context(ClientSession(read, write))
            await session.initialize()
        except BaseException:
            await stack.aclose()
            raise
        self._stack, self._session = stack, session

    async def _disconnect(self) -> None:
        if self._stack is not None:
            stack, self._stack, self._session = self._stack, None, None
            try:
                await stack.aclose()
            except Exception:  # noqa: BLE001 - the old connection is gone either way
                pass

    async def _call(self, name: str, args: dict[str, Any]):
        for attempt in (1, 2):
            try:
                if self._session is None:
                    await self._connect()
                return await self._session.call_tool(name, args)
            except (OSError, ConnectionError, EOFError) as exc:
                await self._disconnect()
                if attempt == 2:
                    raise BrainUnavailable(
                        f"the brain at {self.url} is not answering: {exc}",
                        "start it with 'moviegen up', or unset MOVIEGEN_BRAIN_URL to work in-process",
                    ) from None
            except Exception as exc:  # noqa: BLE001 - anything else from the transport: reconnect once
                await self._disconnect()
                if attempt == 2:
                    raise BrainUnavailable(f"lost the brain at {self.url}: {type(exc).__name__}: {exc}") from None

    def call(self, name: str, **args: Any) -> Any:
        """Call a tool; returns its structured result, or raises its error as one line."""
        future = asyncio.run_coroutine_threadsafe(self._call(name, args), self._loop)
        result = future.result(self.timeout)
        if result.is_error:
            text = result.content[0].text if result.content else "the tool failed"
            message, _, hint = text.removeprefix(f"Error executing tool {name}: ").partition(" → ")
            raise RemoteToolError(message, hint or None)
        data = result.structured_content
        if isinstance(data, dict) and set(data) == {"result"}:
            return data["result"]
        if data is None and result.content:
            return json.loads(result.content[0].text)
        return data

    def ping(self) -> bool:
        try:
            self.call("project_list")
            return True
        except MoviegenError:
            return False

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._disconnect(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
