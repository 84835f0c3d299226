"""People: users with passwords, their role in each project, and their logins (access and refresh tokens).

Everything lives in the brain's home, readable by its owner only (0600, written atomically):

- ``users.json``: per user a global role (producer may create projects), an argon2id hash of the password and
  the projects shared with them, each bound to the project's identity (the UUID in its moviegen.toml) with a
  role there; a project deleted and re-created under the same slug is not shared;
- ``sessions.json``: refresh tokens as SHA-256 hashes with their user and expiry (30 days), rotated on use;
- ``jwt.key``: the HS256 key of the access tokens (JWTs of 15 minutes: sub, role, iat, exp, jti), made on
  first use.

A JWT is checked against the user as they are now: a removed user's token stops working at once, as does one
issued before ``user logout`` or a password change, and a role in a project is looked up on every call (so an
unshare takes effect on open sessions too).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from moviegen.core import atomic
from moviegen.core.errors import NotFoundError, UsageError

PEOPLE_ROLES = ("producer", "director", "writer", "viewer")
ACCESS_TTL = 15 * 60  # seconds an access token (JWT) lives
REFRESH_TTL = 30 * 86400  # seconds a refresh token lives
REFRESH_PREFIX = "mgr_"
MIN_PASSWORD = 8
SEEN = 4096  # verified access tokens remembered (their claims), so a token's next call skips the decoding
# argon2id, 2 passes over 64 MiB in one lane (above OWASP's floors of 19 MiB x 2 and 46 MiB x 1): a login verifies
# in about 95 ms on this 2-core machine idle and under 200 ms at load 5, where argon2-cffi's default (3 passes, 4
# lanes) took 145 ms idle and 400-500 ms loaded: lanes beyond the cores only contend (benchmarks/people.py).
# Hashes made with other parameters are upgraded at the next login.
ARGON2 = {"time_cost": 2, "memory_cost": 64 * 1024, "parallelism": 1}
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_hasher = None
_dummy: str | None = None
_lock = threading.Lock()


def hasher():
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher(**ARGON2)
    return _hasher


def dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so that answer takes as long as a wrong password."""
    global _dummy
    with _lock:
        if _dummy is None:
            _dummy = hasher().hash(secrets.token_urlsafe(16))
    return _dummy


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name or ""):
        raise UsageError(f"'{name[:40]}' is not a valid user name",
                         "use lowercase letters, digits, '.', '_' or '-' (at most 64), e.g. ada")  # fmt: skip
    return name


