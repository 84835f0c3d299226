"""Where generated media lives, by content hash: the project's assets/ folder, or a bucket every worker shares.

A worker on another machine has no shared disk: it fetches a step's inputs and puts its outputs by sha256 in an
S3-compatible store (AWS S3, MinIO, Ceph, R2; tested against moto's server on loopback). Local users keep the
project folder as it is today: ``assets/<sha256>.<ext>``, which ``LocalAssets`` serves through the same interface.

Both stores hold to one contract, because a hash is only worth what its checks are:

- ``put`` hashes exactly the bytes it sends (read once, hashed, sent from that one buffer, with their sha256 as
  the request's checksum, so a real S3 refuses bytes that changed in transit) and writes only where nothing is:
  an object is named by its content, so one that exists already holds these bytes and is never overwritten.
- ``get`` streams into a temp file beside the target, hashes it on the way, and renames it into place only when
  the hash is the name; a corrupt object is refused and its temp file removed, so a target either holds the
  right bytes or does not exist.

S3 keys are ``<prefix>/<sha[:2]>/<sha>.<ext>``, shared by every project (not one prefix per project): the same
bytes are the same object whichever project made them (an offline voice line, a cached still), and a worker
fetches by hash without knowing which project asked. The bucket, not the project, is therefore the trust
boundary: who holds its credentials may read every project's media in it (give another team another bucket or
prefix). The two-character fan-out keeps listings small. boto3 is imported only when an S3 store is used.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from moviegen.core import atomic, locations
from moviegen.core.errors import NotFoundError, StorageError, UsageError

SHA = re.compile(r"^[0-9a-f]{64}$")
EXT = re.compile(r"^[A-Za-z0-9]{1,8}$")
CHUNK = 1 << 20
Source = Path | bytes


class CorruptAssetError(StorageError):
    """An asset's bytes do not hash to its name (a damaged object or file); nothing was written."""


@runtime_checkable
class AssetStore(Protocol):
    url: str

    def has(self, sha: str, ext: str) -> bool:
        """True when the store holds ``<sha>.<ext>``."""
        ...

    def put(self, source: Source, ext: str, *, sha: str | None = None) -> str:
        """Store the bytes (a file or the bytes themselves) under their sha256 and return it; a no-op when they
        are there already. ``sha``: what the caller expects them to hash to (refused when they do not)."""
        ...

    def get(self, sha: str, ext: str, target: Path) -> Path:
        """Copy ``<sha>.<ext>`` to ``target``, verified; NotFoundError when the store lacks it."""
        ...

    def describe(self) -> dict[str, Any]:
        """What the store is, for status lines and --json (never a credential)."""
        ...


def check_name(sha: str | None, ext: str) -> None:
    """Refuse a name that is not ``<sha256>.<ext>`` (``sha`` None: check the extension only)."""
    if (sha is not None and not SHA.match(sha)) or not EXT.match(ext):
        raise UsageError(
            f"'{sha or '…'}.{ext}' is not an asset name", "an asset is <sha256, 64 hex digits>.<extension>"
        )


def read_source(source: Source, ext: str, sha: str | None) -> tuple[bytes, str]:
    """The bytes to store and their sha256 (one read: what is hashed is what is sent)."""
    check_name(sha, ext)
    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise StorageError(f"cannot read {source}: {exc.strerror or exc}", "check the file's permissions") from exc
    actual = hashlib.sha256(data).hexdigest()
    if sha is not None and actual != sha:
        raise CorruptAssetError(f"{source} does not hash to {sha[:12]}… (it is {actual[:12]}…)",
                                "the file was damaged or changed; make it again (a render remakes a lost step)")  # fmt: skip
    return data, actual


