"""A webhook receiver over real HTTP on 127.0.0.1, as a producer's own server would be: it records every
delivery (headers, body, when) and answers with the status codes it is scripted with (then 200), after
``delay`` seconds if it is to be slow, counting the most requests it had at once. Checking a
signature is left to the test, with standardwebhooks' own ``Webhook(secret).verify`` — the receiver's side
of the spec, not ours."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes._http import handler, send_bytes


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived
    answered: int

    def verify(self, secret: str) -> Any:
        """The payload, if the signature is the secret's (standardwebhooks raises otherwise)."""
        from standardwebhooks.webhooks import Webhook

        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    def __init__(self, answers: list[int] | None = None, path: str = "/hooks/moviegen", delay: float = 0.0) -> None:
        self.answers = list(answers or [])  # status codes for the first deliveries, in order; then 200
        self.deliveries: list[Delivery] = []
        self.path = path
        self.delay = delay  # seconds each request takes before it is answered (a slow receiver)
        self.at_once = self.most_at_once = 0  # requests being answered now, and the most there ever were
        self._arrived = threading.Condition()

        def handle(req) -> None:
            body, arrived = req.rfile.read(int(req.headers.get("Content-Length") or 0)), time.monotonic()
            with self._arrived:
                self.at_once += 1
                self.most_at_once = max(self.most_at_once, self.at_once)
            time.sleep(self.delay)
            with self._arrived:
                self.at_once -= 1
                status = self.answers.pop(0) if self.answers else 200
                if req.command != "POST" or req.path != self.path:
                    status = 404
                self.deliveries.append(Delivery({k.lower(): v for k, v in req.headers.items()}, body,
                                                arrived, status))  # fmt: skip
                self._arrived.notify_all()
            send_bytes(req, status, b"{}" if status < 300 else b'{"error":"scripted"}', "application/json")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler(handle))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.path}"

    def wait(self, count: int, timeout: float = 15.0) -> list[Delivery]:
        """The first ``count`` deliveries, waiting for them to arrive (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.deliveries) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(self.deliveries)} of {count} deliveries arrived in {timeout} s"
                self._arrived.wait(left)
            return self.deliveries[:count]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)
