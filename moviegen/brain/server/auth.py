"""Who is calling: service tokens and people's access tokens checked at the door, access checked per project.

People (users with passwords, their roles per project, their logins) are in moviegen.brain.server.people.
Tokens (``moviegen token create``) are random 256-bit strings shown once and
stored as SHA-256 hashes in ``$MOVIEGEN_HOME/tokens.json``. On loopback without
a token the caller is the local user (an administrator); a brain bound to any
other address refuses connections without a valid token. What a principal may
do is decided in one place: moviegen.brain.server.access.
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
from moviegen.core.errors import UsageError

PREFIX = "mgt_"
ROLES = ("admin", "service", "producer", "director", "writer", "viewer")


@dataclass(frozen=True)
class Principal:
    name: str
    role: str = "service"
    projects: tuple[str, ...] = ("*",)  # '*' = every project; else the projects' identities (UUIDs)
    local: bool = False
    labels: tuple[str, ...] = ("*",)  # the projects' slugs when the token was made, to show people
    # a person (a login's JWT): their role in each project is looked up here on every check (people.People)
    people: object | None = field(default=None, compare=False, repr=False)

    @property
    def is_user(self) -> bool:
        return self.people is not None

    def role_in(self, identity: str) -> str | None:
        """The role this principal has in the project of ``identity``; None when it may not touch it."""
        if self.people is not None:
            return self.people.role_in(self.name, identity)
        return self.role if "*" in self.projects or identity in self.projects else None


LOCAL_USER = Principal(name="local user", role="admin", local=True)


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

    def create(self, name: str, role: str = "service", projects: list[tuple[str, str]] | None = None) -> str:
        """A new token; ``projects`` limits it to these (slug, identity) pairs (None: every project)."""
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
                "projects": [{"slug": slug, "id": ident} for slug, ident in projects] if projects else ["*"],
                "sha256": hashlib.sha256(token.encode()).hexdigest(),
                "created": time.time(),
            }
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.path, json.dumps({"tokens": tokens}, indent=2))
        self.path.chmod(0o600)
        return token

    def list(self) -> list[dict]:
        return [{**{k: v for k, v in t.items() if k != "sha256"}, "projects": [_label(p) for p in t["projects"]]}
                for t in self._load()]  # fmt: skip

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
                return Principal(name=t["name"], role=t["role"], projects=tuple(_bound(p) for p in t["projects"]),
                                 labels=tuple(_label(p) for p in t["projects"]))  # fmt: skip
        return None


class Credentials:
    """What the door checks a bearer token against: service tokens (``mgt_...``) and people's access tokens
    (JWTs from ``POST /auth/login``, moviegen.brain.server.people)."""

    def __init__(self, home: Path) -> None:
        from moviegen.brain.server.people import People

        self.tokens = TokenStore(home / "tokens.json")
        self.people = People(home)

    def verify(self, token: str) -> Principal | None:
        if token.startswith(PREFIX):
            return self.tokens.verify(token)
        return self.people.verify(token) if token.count(".") == 2 else None


def _bound(entry) -> str:
    """What a token's project entry binds to: the project's identity ('*' for all; a token made before
    identities existed stays bound to its slug, written 'slug:NAME')."""
    if isinstance(entry, dict):
        return entry["id"]
    return entry if entry == "*" else f"slug:{entry}"


def _label(entry) -> str:
    return entry["slug"] if isinstance(entry, dict) else entry


def is_loopback(host: str | None) -> bool:
    """An address (or the name ``localhost``) of this machine's loopback: 127.0.0.0/8, ::1, ::ffff:127.x."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return False  # a name other than localhost ('127.evil.example' is not an address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def authenticate(headers, client_host: str | None, tokens: TokenStore, require_token: bool) -> Principal | None:
    """The caller, or None when the door stays shut. The rule is ``door.admit`` (which also says why)."""
    from moviegen.brain.server.door import Refusal, admit

    verdict = admit(headers, client_host, tokens, require_token)
    return None if isinstance(verdict, Refusal) else verdict