def receive(chunks, sha: str, target: Path, origin: str) -> Path:
    """Write ``chunks`` to a temp file beside ``target``, hashing them, and rename it into place only when the
    hash is ``sha``; otherwise remove it and raise CorruptAssetError. The temp file is named like core.atomic's
    (``.<name>.*.tmp``), so a render's clean-up finds what a killed download left."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                digest.update(chunk)
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        if digest.hexdigest() != sha:
            raise CorruptAssetError(f"{origin} is damaged: its bytes hash to {digest.hexdigest()[:12]}…, not {sha[:12]}…",
                                    "nothing was written; put the asset again from a machine that has it (moviegen assets push)")  # fmt: skip
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)
    return target


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalAssets:
    """The project's assets/ folder: what a render writes today, and where a local worker finds its inputs."""

    def __init__(self, project_path: Path) -> None:
        self.folder = locations.assets_dir(Path(project_path))
        self.url = self.folder.resolve().as_uri()

    def path(self, sha: str, ext: str) -> Path:
        check_name(sha, ext)
        return self.folder / f"{sha}.{ext}"

    def has(self, sha: str, ext: str) -> bool:
        return self.path(sha, ext).is_file()

    def put(self, source: Source, ext: str, *, sha: str | None = None) -> str:
        data, actual = read_source(source, ext, sha)
        if not self.has(actual, ext):  # content-addressed: an existing file already holds these bytes
            atomic.write_bytes(self.path(actual, ext), data)
        return actual

    def get(self, sha: str, ext: str, target: Path) -> Path:
        source = self.path(sha, ext)
        if not source.is_file():
            raise NotFoundError(
                f"asset {sha[:12]}….{ext} is not in {self.folder}", "render the project again to make it"
            )
        with source.open("rb") as f:
            if Path(target).resolve() == source.resolve():  # asked for itself: only check it
                digest = hashlib.file_digest(f, "sha256").hexdigest()
                if digest != sha:
                    raise CorruptAssetError(f"{source} is damaged: its bytes hash to {digest[:12]}…",
                                            "delete it; the next render makes it again")  # fmt: skip
                return Path(target)
            return receive(iter(lambda: f.read(CHUNK), b""), sha, Path(target), str(source))

    def describe(self) -> dict[str, Any]:
        return {"kind": "local", "url": self.url}


