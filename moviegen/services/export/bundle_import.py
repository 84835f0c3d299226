"""A project back from its bundle (see ``bundle``): checked in full before anything is written, then written
into a hidden folder beside the projects and renamed into place in one step, so a project is either all there
or not there at all.

Refused, in one line naming the first offending file, with nothing written: a file that is not a plain tar; a
member with an absolute path, a '..', a link or a device; a manifest missing, unreadable, of another format or
a newer version; a file the manifest lists that the archive lacks, or one it holds that the manifest does not
list; a size or sha256 that differs from the manifest's. A slug that is taken is refused unless the project
is imported under another name. The imported project gets an identity of its own (a new UUID in its
moviegen.toml): tokens bound to the project it came from do not reach it.

A brain may run on another machine than the bundle, so the bundle reaches it in pieces (``receive``, at most
``PIECE`` bytes each, into the projects folder's ``.uploads/``) before it is imported; pieces of an upload
left unfinished for a day are removed when the next upload starts.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import time
import uuid
from pathlib import Path
from typing import Any

from moviegen.core import locations
from moviegen.core.errors import ProjectExistsError, UsageError
from moviegen.core.models import ProjectInfo
from moviegen.core.project import Project, ProjectStore
from moviegen.core.slug import validate_slug
from moviegen.services.export.bundle import FORMAT, MANIFEST, STATE, VERSION, safe_name

PIECE = 2 << 20  # bytes of a bundle per upload call (base64 of it fits the brain's 4 MiB messages)
MAX_BUNDLE = 64 << 30
UPLOADS = ".uploads"
STALE = 24 * 3600  # seconds an unfinished upload is kept
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HINT = "make the bundle again with 'moviegen export SLUG --bundle', or copy it again"


def import_bundle(store: ProjectStore, path: Path, slug: str | None = None, label: str = "the bundle",
                  ) -> tuple[Project, dict[str, Any]]:  # fmt: skip
    """Restore the bundle at ``path`` as project ``slug`` (default: the slug it was made from); returns the
    project and what was restored (files, bytes, the manifest's project and when it was made). ``label``
    names the bundle in errors."""
    with _open(path, label) as tar:
        manifest, members = verify(tar, label)
        made_from = manifest["project"]
        slug = validate_slug(slug or str(made_from.get("slug") or ""))
        target = store.path_of(slug)
        if target.exists():
            raise ProjectExistsError(f"a project named '{slug}' already exists in {store.root}",
                                     "import it under another name: 'moviegen import BUNDLE --as NEW-NAME'")  # fmt: skip
        store.root.mkdir(parents=True, exist_ok=True)
        staging = store.root / f".{slug}.importing-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            staging.mkdir()
            for listed in manifest["files"]:
                member = members[listed["path"]]
                dest = staging / listed["path"]
                dest.parent.mkdir(parents=True, exist_ok=True)
                if _copy(tar, member, dest) != listed["sha256"]:  # the bundle changed since it was checked
                    raise _refused(f"{label} is damaged: {listed['path']} does not match its checksum")
                os.utime(dest, (member.mtime, member.mtime))
            for sub in ("story", "assets", "renders", STATE):
                (staging / sub).mkdir(exist_ok=True)
            _new_identity(staging, slug, label)
            if target.exists():
                raise ProjectExistsError(
                    f"a project named '{slug}' was created meanwhile", "import it under another name"
                )
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    restored = {"files": len(manifest["files"]), "bytes": sum(f["bytes"] for f in manifest["files"]),
                "from": {**made_from, "created": manifest.get("created"), "moviegen": manifest.get("moviegen")}}  # fmt: skip
    return store.open(slug), restored


def verify(tar: tarfile.TarFile, label: str) -> tuple[dict[str, Any], dict[str, tarfile.TarInfo]]:
    """The bundle's manifest and its files by name, once every member is safe and every checksum holds."""
    members: dict[str, tarfile.TarInfo] = {}
    try:
        found = tar.getmembers()
    except (tarfile.TarError, OSError) as exc:
        raise _refused(f"{label} is damaged: {exc}") from None
    for member in found:
        if not safe_name(member.name):
            raise _refused(f"{label} holds an unsafe path '{member.name}'")
        if member.issym() or member.islnk():
            raise _refused(f"{label} holds a link '{member.name}'")
        if member.isdir():
            continue
        if not member.isreg():
            raise _refused(f"{label} holds a special file '{member.name}'")
        if member.name in members:
            raise _refused(f"{label} holds '{member.name}' twice")
        members[member.name] = member
    manifest = _manifest(tar, members.pop(MANIFEST, None), label)
    listed = [f["path"] for f in manifest["files"]]
    for name in listed:
        if name not in members:
            raise _refused(f"{label} lacks {name}, which its manifest lists")
    extra = sorted(set(members) - set(listed))
    if extra:
        raise _refused(f"{label} holds {extra[0]}, which its manifest does not list")
    for entry in manifest["files"]:
        member = members[entry["path"]]
        same = member.size == entry["bytes"] and member.mtime == entry.get("mtime", member.mtime)
        if not same or _digest(tar, member) != entry["sha256"]:
            raise _refused(f"{label} is damaged: {entry['path']} does not match its checksum")
    return manifest, members


def _manifest(tar: tarfile.TarFile, member: tarfile.TarInfo | None, label: str) -> dict[str, Any]:
    if member is None:
        raise _refused(f"{label} has no {MANIFEST}: it is not a moviegen bundle")
    try:
        manifest = json.loads(tar.extractfile(member).read(64 << 20))
    except (ValueError, tarfile.TarError, OSError):
        raise _refused(f"{label}'s {MANIFEST} is not readable JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _refused(f"{label} is not a moviegen bundle ({MANIFEST} names another format)")
    version = manifest.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise UsageError(f"{label} was made by a newer moviegen (bundle version {version})",
                         "upgrade moviegen, then import it again")  # fmt: skip
    files = manifest.get("files")
    if not isinstance(manifest.get("project"), dict) or not isinstance(files, list):
        raise _refused(f"{label}'s {MANIFEST} has no project or no file list")
    seen: set[str] = set()
    for entry in files:
        ok = isinstance(entry, dict) and isinstance(entry.get("path"), str) and safe_name(entry["path"])
        ok = ok and type(entry.get("bytes")) is int and isinstance(entry.get("sha256"), str)
        ok = ok and isinstance(entry.get("mtime", 0), int | float)
        if not ok or not _SHA256.match(entry["sha256"]) or entry["path"] in seen | {MANIFEST}:
            raise _refused(f"{label}'s {MANIFEST} has a bad file entry: {json.dumps(entry)[:120]}")
        seen.add(entry["path"])
    if "moviegen.toml" not in seen:
        raise _refused(f"{label} holds no moviegen.toml: it is not a project's bundle")
    return manifest


def _digest(tar: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    digest = hashlib.sha256()
    src = tar.extractfile(member)
    while chunk := src.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _copy(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> str:
    digest = hashlib.sha256()
    src = tar.extractfile(member)
    with open(dest, "xb") as out:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _new_identity(folder: Path, slug: str, label: str) -> None:
    """Give the project in ``folder`` an identity of its own, checking its settings read as a project's."""
    import tomlkit

    cfg = locations.project_config(folder)
    try:
        doc = tomlkit.parse(cfg.read_text(encoding="utf-8"))
        ProjectInfo(slug=slug, **{k: v for k, v in doc.unwrap().items() if k in ProjectInfo.model_fields})
    except (ValueError, tomlkit.exceptions.ParseError):
        raise _refused(f"{label}'s moviegen.toml is not a valid project settings file") from None
    doc["id"] = uuid.uuid4().hex
    cfg.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _open(path: Path, label: str) -> tarfile.TarFile:
    try:
        return tarfile.open(path, "r:")
    except FileNotFoundError:
        raise UsageError(f"{label} does not exist", "check the path") from None
    except (tarfile.TarError, OSError):
        raise _refused(f"{label} is not a moviegen bundle (not a tar archive)") from None


def _refused(message: str) -> UsageError:
    return UsageError(f"{message}; nothing was imported", _HINT)


# ---------------------------------------------------------------------------------------------- uploads
def upload_path(store: ProjectStore, upload_id: str) -> Path:
    return store.root / UPLOADS / f"{upload_id}.part"


def receive(store: ProjectStore, data: bytes, upload_id: str | None, offset: int) -> tuple[str, int]:
    """Add one piece of a bundle at ``offset`` (0 and no ``upload_id`` start an upload); returns the upload's id
    and its bytes so far. A piece sent again (a retried call) is taken once."""
    folder = store.root / UPLOADS
    if upload_id is None:
        if offset:
            raise UsageError("a new upload starts at offset 0", "send the bundle from its first byte")
        folder.mkdir(parents=True, exist_ok=True)
        _sweep(folder)
        upload_id = uuid.uuid4().hex
        upload_path(store, upload_id).touch(exist_ok=False)
    path = upload_path(store, upload_id)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise UsageError(f"no upload '{upload_id}' (finished, or cleared after a day)",
                         "send the bundle again from its first byte") from None  # fmt: skip
    if offset + len(data) == size and offset != size:
        return upload_id, size  # this piece arrived already
    if offset != size:
        raise UsageError(f"upload '{upload_id}' has {size:,} bytes; a piece at {offset:,} does not follow",
                         "send the bundle again from its first byte")  # fmt: skip
    if size + len(data) > MAX_BUNDLE:
        path.unlink(missing_ok=True)
        raise UsageError(f"the bundle is over {MAX_BUNDLE >> 30} GiB", "import it on the brain's own machine")
    with open(path, "ab") as out:
        out.write(data)
    return upload_id, size + len(data)


def _sweep(folder: Path) -> None:
    cutoff = time.time() - STALE
    for part in folder.glob("*.part"):
        try:
            if part.stat().st_mtime < cutoff:
                part.unlink()
        except OSError:
            continue
