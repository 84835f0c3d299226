"""Who is calling: service tokens checked at the door, access checked per project.

Tokens (``moviegen token create``) are random 256-bit strings shown once and
stored as SHA-256 hashes in ``$MOVIEGEN_HOME/tokens.json``. On loopback without
a token the caller is the local user (an administrator); a brain bound to any
other address refuses connections without a valid token. Roles are a field of
the principal so people's logins (producer, director, writer, viewer) slot in
beside service tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from moviegen.core import atomic
from moviegen.core.errors import MoviegenError, UsageError

PREFIX = "mgt_"
ROLES = ("admin", "service", "producer", "director", "writer", "viewer")
WRITE_ROLES = ("admin", "service", "producer", "director", "writer")


class AccessDenied(MoviegenError):
    code = "access_denied"


@dataclass(frozen=True)
class Principal:
    name: str
    role: str = "service"
    projects: tuple[str, ...] = ("*",)  # '*' = every project
    local: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may(self, project_id: str, write: bool = False) -> bool:
        if write and self.role not in WRITE_ROLES:
            return False
        return "*" in self.projects or project_id in self.projects


LOCAL_USER = Principal(name="local user", role="admin", local=True)


def check_access(principal: Principal, project_id: str, *, write: bool = False) -> None:
    if not principal.may(project_id, write=write):
        # the same answer whether or not the project exists: no probing other people's projects
        raise AccessDenied(
            f"'{principal.name}' may not {'change' if write else 'read'} project '{project_id}'",
            "ask an administrator for a token that includes this project",
        )


@dataclass
class TokenStore:
    path: Path
    _cache: dict = field(default_factory=dict)

    def _load(self) -> list[dict]:
        if not self.path.exists():
            return []
        stat = self.path.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        if self._cache.get("key") != key:
            self._cache = {"key": key, "tokens": json.loads(self.path.read_text(encoding="utf-8"))["tokens"]}
        return self._cache["tokens"]

    def create(self, name: str, role: str = "service", projects: list[str] | None = None) -> str:
        if role not in ROLES:
            raise UsageError(f"unknown role '{role}'", f"use one of: {', '.join(ROLES)}")
        if not name.strip():
            raise UsageError("a token needs a name", "e.g. moviegen token create render-farm")
        token = PREFIX + secrets.token_urlsafe(32)
        tokens = [t for t in self._load() if t["name"] != name]
        tokens.append(
            {
                "name": name,
                "role": role,
                "projects": projects or ["*"],
                "sha256": hashlib.sha256(token.encode()).hexdigest(),
                "created": time.time(),
            }
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.path, json.dumps({"tokens": tokens}, indent=2))
        self.path.chmod(0o600)
        return token

    def list(self) -> list[dict]:
        return [{k: v for k, v in t.items() if k != "sha256"} for t in self._load()]

    def revoke(self, name: str) -> bool:
        tokens = self._load()
        kept = [t for t in tokens if t["name"] != name]
        if len(kept) == len(tokens):
            return False
        atomic.write_text(self.path, json.dumps({"tokens": kept}, indent=2))
        return True

    def verify(self, token: str) -> Principal | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        for t in self._load():
            if hmac.compare_digest(t["sha256"], digest):
                return Principal(name=t["name"], role=t["role"], projects=tuple(t["projects"]))
        return None


def is_loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "::1", "localhost") or (host or "").startswith("127.")


def authenticate(headers, client_host: str | None, tokens: TokenStore, require_token: bool) -> Principal | None:
    """The caller, or None when the door stays shut (wrong token, or none where one is required)."""
    auth = headers.get("authorization") or ""
    if auth.lower().startswith("bearer "):
        return tokens.verify(auth[7:].strip())
    if require_token or not is_loopback(client_host):
        return None
    return LOCAL_USER
