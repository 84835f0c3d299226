"""MCP over WebSocket: one JSON-RPC message per text frame, both directions.

The SDK (2.x) ships stdio and streamable HTTP but no WebSocket transport; these
two adapters move ``SessionMessage`` objects between a socket and the SDK's
streams, the way its stdio transport does for lines. A frame that is not a
JSON-RPC message is handed to the session as an exception, which answers it
with a JSON-RPC error; the connection stays up.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import mcp_types as types
from mcp.shared.message import SessionMessage

SUBPROTOCOL = "mcp"


def _parse(text: str) -> SessionMessage | Exception:
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(text, by_name=False))
    except Exception as exc:  # noqa: BLE001 - handed to the session, which answers with a JSON-RPC error
        return exc


def _dump(message: SessionMessage) -> str:
    return message.message.model_dump_json(by_alias=True, exclude_unset=True)


def parse_error_frame(detail: str) -> str:
    """The JSON-RPC answer to a frame that is not JSON at all (no id to answer to)."""
    return json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": f"Parse error: {detail}"}})


@asynccontextmanager
async def server_streams(websocket, max_message_bytes: int) -> AsyncIterator[tuple]:
    """Streams for ``Server.run`` over an accepted Starlette WebSocket."""
    from starlette.websockets import WebSocketDisconnect

    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](16)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](16)

    async def reader() -> None:
        async with read_writer:
            try:
                while True:
                    event = await websocket.receive()
                    if event["type"] == "websocket.disconnect":
                        return
                    text = event.get("text")
                    if text is None:
                        raw = event.get("bytes") or b""
                        try:
                            text = raw.decode("utf-8")
                        except UnicodeDecodeError:
                            await websocket.send_text(parse_error_frame("frames must be UTF-8 JSON text"))
                            continue
                    if len(text) > max_message_bytes:
                        await websocket.close(code=1009, reason="message too big")
                        return
                    try:
                        json.loads(text)
                    except ValueError as exc:
                        await websocket.send_text(parse_error_frame(str(exc)[:200]))
                        continue
                    await read_writer.send(_parse(text))
            except (WebSocketDisconnect, anyio.ClosedResourceError, RuntimeError):
                return

    async def writer() -> None:
        async with write_reader:
            try:
                async for message in write_reader:
                    await websocket.send_text(_dump(message))
            except (WebSocketDisconnect, anyio.ClosedResourceError, RuntimeError):
                return

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        tg.start_soon(writer)
        try:
            yield read_stream, write_stream
        finally:
            tg.cancel_scope.cancel()


@asynccontextmanager
async def client_streams(url: str, headers: dict[str, str] | None = None, max_message_bytes: int = 16 << 20):
    """Streams for the SDK's ``ClientSession`` over a WebSocket to ``url``."""
    from websockets.asyncio.client import connect

    read_writer, read_stream = anyio.create_memory_object_stream[SessionMessage | Exception](16)
    write_stream, write_reader = anyio.create_memory_object_stream[SessionMessage](16)
    async with connect(
        url, subprotocols=[SUBPROTOCOL], additional_headers=headers or {}, max_size=max_message_bytes, compression=None
    ) as ws:

        async def reader() -> None:
            async with read_writer:
                try:
                    async for frame in ws:
                        await read_writer.send(_parse(frame if isinstance(frame, str) else frame.decode()))
                except Exception as exc:  # noqa: BLE001 - the connection ended; the session sees it close
                    await read_writer.send(ConnectionError(f"brain connection closed: {exc}"))

        async def writer() -> None:
            async with write_reader:
                async for message in write_reader:
                    await ws.send(_dump(message))

        async with anyio.create_task_group() as tg:
            tg.start_soon(reader)
            tg.start_soon(writer)
            try:
                yield read_stream, write_stream
            finally:
                tg.cancel_scope.cancel()