class S3Assets:
    """An S3-compatible bucket, shared by every worker and project (see the module's docstring for the keys)."""

    def __init__(self, url: str, bucket: str, prefix: str = "assets", *, access_key: str | None = None,
                 secret_key: str | None = None, region: str = "us-east-1", timeout: float = 30.0) -> None:  # fmt: skip
        self.endpoint, self.bucket, self.prefix = url.rstrip("/"), bucket, prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._credentials = (access_key, secret_key)
        self._region, self._timeout = region, timeout
        self._client = None

    @property
    def client(self):
        """One boto3 client per endpoint, credentials and region in this process (thread-safe; making one reads
        botocore's service model, ~0.5 s, so a brain serving many calls makes it once)."""
        if self._client is None:
            access, secret = self._credentials
            self._client = _client(self.endpoint, access, secret, self._region, self._timeout)
        return self._client

    def key(self, sha: str, ext: str) -> str:
        check_name(sha, ext)
        name = f"{sha[:2]}/{sha}.{ext}"
        return f"{self.prefix}/{name}" if self.prefix else name

    def check(self) -> None:
        """Reach the bucket once (a clear one-line error now rather than one per file later)."""
        self._call(lambda: self.client.head_bucket(Bucket=self.bucket), "open the bucket")

    def has(self, sha: str, ext: str) -> bool:
        key = self.key(sha, ext)
        try:
            self._call(lambda: self.client.head_object(Bucket=self.bucket, Key=key), f"look for {key}", missing=True)
        except _Missing:
            return False
        return True

    def put(self, source: Source, ext: str, *, sha: str | None = None) -> str:
        data, actual = read_source(source, ext, sha)
        if self.has(actual, ext):
            return actual
        key = self.key(actual, ext)
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
        try:
            self._call(lambda: self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ChecksumSHA256=checksum,
                                                      IfNoneMatch="*"), f"put {key}")  # fmt: skip
        except _Exists:
            pass  # another writer put the same bytes meanwhile: an object is named by its content
        return actual

    def get(self, sha: str, ext: str, target: Path) -> Path:
        key = self.key(sha, ext)
        try:
            answer = self._call(lambda: self.client.get_object(Bucket=self.bucket, Key=key), f"get {key}", missing=True)
        except _Missing:
            raise NotFoundError(f"asset {sha[:12]}….{ext} is not in {self.url}",
                                "push it from a machine that has it: moviegen assets push SLUG") from None  # fmt: skip
        body = answer["Body"]
        try:
            return self._call(
                lambda: receive(body.iter_chunks(CHUNK), sha, Path(target), f"{self.url}/{key}"), f"get {key}"
            )
        finally:
            body.close()

    def describe(self) -> dict[str, Any]:
        return {"kind": "s3", "url": self.url, "endpoint": self.endpoint, "bucket": self.bucket, "prefix": self.prefix}

    def _call(self, fn: Callable[[], Any], what: str, *, missing: bool = False) -> Any:
        """Run one S3 request, turning botocore's failures into one-line errors that say what to do."""
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, NoCredentialsError

        try:
            return fn()
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code, status = str(error.get("Code", "")), exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if missing and code in ("404", "NoSuchKey", "NotFound"):
                raise _Missing() from None
            if code in ("412", "PreconditionFailed"):
                raise _Exists() from None
            raise _client_error(self, code, status, str(error.get("Message") or ""), what) from None
        except NoCredentialsError:
            raise StorageError("no credentials for the S3 asset store",
                               "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from None  # fmt: skip
        except ConnectionError as exc:
            raise StorageError(f"cannot reach the S3 asset store at {self.endpoint} ({type(exc).__name__})",
                               "start it, or point MOVIEGEN_ASSETS__S3_URL at one that runs") from None  # fmt: skip
        except BotoCoreError as exc:
            raise StorageError(
                f"the S3 asset store failed to {what}: {exc}", "try again; check MOVIEGEN_ASSETS__S3_URL"
            ) from None


_CLIENTS: dict[tuple, Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(endpoint: str, access: str | None, secret: str | None, region: str, timeout: float):
    try:
        import boto3
        from botocore.config import Config
    except ImportError:
        raise StorageError("the S3 asset store needs boto3, which is not installed",
                           "pip install 'moviegen[s3]'") from None  # fmt: skip
    key = (endpoint, access, hashlib.sha256((secret or "").encode()).hexdigest(), region, timeout)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            config = Config(connect_timeout=timeout, read_timeout=timeout, signature_version="s3v4",
                            retries={"max_attempts": 3, "mode": "standard"}, s3={"addressing_style": "path"})  # fmt: skip
            _CLIENTS[key] = boto3.session.Session().client(
                "s3", endpoint_url=endpoint, region_name=region, config=config,
                aws_access_key_id=access, aws_secret_access_key=secret,
            )  # fmt: skip
        return _CLIENTS[key]


class _Missing(Exception):
    pass


class _Exists(Exception):
    pass


def _client_error(store: S3Assets, code: str, status: int | None, message: str, what: str) -> StorageError:
    if code in ("NoSuchBucket",) or (code in ("404", "NotFound") and what == "open the bucket"):
        return StorageError(f"the bucket '{store.bucket}' does not exist at {store.endpoint}",
                            "create it, or set MOVIEGEN_ASSETS__S3_BUCKET to one that does")  # fmt: skip
    if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken") or status == 403:
        return StorageError(f"the S3 asset store at {store.endpoint} refused the credentials ({code or status})",
                            "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that they may use the bucket")  # fmt: skip
    return StorageError(f"the S3 asset store could not {what}: {code or status} {message}".rstrip(),
                        "try again; if it persists, check the store's logs")  # fmt: skip


def s3_configured(settings) -> bool:
    return bool(settings.assets.s3_url)


def s3_store(settings) -> S3Assets:
    """The shared store the settings name; UsageError when none is configured."""
    if not s3_configured(settings):
        raise UsageError("no shared asset store is configured",
                         "set MOVIEGEN_ASSETS__S3_URL (and MOVIEGEN_ASSETS__S3_BUCKET, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")  # fmt: skip
    key, secret = settings.aws_access_key_id, settings.aws_secret_access_key
    return S3Assets(settings.assets.s3_url, settings.assets.s3_bucket, settings.assets.s3_prefix,
                    access_key=key.get_secret_value() if key else None,
                    secret_key=secret.get_secret_value() if secret else None,
                    region=settings.aws_region, timeout=settings.assets.timeout)  # fmt: skip


def store_for(settings, project_path: Path) -> AssetStore:
    """The store a worker uses for a project: the shared bucket when one is configured, else the project's
    assets/ folder (what a local user has always had)."""
    return s3_store(settings) if s3_configured(settings) else LocalAssets(project_path)
