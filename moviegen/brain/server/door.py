"""The door: who may come in, and how long a knock may take.

``admit`` is the one rule, and ``Door`` runs it over the whole app, before any route (only ``/healthz`` is
open), so a new route cannot forget it:

- a valid ``Authorization: Bearer`` token (a service token, or a person's access token from ``/auth/login``)
  admits its principal, whatever the Origin and Host (a script);
- without a token, only a loopback peer is admitted (as the local user), and only when its ``Host`` is local
  and its ``Origin``, when there is one, is ``http(s)://`` a local host. Local means ``localhost``, a loopback
  address (``127.x.y.z``) or ``[::1]``, with any port. This is what stops a web page, on another site
  (``Origin``) or one that rebinds its own name to 127.0.0.1 (``Host``), from driving a local brain;
- with ``--require-token``, or from any other peer, there is no tokenless way in.
- a browser (the web view, moviegen.brain.server.web) carries its access token in the ``mg_access`` cookie
  (HttpOnly, SameSite=Strict, Secure under TLS), read like a Bearer token when there is no Authorization
  header; a request with that cookie from another origin is refused (403), and a page asked for without a
  valid token is sent to ``/login`` instead of a 401.

A refusal is HTTP 401 (no token or a wrong one), 403 (a foreign Origin or Host) or 429 (too many wrong tokens
from the address: moviegen.brain.server.limits) with a one-line JSON body,
``{"error": {"code", "message", "hint"}}``. A WebSocket upgrade is refused with the same status and body
before the handshake (ASGI's denial response), so a refused socket never opens; on a server without that
extension it is closed with 4401/4403/4429 instead. Browsers cannot set Authorization on a WebSocket, so a page
reaches a brain only from a local origin and tokenless.

``HttpProtocol`` and ``WebSocketProtocol`` are uvicorn's h11 and websockets protocols with two limits uvicorn
lacks: a request head must arrive within ``HEAD_TIMEOUT`` seconds (else 408 and the connection is closed) and
be at most ``MAX_HEAD`` bytes, with no header line of an upgrade over the websockets library's 8 KiB (else
431). run.py passes them to ``uvicorn.Config``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus

import h11
from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import SecurityError

from moviegen.brain.server.auth import LOCAL_USER, Principal, TokenStore, is_loopback
from moviegen.brain.server.limits import LoginLimiter

ACCESS_COOKIE = "mg_access"  # the web view's access token (moviegen.brain.server.web)
OPEN_PATHS = frozenset({"/healthz"})  # status and version only (app.py adds the login routes: login.PATHS)
MAX_HEAD = 16 * 1024  # bytes of a request line and its headers (Node's default)
HEAD_TIMEOUT = 5.0  # seconds from connecting to a complete request head


@dataclass(frozen=True)
class Refusal:
    status: int  # 401 no or wrong token, 403 foreign origin or host, 429 too many wrong tokens, 408/431 a bad head
    code: str
    message: str
    hint: str

    def body(self) -> bytes:
        return json.dumps({"error": {"code": self.code, "message": self.message, "hint": self.hint}}).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and "websocket.http.response" not in scope.get("extensions", {}):
            await send({"type": "websocket.close", "code": 4000 + self.status, "reason": self.message[:120]})
            return
        await Response(self.body(), status_code=self.status, media_type="application/json")(scope, receive, send)

    def raw(self) -> bytes:
        """The refusal as a whole HTTP/1.1 response, for the protocols below the app."""
        body = self.body()
        head = (
            f"HTTP/1.1 {self.status} {HTTPStatus(self.status).phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        return head.encode() + body


TOKEN_HINT = "present 'Authorization: Bearer <token>' (moviegen token create NAME; the CLI reads MOVIEGEN_BRAIN_TOKEN)"
LOGIN_HINT = "refresh it (POST /auth/refresh) or log in again (moviegen login NAME)"
LOCAL_HINT = "connect to localhost, 127.0.0.1 or [::1], or present a token"


def admit(headers: Mapping[str, str], peer: str | None, tokens: TokenStore, require_token: bool) -> Principal | Refusal:
    """The caller, or why the door stays shut. ``headers`` are the request's (case-insensitive, e.g. starlette's
    Headers); ``peer`` is the client's address."""
    auth = headers.get("authorization") or ""
    cookie = _cookie(headers, ACCESS_COOKIE) if auth[:7].lower() != "bearer " else None
    if cookie:  # a browser's login: SameSite keeps other sites' requests from carrying it; Origin, too
        if not all(_same_origin(o, headers.get("host") or "") for o in _all(headers, "origin")):
            return Refusal(403, "forbidden_origin", "a request carrying the login cookie came from another origin",
                           "open the page from this brain's own address")  # fmt: skip
        auth = "Bearer " + cookie
    if auth[:7].lower() == "bearer ":
        token = auth[7:].strip()
        principal = tokens.verify(token)
        if principal is None and token.count(".") == 2:  # a person's access token (JWT, moviegen.brain.server.people)
            return Refusal(401, "invalid_token", "the access token is expired or not valid", LOGIN_HINT)
        if principal is None:
            return Refusal(401, "invalid_token", "the token was not recognised", TOKEN_HINT)
        return principal
    if require_token or not is_loopback(peer):
        return Refusal(401, "token_required", "a valid token is required", TOKEN_HINT)
    hosts, origins = _all(headers, "host"), _all(headers, "origin")
    if not hosts or not all(is_local_host(h) for h in hosts):
        shown = ", ".join(repr(h[:80]) for h in hosts) or "none"
        return Refusal(403, "forbidden_host", f"without a token the brain answers only a local Host (got {shown})",
                       LOCAL_HINT)  # fmt: skip
    if not all(is_local_origin(o) for o in origins):
        shown = ", ".join(repr(o[:80]) for o in origins)
        return Refusal(403, "forbidden_origin", f"web pages from other origins may not use a tokenless brain ({shown})",
                       "open the page from localhost, or connect from a script with a token")  # fmt: skip
    return LOCAL_USER


