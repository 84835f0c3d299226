"""A person's login on this machine: ``moviegen login`` keeps the brain's tokens in ``$MOVIEGEN_HOME/session.json``
(0600), and the CLI's RemoteBrain presents the access token, refreshing it (and rotating the refresh token)
when it has less than a minute left. A token in MOVIEGEN_BRAIN_TOKEN wins over the session."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from moviegen.core import atomic, locations
from moviegen.core.errors import MoviegenError, UsageError

MARGIN = 60.0  # seconds of life below which an access token is refreshed before use


def path() -> Path:
    return locations.home_dir() / "session.json"


def http_base(url: str) -> str:
    """http(s)://host:port of a brain given as ws(s)://host:port/mcp/ws or http(s)://host:port."""
    base = url.rsplit("/mcp/ws", 1)[0].rstrip("/")
    return "http" + base[2:] if base.startswith("ws") else base


def _post(url: str, route: str, body: dict, ca=None) -> dict[str, Any]:
    import httpx

    from moviegen.brain.tls import context_for

    base = http_base(url)
    try:
        r = httpx.post(base + route, json=body, timeout=30, verify=context_for(base, ca) or True)
    except httpx.HTTPError as exc:
        raise MoviegenError(
            f"cannot reach the brain at {base}: {exc}", "check --brain (or MOVIEGEN_BRAIN_URL)"
        ) from exc
    data = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if r.status_code != 200:
        error = data.get("error") or {}
        raise UsageError(error.get("message") or f"the brain answered {r.status_code}", error.get("hint"))
    return data


def _save(url: str, name: str, pair: dict[str, Any]) -> dict[str, Any]:
    record = {"url": http_base(url), "name": name, "access_token": pair["access_token"],
              "refresh_token": pair["refresh_token"], "expires_at": time.time() + pair["expires_in"]}  # fmt: skip
    path().parent.mkdir(parents=True, exist_ok=True)
    atomic.write_text(path(), json.dumps(record, indent=2))  # a temp file made 0600, renamed into place
    path().chmod(0o600)
    return record


def login(url: str, name: str, password: str, ca=None) -> dict[str, Any]:
    """Log in at the brain and keep the session; returns it (without the tokens)."""
    record = _save(url, name, _post(url, "/auth/login", {"name": name, "password": password}, ca))
    return {"url": record["url"], "name": name, "expires_at": record["expires_at"]}


def load() -> dict[str, Any] | None:
    try:
        return json.loads(path().read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def token_for(url: str, ca=None) -> str | None:
    """A live access token of the session kept for the brain at ``url``, refreshed when about to expire; None
    without a session for that brain."""
    record = load()
    if record is None or record.get("url") != http_base(url):
        return None
    if record["expires_at"] - time.time() < MARGIN:
        record = _save(url, record["name"], _post(url, "/auth/refresh", {"refresh_token": record["refresh_token"]}, ca))
    return record["access_token"]


def logout(ca=None) -> bool:
    """Revoke the kept refresh token at its brain and forget the session; False when there was none."""
    record = load()
    if record is None:
        return False
    try:
        _post(record["url"], "/auth/logout", {"refresh_token": record["refresh_token"]}, ca)
    finally:
        path().unlink(missing_ok=True)
    return True
