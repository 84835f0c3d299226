"""The audit trail: who changed what, and who was refused, per project, in a log an edit cannot hide in.

Each project keeps ``.moviegen/audit.jsonl``, one JSON object a line, appended and never rewritten: ``seq``,
``time`` (UTC, ISO 8601), ``who``, ``role``, ``via`` (in-process, ws, http, stdio), ``op``, ``project``,
``args_sha256`` (of the arguments' canonical JSON — never the arguments: they may hold a screenplay or a
secret), ``result`` (``ok`` or the error's code), ``prev`` (the previous entry's ``hash``; 64 zeros for the
first) and ``hash`` (sha256 of the entry's canonical JSON without ``hash``). Changing a field of an old entry
breaks its hash; rewriting the hash too breaks the next entry's ``prev``; removing a line leaves a gap in
``seq``. ``verify`` walks the chain and names the first entry that does not hold. What the chain cannot show:
the newest entries cut off the end, or a whole log rewritten by someone who can write the file (keep a copy of
the last hash elsewhere when that matters).

Calls that name no project, or whose project is gone (a purge, a failed create, a project that does not
exist), go to ``$MOVIEGEN_HOME/audit/brain.jsonl``, chained the same way. Appends take an exclusive
``flock`` on the log (the CLI and a brain server may write one project's log at once), read the last entry,
write one line and ``fsync`` it before the lock is released: an entry that was acknowledged is on disk.

What is recorded (LocalBrain's argument check and the brain server's access check call in here): every
operation whose level can change something (not ``open``, ``read``, ``job_read``, and not the few reads
declared above ``read``, ``NOT_CHANGES``; and the few that change the project at level ``read``,
``CHANGES_AT_READ``: a comment), whatever its outcome, and every refused call at any level. A call
an operation makes of another is part of the first (recorded once), and so is what a running job asks of the
brain (the call that started the job was recorded).
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import json
import os
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moviegen.core import locations

GENESIS = "0" * 64
LOG_NAME = "audit.jsonl"
READS = frozenset({"open", "read", "job_read"})
# declared above 'read' (they answer only callers of that rank) but change nothing: reading the trail itself
# must not grow it, and an estimate makes nothing
NOT_CHANGES = frozenset({"audit_log", "webhook_list", "webhook_log", "make_estimate"})
# declared at a read level (every reader may do them) but they change the project: recorded all the same
CHANGES_AT_READ = frozenset({"comment_add"})
FIELDS = ("seq", "time", "who", "role", "via", "op", "project", "args_sha256", "result", "prev", "hash")


@dataclass(frozen=True)
class Caller:
    who: str
    role: str
    via: str  # in-process | ws | http | stdio


# the caller of the operation running in this context: the brain server sets it around a tool call (it is
# copied into the worker thread the call runs in); unset, the caller is the local user
CALLER: ContextVar[Caller | None] = ContextVar("moviegen_audit_caller", default=None)
_INSIDE: ContextVar[bool] = ContextVar("moviegen_audit_inside", default=False)


def local_caller() -> Caller:
    """Who runs an in-process brain (the CLI without a server, the studio): the OS user, who owns the files."""
    import getpass

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container): the numeric id still says who
        name = f"uid {os.getuid()}"
    return Caller(name, "owner", "in-process")


@contextmanager
def calling(caller: Caller) -> Iterator[None]:
    """Run the block as ``caller`` (the brain server around one tool call)."""
    token = CALLER.set(caller)
    try:
        yield
    finally:
        CALLER.reset(token)


def audited(op: str, level: str) -> bool:
    """Whether a call of ``op`` (declared at ``level``) that was let through is recorded."""
    return op in CHANGES_AT_READ or (level not in READS and op not in NOT_CHANGES)


@dataclass
class Call:
    """One operation in progress, as ``recording`` sees it: ``outer`` when no other operation encloses it;
    ``arguments``, once they are checked (every argument, defaults included, whoever called); ``result``, its
    return value once it has one."""

    outer: bool
    arguments: Any = None
    result: Any = None
    outcome: str = field(default="ok")


@contextmanager
def recording(record, op: str, level: str) -> Iterator[Call]:
    """Around one operation: ``record(call)`` runs after the outermost call of an audited operation, ok or
    failed (``call.outcome``: ``ok`` or the error's code), and the error goes on up unchanged."""
    call = Call(outer=not _INSIDE.get())
    if not call.outer:
        yield call
        return
    token = _INSIDE.set(True)
    try:
        yield call
    except BaseException as exc:
        call.outcome = outcome_of(exc)
        raise
    finally:
        _INSIDE.reset(token)
        if audited(op, level):
            record(call)


def outcome_of(exc: BaseException) -> str:
    from moviegen.core.errors import MoviegenError

    if isinstance(exc, MoviegenError):
        return exc.code
    return "internal" if isinstance(exc, Exception) else "interrupted"


# ---------------------------------------------------------------- where, and what
def log_path(project_path: Path) -> Path:
    return locations.state_dir(project_path) / LOG_NAME


def brain_log() -> Path:
    """Calls with no project (or none that exists any more)."""
    return locations.home_dir() / "audit" / "brain.jsonl"


def canonical(value: Any) -> bytes:
    """One spelling of a JSON value: sorted keys, no spaces, UTF-8 (pydantic models as their JSON)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain).encode()


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, bytes | bytearray):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    return str(value)


def digest(arguments: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(arguments)).hexdigest()


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


# ---------------------------------------------------------------- writing
def append(path: Path, *, caller: Caller, op: str, project: str | None, args_sha256: str, result: str) -> dict:
    """Append one entry to the log at ``path`` (made when missing, mode 0600), chained to its last entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed, however this process ends
        last, torn = _last_entry(fd)
        entry = {
            "seq": last["seq"] + 1 if last else 1,
            "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds"),
            "who": caller.who, "role": caller.role, "via": caller.via, "op": op, "project": project,
            "args_sha256": args_sha256, "result": result, "prev": last["hash"] if last else GENESIS,
        }  # fmt: skip
        entry["hash"] = entry_hash(entry)
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False).encode()  # seq first: easy to read
        os.write(fd, (b"\n" if torn else b"") + line + b"\n")
        os.fsync(fd)
        return entry
    finally:
        os.close(fd)


