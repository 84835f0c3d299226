"""MCP over WebSocket: one JSON-RPC message per text frame, both directions.

The SDK (2.x) ships stdio and streamable HTTP but no WebSocket transport; these
two adapters move ``SessionMessage`` objects between a socket and the SDK's
streams, the way its stdio transport does for lines.

The server side answers a bad frame itself (the SDK's session drops what a
transport cannot parse, unanswered) and keeps the connection up:

- not UTF-8 JSON, or nested deeper than 200 levels: -32700 Parse error, id null.
  JSON is read by pydantic's parser, as the SDK's streamable HTTP transport
  reads a POST body, so both transports refuse the same frames the same way
  (Python's json module raises RecursionError near depth 1,000 instead);
- JSON that is not one JSON-RPC 2.0 message (``{}``, ``42``, a wrong ``jsonrpc``)
  or a batch (an array: MCP 2025-06-18 has none): -32600 Invalid Request, with
  the message's id when it has a valid one, else null. (Over HTTP the SDK says
  -32602 for these; -32600 is JSON-RPC's code for them.)

A message over the size limit closes the connection with 1009.

``answer_now`` (quick_calls.py) may answer a parsed message in the reader itself, before the session sees it;
``on_sent`` sees each message the session sends.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import mcp_types as types
import pydantic_core
from mcp.shared.message import SessionMessage

SUBPROTOCOL = "mcp"
PARSE_ERROR, INVALID_REQUEST = -32700, -32600
logger = logging.getLogger(__name__)


def _parse(text: str) -> SessionMessage | Exception:
    try:
        return SessionMessage(types.jsonrpc_message_adapter.validate_json(text, by_name=False))
    except Exception as exc:  # noqa: BLE001 - handed to the session, which answers with a JSON-RPC error
        return exc


def _dump(message: SessionMessage) -> str:
    return message.message.model_dump_json(by_alias=True, exclude_unset=True)


def error_frame(code: int, message: str, id: str | int | None = None) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})


def parse_error_frame(detail: str) -> str:
    """The JSON-RPC answer to a frame that is not JSON at all (no id to answer to)."""
    return error_frame(PARSE_ERROR, f"Parse error: {detail}")


def read_frame(text: str) -> SessionMessage | str:
    """A frame from a client: the message for the session, or the error frame to answer it with."""
    try:  # one pass in pydantic-core for a good frame; the bad ones are looked at again below
        message = types.jsonrpc_message_adapter.validate_json(text, by_name=False)
    except Exception:  # noqa: BLE001 - pydantic's details stay off the wire, as in the SDK's session
        message = None
    # a request whose id is not a string or an integer validates as a notification, which is never answered
    if message is not None and not (isinstance(message, types.JSONRPCNotification) and '"id"' in text):
        return SessionMessage(message)
    try:
        data = pydantic_core.from_json(text)
    except ValueError as exc:  # includes 'recursion limit exceeded' (nested over 200 deep)
        return parse_error_frame(str(exc)[:200])
    if message is not None and "id" not in data:
        return SessionMessage(message)  # a notification after all: '"id"' was inside its params
    if isinstance(data, list):
        return error_frame(INVALID_REQUEST, "Invalid Request: batches are not supported; send one message a frame")
    rid = data.get("id") if isinstance(data, dict) else None
    rid = rid if isinstance(rid, str | int) and not isinstance(rid, bool) else None
    return error_frame(INVALID_REQUEST, "Invalid Request: not a JSON-RPC 2.0 request, notification or response", rid)


@asynccontextmanager
async def server_streams(websocket, max_message_bytes: int, answer_now=None, on_sent=None) -> AsyncIterator[tuple]:
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
                    message = read_frame(text)
                    if isinstance(message, str):
                        await websocket.send_text(message)
                        continue
                    if answer_now is not None:
                        answer = await answer_now(message.message)
                        if answer is not None:
                            await websocket.send_text(answer)
                            continue
                    await read_writer.send(message)
            except (WebSocketDisconnect, anyio.ClosedResourceError):
                return
            except Exception as exc:  # noqa: BLE001 - a fault of ours: one line in the log, 1011 to the client
                logger.error("closing an MCP WebSocket after an internal error: %r", exc)
                with contextlib.suppress(Exception):
                    await websocket.close(code=1011, reason="internal error")

    async def writer() -> None:
        async with write_reader:
            try:
                async for message in write_reader:
                    if on_sent is not None:
                        on_sent(message.message)
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