def _all(headers, name: str) -> list[str]:
    getlist = getattr(headers, "getlist", None)
    if getlist is not None:
        return getlist(name)
    value = headers.get(name)
    return [] if value is None else [value]


def _cookie(headers, name: str) -> str | None:
    from http.cookies import CookieError, SimpleCookie

    jar = SimpleCookie()
    for value in _all(headers, "cookie"):
        try:
            jar.load(value)
        except CookieError:
            continue
    morsel = jar.get(name)
    return morsel.value.strip() or None if morsel is not None else None


def _same_origin(origin: str, host: str) -> bool:
    scheme, sep, rest = origin.strip().lower().partition("://")
    return bool(sep) and scheme in ("http", "https") and rest == host.strip().lower()


_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[^\[\]:/@\s]+))(?::(?P<port>\d{1,5}))?")


def is_local_host(value: str) -> bool:
    """A Host header (or an origin's host) naming this machine: localhost, 127.x.y.z or [::1], any port."""
    m = _HOST.fullmatch(value.strip())
    if m is None:
        return False
    if m["v6"] is not None:
        return ":" in m["v6"] and is_loopback(m["v6"])
    name = m["name"].lower()
    return name == "localhost" or (_is_ipv4(name) and is_loopback(name))


def is_local_origin(value: str) -> bool:
    """An Origin header of a page served from this machine (``null`` is not)."""
    scheme, sep, rest = value.strip().lower().partition("://")
    return bool(sep) and scheme in ("http", "https") and is_local_host(rest)


def _is_ipv4(name: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(name), ipaddress.IPv4Address)
    except ValueError:
        return False


def too_many(peer: str | None, wait: float) -> Refusal:
    return Refusal(429, "too_many_attempts", f"too many failed logins from {peer or 'this address'}",
                   f"wait {max(1, round(wait))} s, then try again with a valid token")  # fmt: skip


