"""What every fake provider server shares: a quiet keep-alive request handler and the JSON/bytes answers."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any


def handler(handle: Callable[[BaseHTTPRequestHandler], None]) -> type[BaseHTTPRequestHandler]:
    """A handler class passing every GET, POST and PUT to ``handle(req)`` (``req.command`` says which)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real services
        disable_nagle_algorithm = True  # headers and body leave at once (else ~40 ms of delayed ACK per call)
        timeout = 10  # an idle kept-alive connection's thread ends

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            handle(self)

        def do_POST(self) -> None:  # noqa: N802
            handle(self)

        def do_PUT(self) -> None:  # noqa: N802
            handle(self)

    return Handler


def send_json(req: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict | None = None) -> None:
    send_bytes(req, status, json.dumps(payload).encode(), "application/json", headers)


def send_bytes(req, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
    req.send_response(status)
    req.send_header("Content-Type", content_type)
    req.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        req.send_header(name, value)
    req.end_headers()
    req.wfile.write(body)