def _last_entry(fd: int, chunk: int = 1024) -> tuple[dict | None, bool]:
    """The log's last readable entry, read backwards from the end, and whether the file ends mid-line (a write
    cut short by a crash: the next entry starts on a line of its own, and verify names the torn one)."""
    end = os.fstat(fd).st_size
    if end == 0:
        return None, False
    torn = os.pread(fd, 1, end - 1) != b"\n"
    tail, pos = b"", end
    while pos > 0:
        step = min(chunk, pos)
        pos -= step
        tail = os.pread(fd, step, pos) + tail
        lines = tail.split(b"\n")
        for line in reversed(lines[1:] if pos > 0 else lines):  # the first piece may be a line's end only
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("seq"), int) and isinstance(entry.get("hash"), str):
                return entry, torn
        tail = lines[0] if pos > 0 else b""
    return None, torn


# ---------------------------------------------------------------- reading
def read(path: Path, limit: int | None = None) -> tuple[list[dict], int]:
    """The last ``limit`` entries (all when None), oldest first, and how many the log holds."""
    if not path.exists():
        return [], 0
    kept: deque = deque(maxlen=limit)
    count = 0
    with path.open("rb") as f:
        for line in f:
            if not line.strip():
                continue
            count += 1
            try:
                kept.append(json.loads(line))
            except ValueError:
                kept.append({"seq": None, "result": "unreadable line"})
    return list(kept), count


def verify(path: Path) -> dict[str, Any]:
    """Walk the chain: ``{"ok": True, "entries": N}``, or ``ok`` False with ``broken``: the first entry that
    does not hold (its ``seq`` as written, its ``line`` in the file, and ``problem``)."""
    expected_seq, prev, count = 1, GENESIS, 0
    if not path.exists():
        return {"ok": True, "entries": 0, "path": str(path)}
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            problem, seq = _check(line, expected_seq, prev)
            if problem:
                return {"ok": False, "entries": count, "path": str(path),
                        "broken": {"seq": seq, "line": number, "problem": problem}}  # fmt: skip
            entry = json.loads(line)
            expected_seq, prev, count = entry["seq"] + 1, entry["hash"], count + 1
    return {"ok": True, "entries": count, "path": str(path)}


def _check(line: bytes, expected_seq: int, prev: str) -> tuple[str, int | None]:
    try:
        entry = json.loads(line)
    except ValueError:
        return "unreadable line (not JSON: cut short or edited)", None
    if not isinstance(entry, dict) or not isinstance(entry.get("seq"), int):
        return "not an audit entry", None
    seq = entry["seq"]
    if entry.get("hash") != entry_hash(entry):
        return "hash mismatch: the entry was changed after it was written", seq
    if seq != expected_seq:
        return f"seq gap: expected {expected_seq} (an entry is missing or out of place)", seq
    if entry.get("prev") != prev:
        return "prev mismatch: the entry before it was changed, removed or replaced", seq
    return "", seq