class Door:
    """ASGI middleware that runs ``admit`` for every HTTP request and WebSocket except the open paths; the
    admitted principal is left in ``scope["state"]["principal"]``. With a ``limiter``, a token that does not
    verify is a failed login of its address, and an address with too many is refused (429) for a cooldown
    (moviegen.brain.server.limits)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tokens: TokenStore,
        require_token: bool,
        open_paths: frozenset[str] = OPEN_PATHS,
        on_refused: Callable[[Scope, Refusal], None] | None = None,
        limiter: LoginLimiter | None = None,
    ) -> None:
        self.app, self.tokens, self.require_token = app, tokens, require_token
        self.open_paths, self.on_refused, self.limiter = open_paths, on_refused, limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        wait = self.limiter.blocked(peer) if self.limiter is not None else 0.0
        if wait:
            verdict: Principal | Refusal = too_many(peer, wait)
        else:
            headers = Headers(scope=scope)
            verdict = admit(headers, peer, self.tokens, self.require_token)
            if self.limiter is not None and (headers.get("authorization") or "")[:7].lower() == "bearer ":
                if isinstance(verdict, Refusal):  # a token that did not verify: one failed login
                    if self.limiter.failed(peer):
                        verdict = too_many(peer, self.limiter.cooldown)
                else:
                    self.limiter.succeeded(peer)
        if isinstance(verdict, Refusal):
            if self.on_refused is not None:
                self.on_refused(scope, verdict)
            if (
                verdict.status == 401
                and scope["type"] == "http"
                and scope["method"] == "GET"
                and "text/html" in (Headers(scope=scope).get("accept") or "")
            ):  # a person's browser: to the login page (the web view), the stale cookie dropped
                from urllib.parse import quote

                back = scope["path"] + (
                    f"?{scope['query_string'].decode('latin-1')}" if scope.get("query_string") else ""
                )
                page = RedirectResponse(f"/login?next={quote(back, safe='')}", status_code=303)
                page.delete_cookie(ACCESS_COOKIE, path="/")
                await page(scope, receive, send)
                return
            await verdict(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = verdict
        await self.app(scope, receive, send)


# ---------------------------------------------------------------- below the app: the request head
HEAD_TOO_BIG = Refusal(431, "header_too_large", f"the request head is over {MAX_HEAD // 1024} KiB",
                       "send fewer or shorter headers (a cookie for localhost from another app?)")  # fmt: skip
LINE_TOO_BIG = Refusal(431, "header_too_large", "a header line of the WebSocket upgrade is over 8 KiB",
                       "send shorter headers")  # fmt: skip
BAD_UPGRADE = Refusal(400, "bad_request", "not a valid WebSocket upgrade request", "check the client")
TOO_SLOW = Refusal(408, "request_timeout", f"no complete request head within {HEAD_TIMEOUT:g} s",
                   "send the request line and headers at once")  # fmt: skip
_END_OF_HEAD = re.compile(rb"\n\r?\n")


def head_too_big(buffered: bytes, data: bytes) -> bool:
    """Whether a request head, of which ``buffered`` and then ``data`` are the start, is over MAX_HEAD."""
    head = buffered + data if buffered else data
    return len(head) > MAX_HEAD and _END_OF_HEAD.search(head, 0, MAX_HEAD + 3) is None


class HttpProtocol(H11Protocol):
    """uvicorn's h11 protocol, with a deadline and a size limit on the request head. uvicorn arms its only
    timer (keep-alive) after a first response, so a connection that never finishes its first request line was
    held forever (slowloris); and h11 limits only a head that arrives in pieces, not one sent at once."""

    _deadline = None

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._deadline = self.loop.call_later(HEAD_TIMEOUT, self._refuse, TOO_SLOW)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and head_too_big(self.conn.trailing_data[0], data):
            self._refuse(HEAD_TOO_BIG)
            return
        super().data_received(data)
        if self.scope is not None:  # a first head is in: uvicorn's keep-alive timer takes over from here
            self._stop_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_deadline()
        super().connection_lost(exc)

    def _stop_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _refuse(self, refusal: Refusal) -> None:
        self._stop_deadline()
        if not self.transport.is_closing():
            self.transport.write(refusal.raw())
            self.transport.close()


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets protocol, answering an upgrade the websockets library cannot parse. It parses the
    head again with its own limits (8 KiB a line, 128 headers); when that fails, uvicorn wrote nothing and
    kept the connection open with no answer. And a refusal (a denial response) completes the handshake:
    uvicorn logged every one as an ERROR, 'ASGI callable returned without completing handshake' (its PR 3138)."""

    async def send(self, message) -> None:  # type: ignore[override]
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body", False):
            self.handshake_complete = True

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        failed = self.conn.handshake_exc
        if failed is not None and not self.handshake_initiated and not self.transport.is_closing():
            self.transport.write((LINE_TOO_BIG if isinstance(failed.__cause__, SecurityError) else BAD_UPGRADE).raw())
            self.transport.close()