def check_role(role: str) -> str:
    if role not in PEOPLE_ROLES:
        raise UsageError(f"unknown role '{role}'", f"use one of: {', '.join(PEOPLE_ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise UsageError(f"the password is shorter than {MIN_PASSWORD} characters", "choose a longer one")
    return password


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class People:
    """The users, memberships and sessions of one brain home."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.users_path = self.home / "users.json"
        self.sessions_path = self.home / "sessions.json"
        self.key_path = self.home / "jwt.key"
        self._cache: tuple[tuple[int, int, int], dict] | None = None
        self._key: bytes | None = None
        self._seen: dict[str, dict] = {}  # access tokens whose signature verified, and their claims

    # ------------------------------------------------------------------ users.json
    def _users(self) -> dict[str, dict]:
        try:
            stat = self.users_path.stat()
        except FileNotFoundError:
            return {}
        key = (stat.st_ino, stat.st_mtime_ns, stat.st_size)  # every write is a new file (a rename)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, json.loads(self.users_path.read_text(encoding="utf-8"))["users"])
        return self._cache[1]

    def _edit(self, fn) -> Any:
        """Read-modify-write users.json under its folder's lock; ``fn(users)`` edits the dict and returns."""
        out: list[Any] = []

        def edit(old: str | None) -> str:
            users = json.loads(old)["users"] if old else {}
            out.append(fn(users))
            return json.dumps({"users": users}, indent=2)

        self.home.mkdir(parents=True, exist_ok=True)
        atomic.update_text(self.users_path, edit)
        os.chmod(self.users_path, 0o600)
        return out[0]

    def get(self, name: str) -> dict | None:
        return self._users().get(name)

    def _need(self, users: dict, name: str) -> dict:
        if name not in users:
            raise NotFoundError(f"no user named '{name}'", "see 'moviegen user list'")
        return users[name]

    def add(self, name: str, role: str, password: str) -> dict[str, Any]:
        check_name(name), check_role(role), check_password(password)
        digest = hasher().hash(password)

        def add(users: dict) -> None:
            if name in users:
                raise UsageError(f"there is already a user named '{name}'",
                                 f"pick another name, or 'moviegen user passwd {name}'")  # fmt: skip
            users[name] = {"role": role, "argon2": digest, "projects": {}, "created": time.time(), "revoked": 0.0}

        self._edit(add)
        return {"name": name, "role": role, "projects": []}

    def remove(self, name: str) -> dict[str, Any]:
        def remove(users: dict) -> None:
            self._need(users, name)
            del users[name]

        self._edit(remove)
        self.logout_all(name)
        return {"name": name, "removed": True}

    def passwd(self, name: str, password: str) -> dict[str, Any]:
        check_password(password)
        digest = hasher().hash(password)

        def change(users: dict) -> None:
            user = self._need(users, name)
            user["argon2"], user["revoked"] = digest, time.time()

        self._edit(change)
        self.logout_all(name)
        return {"name": name, "changed": True}

    def list(self) -> list[dict[str, Any]]:
        return [self.describe(name, user) for name, user in sorted(self._users().items())]

    @staticmethod
    def describe(name: str, user: dict) -> dict[str, Any]:
        """A user as shown to people: never the hash."""
        projects = [{"slug": p["slug"], "id": ident, "role": p["role"]} for ident, p in user["projects"].items()]
        return {"name": name, "role": user["role"], "projects": projects, "created": user["created"]}

    # ------------------------------------------------------------------ membership
    def role_in(self, name: str, identity: str) -> str | None:
        user = self._users().get(name)
        entry = user["projects"].get(identity) if user else None
        return entry["role"] if entry else None

    def share(self, name: str, slug: str, identity: str, role: str) -> dict[str, Any]:
        check_role(role)

        def share(users: dict) -> None:
            self._need(users, name)["projects"][identity] = {"slug": slug, "role": role}

        self._edit(share)
        return {"project": slug, "name": name, "role": role}

    def unshare(self, name: str, slug: str, identity: str) -> dict[str, Any]:
        def unshare(users: dict) -> None:
            if self._need(users, name)["projects"].pop(identity, None) is None:
                raise NotFoundError(f"'{name}' is not a member of '{slug}'", f"see 'moviegen project members {slug}'")

        self._edit(unshare)
        return {"project": slug, "name": name, "removed": True}

    def members(self, identity: str) -> list[dict[str, Any]]:
        return [{"name": name, "role": user["projects"][identity]["role"]}
                for name, user in sorted(self._users().items()) if identity in user["projects"]]  # fmt: skip

    # ------------------------------------------------------------------ login
    def authenticate(self, name: str, password: str) -> dict | None:
        """The user when the password is theirs, else None; an unknown user costs the same hash as a wrong
        password. A hash made with weaker parameters than today's is upgraded."""
        from argon2.exceptions import InvalidHashError, VerificationError

        user = self.get(name) if _NAME.fullmatch(name or "") else None
        try:
            hasher().verify(user["argon2"] if user else dummy_hash(), password or "")
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if hasher().check_needs_rehash(user["argon2"]):
            digest = hasher().hash(password)
            self._edit(lambda users: users[name].update(argon2=digest))
        return user

    def key(self) -> bytes:
        """The HS256 key, made (0600) on first use; two processes racing agree on the file that won."""
        if self._key is None:
            self.home.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32))
            for _ in range(50):  # the winner of a race may not have written yet
                text = self.key_path.read_text(encoding="ascii").strip()
                if text:
                    break
                time.sleep(0.01)
            self._key = bytes.fromhex(text)
        return self._key

    def issue(self, name: str) -> dict[str, Any]:
        """A new access token and refresh token for ``name`` (who has just proven who they are)."""
        import jwt

        user = self.get(name)
        if user is None:
            raise NotFoundError(f"no user named '{name}'", "see 'moviegen user list'")
        now = time.time()
        claims = {"sub": name, "role": user["role"], "iat": now, "exp": now + ACCESS_TTL, "jti": uuid.uuid4().hex}
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        self._sessions(lambda s: s.append({"sha256": _sha(refresh), "name": name, "expires": now + REFRESH_TTL}))
        return {"access_token": jwt.encode(claims, self.key(), algorithm="HS256"), "refresh_token": refresh,
                "token_type": "bearer", "expires_in": ACCESS_TTL}  # fmt: skip

    def refresh(self, token: str) -> dict[str, Any] | None:
        """A new pair for a live refresh token, which stops working (rotation); None when it is not one."""
        digest, now = _sha(token or ""), time.time()

        def take(sessions: list) -> str | None:
            for s in sessions:
                if hmac.compare_digest(s["sha256"], digest):
                    sessions.remove(s)
                    return s["name"] if s["expires"] > now else None
            return None

        name = self._sessions(take)
        if name is None or self.get(name) is None:
            return None
        return self.issue(name)

    def revoke(self, token: str) -> bool:
        digest = _sha(token or "")

        def drop(sessions: list) -> bool:
            kept = [s for s in sessions if not hmac.compare_digest(s["sha256"], digest)]
            gone = len(kept) < len(sessions)
            sessions[:] = kept
            return gone

        return self._sessions(drop)

    def logout_all(self, name: str) -> int:
        """Revoke every refresh token of ``name`` and every access token issued so far; how many sessions."""

        def drop(sessions: list) -> int:
            kept = [s for s in sessions if s["name"] != name]
            gone = len(sessions) - len(kept)
            sessions[:] = kept
            return gone

        gone = self._sessions(drop)
        if self.get(name) is not None:
            self._edit(lambda users: users[name].update(revoked=time.time()) if name in users else None)
        return gone

    def _sessions(self, fn) -> Any:
        out: list[Any] = []

        def edit(old: str | None) -> str:
            now = time.time()
            sessions = [s for s in (json.loads(old)["sessions"] if old else []) if s["expires"] > now]
            out.append(fn(sessions))
            return json.dumps({"sessions": sessions})

        self.home.mkdir(parents=True, exist_ok=True)
        atomic.update_text(self.sessions_path, edit)
        os.chmod(self.sessions_path, 0o600)
        return out[0]

    def verify(self, token: str):
        """The Principal of a valid access token (signature, expiry, a user who still exists and has not
        logged out since), else None."""
        import jwt

        from moviegen.brain.server.auth import Principal

        claims = self._seen.get(token)  # these very bytes verified before: only the expiry is left to check
        if claims is None:
            try:
                claims = jwt.decode(token, self.key(), algorithms=["HS256"],
                                    options={"require": ["sub", "iat", "exp", "jti"]})  # fmt: skip
            except jwt.PyJWTError:
                return None
            if len(self._seen) >= SEEN:
                self._seen.clear()
            self._seen[token] = claims
        elif claims["exp"] <= time.time():
            return None
        user = self._users().get(claims["sub"])
        if user is None or claims["iat"] < user.get("revoked", 0.0):
            return None
        labels = tuple(sorted(p["slug"] for p in user["projects"].values()))
        return Principal(name=claims["sub"], role=user["role"], projects=(), labels=labels, people=self)
