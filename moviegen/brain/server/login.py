"""Logging in: ``POST /auth/login``, ``/auth/refresh`` and ``/auth/logout`` (open paths of the door).

- login ``{"name", "password"}`` → ``{"access_token", "refresh_token", "token_type": "bearer", "expires_in"}``;
- refresh ``{"refresh_token"}`` → a new pair; the old refresh token stops working (rotation);
- logout ``{"refresh_token"}`` → ``{"revoked": true|false}``.

A wrong password and an unknown user get the same answer after the same argon2 work. Failed logins are counted
per address (the key the door counts wrong tokens under) and per user (from any address) by the door's
LoginLimiter; a blocked key gets 429 with ``Retry-After``. Errors are the door's one-line JSON,
``{"error": {"code", "message", "hint"}}``; a password is never logged nor echoed.
"""

from __future__ import annotations

import json

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from moviegen.brain.server.limits import LoginLimiter
from moviegen.brain.server.people import People, dummy_hash

PATHS = frozenset({"/auth/login", "/auth/refresh", "/auth/logout"})
ANY_ADDRESS = "*"  # the address of a user's key counting their failed logins from everywhere
MAX_BODY = 16 * 1024
LOGIN_HINT = "check the name and password (moviegen user passwd NAME sets a new one)"


def _error(status: int, code: str, message: str, hint: str, headers: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "hint": hint}}
    return JSONResponse(body, status_code=status, headers=headers)


async def _body(request: Request, *fields: str) -> dict[str, str] | Response:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(413, "too_large", f"the request body is over {MAX_BODY // 1024} KiB", "send only the fields")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict) or not all(isinstance(data.get(f), str) and data.get(f) for f in fields):
        return _error(400, "bad_request", f"the body must be JSON with {', '.join(fields)} as strings",
                      'e.g. {"name": "ada", "password": "..."}' if "password" in fields else
                      '{"refresh_token": "mgr_..."}')  # fmt: skip
    return data


def routes(people: People, limiter: LoginLimiter) -> list[Route]:
    """The three routes, sharing ``limiter`` with the door."""

    def blocked(peer: str | None, name: str | None = None) -> Response | None:
        wait = max(limiter.blocked(peer), limiter.blocked(ANY_ADDRESS, name) if name else 0.0)
        if not wait:
            return None
        who = f"for '{name}' " if name and limiter.blocked(ANY_ADDRESS, name) else ""
        return _error(429, "too_many_attempts", f"too many failed logins {who}from {peer or 'this address'}",
                      f"wait {max(1, round(wait))} s, then try again", {"Retry-After": str(max(1, round(wait)))})  # fmt: skip

    def failed(peer: str | None, name: str | None = None) -> None:
        limiter.failed(peer)
        if name:
            limiter.failed(ANY_ADDRESS, name)

    async def login(request: Request) -> Response:
        peer = request.client.host if request.client else None
        data = await _body(request, "name", "password")
        if isinstance(data, Response):
            return data
        name = data["name"][:64]
        refused = blocked(peer, name)
        if refused is not None:
            return refused
        user = await anyio.to_thread.run_sync(people.authenticate, name, data["password"])
        if user is None:
            failed(peer, name)
            return _error(401, "invalid_login", "wrong name or password", LOGIN_HINT)
        limiter.succeeded(ANY_ADDRESS, name)
        return JSONResponse(await anyio.to_thread.run_sync(people.issue, name), headers={"Cache-Control": "no-store"})

    async def refresh(request: Request) -> Response:
        peer = request.client.host if request.client else None
        refused = blocked(peer)
        if refused is not None:
            return refused
        data = await _body(request, "refresh_token")
        if isinstance(data, Response):
            return data
        pair = await anyio.to_thread.run_sync(people.refresh, data["refresh_token"])
        if pair is None:
            failed(peer)
            return _error(401, "invalid_refresh_token", "the refresh token is expired, revoked or unknown",
                          "log in again (moviegen login NAME)")  # fmt: skip
        return JSONResponse(pair, headers={"Cache-Control": "no-store"})

    async def logout(request: Request) -> Response:
        data = await _body(request, "refresh_token")
        if isinstance(data, Response):
            return data
        return JSONResponse({"revoked": await anyio.to_thread.run_sync(people.revoke, data["refresh_token"])})

    return [Route("/auth/login", login, methods=["POST"]), Route("/auth/refresh", refresh, methods=["POST"]),
            Route("/auth/logout", logout, methods=["POST"])]  # fmt: skip


async def warm() -> None:
    """Make the unknown-user hash before the first login, so that first answer takes no longer than others."""
    await anyio.to_thread.run_sync(dummy_hash)
