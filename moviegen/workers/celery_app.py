"""The Celery app on Redis (MOVIEGEN_REDIS_URL), and the tasks a ``moviegen worker`` runs: the same render steps
the local pool runs (services.render.steps.run_step), wrapped so that a worker needs no disk shared with the brain.

A step names its inputs as ``assets/<sha256>.<ext>`` (a still for a segment, voices and cues for the mix). With a
shared S3 store (MOVIEGEN_ASSETS__S3_URL) the worker fetches each into its own working folder (verified: a temp
file renamed into place only when its bytes hash to its name), runs the step there, and puts what it made in the
store by hash (checked again before the upload). A step delivered twice (its worker died; late acknowledgement
hands it to another) makes the same bytes under the same name, and nothing is overwritten: a redelivery never
corrupts a file. Without a shared store, workers read and write the project's own folder (one machine, or a
shared disk), which the brain tells them by the store it names in each task.

Messages are JSON; a message is acknowledged once its step ended (``task_acks_late``) and put back when its worker
process dies (``task_reject_on_worker_lost``); each worker process takes one message at a time (prefetch 1).
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import Celery, signals
from kombu import Queue

from moviegen.core.errors import MoviegenError, UsageError
from moviegen.workers import asset_cache

QUEUES = ("render", "generate", "transcode")
# which queue a step kind goes to: media made from a request, the render's composing (encoding and mixing), and a
# transcode job's presets; --queues picks what a machine takes
QUEUE_OF = {"voice": "generate", "frame": "generate", "sheet": "generate", "clip": "generate", "sound": "generate",
            "music": "generate", "segment": "render", "mix": "render", "transcode": "transcode"}  # fmt: skip
STEP_TASK = "moviegen.step"
NOOP_TASK = "moviegen.noop"
FAILED_KEY = "moviegen:celery:failed"  # the last FAILED_KEEP failed steps, newest first (moviegen workers)
FAILED_KEEP = 100


class RedisUnavailableError(MoviegenError):
    """The Redis of MOVIEGEN_REDIS_URL does not answer."""

    code = "redis_unavailable"


def redis_url(settings) -> str:
    if not settings.redis_url:
        raise UsageError("the Celery executor needs Redis, and MOVIEGEN_REDIS_URL is not set",
                         "set MOVIEGEN_REDIS_URL=redis://HOST:6379/0 (the same on the brain and every worker)")  # fmt: skip
    return settings.redis_url


def check_redis(url: str, timeout: float = 2.0) -> None:
    """One PING, so that an unreachable Redis is one clear line now rather than Celery's endless retries."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise RedisUnavailableError(f"cannot reach Redis at {_safe(url)} ({type(exc).__name__}: {exc})",
                                    "start Redis, or point MOVIEGEN_REDIS_URL at one that runs") from None  # fmt: skip


def _safe(url: str) -> str:
    """The URL without its password (it goes into error messages and status lines)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def make_app(settings) -> Celery:
    """The Celery app of these settings: broker and result backend on the same Redis."""
    url = redis_url(settings)
    app = Celery("moviegen", broker=url, backend=url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="render",
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.celery.visibility_timeout,
            "unacked_restore_interval": settings.celery.restore_interval,
            "unacked_restore_throttle": 1,  # scan every restore_interval, not every tenth
        },
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        worker_send_task_events=False,
    )
    app.task(name=STEP_TASK, bind=True)(_step_task)
    app.task(name=NOOP_TASK)(_noop)
    return app


# ---------------------------------------------------------------------------------------------- inside a worker
_worker: dict[str, Any] = {"factory": None, "workdir": None, "brain": None, "pid": None}


def configure_worker(brain_factory: Callable[[], Any], workdir: Path) -> None:
    """Set in the worker's main process before it forks its pool: each pool process builds its own brain from
    ``brain_factory`` (the caller's LocalBrain: workers import core and services only) and keeps fetched
    inputs and made outputs under ``workdir``."""
    _worker.update(factory=brain_factory, workdir=Path(workdir), brain=None, pid=None)
    Path(workdir).mkdir(parents=True, exist_ok=True)


@signals.worker_process_init.connect
def _init_pool_process(**_kw) -> None:
    """A pool process dies with its worker, kill -9 included (prefork forks it: the worker is its parent), and
    builds its brain now, before the first step."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass
    if _worker["factory"] is not None:
        _brain()


def _brain():
    if _worker["brain"] is None or _worker["pid"] != os.getpid():
        if _worker["factory"] is None:
            raise RuntimeError("a moviegen task ran in a worker not started by 'moviegen worker'")
        _worker.update(brain=_worker["factory"](), pid=os.getpid())
    return _worker["brain"]


def _noop() -> bool:
    """A task that does nothing: the dispatch round trip (benchmarks) and a check that a worker answers."""
    return True


def asset_refs(value: Any) -> list[str]:
    """Every ``assets/<sha>.<ext>`` a job names, at any depth, in order, once each."""
    from moviegen.services.retention import ASSET

    found: dict[str, None] = {}

    def walk(v: Any) -> None:
        if isinstance(v, str):
            for m in ASSET.findall(v):
                found.setdefault(m, None)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list | tuple):
            for x in v:
                walk(x)

    walk(value)
    return list(found)


def made_refs(result: dict[str, Any]) -> list[str]:
    """The assets a step made: the result's own top-level names (``asset``, the mix's ``track``) and those it
    lists under ``made`` (a transcode's files)."""
    from moviegen.services.retention import ASSET

    named = [*result.values(), *(result.get("made") or [])]
    return list(dict.fromkeys(v for v in named if isinstance(v, str) and ASSET.fullmatch(v)))


def split(rel: str) -> tuple[str, str]:
    sha, _, ext = rel[len("assets/") :].partition(".")
    return sha, ext


class StepFailed(Exception):
    """A step's failure as it crosses Redis: the args are MoviegenError.to_wire()'s dict (JSON-safe)."""


def _step_task(task, kind: str, job: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
    try:
        return run_remote(kind, job, store)
    except BaseException as exc:
        if not isinstance(exc, Exception):
            raise  # SystemExit, KeyboardInterrupt: the worker is going; late acknowledgement redelivers the step
        wire = exc.to_wire() if isinstance(exc, MoviegenError) else {
            "code": "render", "message": f"{kind} step failed on {task.request.hostname}: {type(exc).__name__}: {exc}",
            "hint": "see that worker's log; run the render again: finished steps are kept"}  # fmt: skip
        _record_failure(task, kind, job, wire)
        raise StepFailed(wire) from None


def _record_failure(task, kind: str, job: dict[str, Any], wire: dict[str, Any]) -> None:
    entry = {"id": task.request.id, "kind": kind, "project": Path(job.get("project", "")).name,
             "worker": task.request.hostname, "time": time.time(), "error": wire.get("message")}  # fmt: skip
    try:
        client = task.app.backend.client
        client.pipeline().lpush(FAILED_KEY, json.dumps(entry)).ltrim(FAILED_KEY, 0, FAILED_KEEP - 1).execute()
    except Exception:  # noqa: BLE001 - the failure itself is what the brain must hear; this list is a courtesy
        pass


def run_remote(kind: str, job: dict[str, Any], store: dict[str, Any]) -> dict[str, Any]:
    """One step in this worker: with a shared store, in the worker's own folder (inputs fetched, outputs put, all
    by hash); without one, in the project's folder the brain named (a disk both see)."""
    from moviegen.core.settings import get_settings
    from moviegen.services.render.steps import run_step
    from moviegen.workers.assets import s3_configured, s3_store

    if store.get("kind") != "s3":
        return run_step(kind, job, _brain())
    settings = get_settings()
    if not s3_configured(settings):
        raise UsageError(f"worker {socket.gethostname()} has no shared asset store, and the brain uses {store['url']}",
                         "set MOVIEGEN_ASSETS__S3_URL, MOVIEGEN_ASSETS__S3_BUCKET and the AWS keys on the worker too")  # fmt: skip
    assets = s3_store(settings)
    if assets.url != store["url"]:
        raise UsageError(f"worker {socket.gethostname()} uses the asset store {assets.url}, the brain {store['url']}",
                         "give the worker the brain's MOVIEGEN_ASSETS__S3_BUCKET and MOVIEGEN_ASSETS__S3_PREFIX")  # fmt: skip
    root = (_worker["workdir"] or Path.cwd()) / "assets-cache"
    for rel in asset_refs(job):
        target = root / rel
        if target.is_file():
            asset_cache.used(target)
        else:
            sha, ext = split(rel)
            assets.get(sha, ext, target)  # NotFoundError: the brain could not put it there; say so
    result = run_step(kind, {**job, "project": str(root)}, _brain())
    for rel in made_refs(result):
        sha, ext = split(rel)
        assets.put(root / rel, ext, sha=sha)  # refused (CorruptAssetError) unless the file hashes to its name
    keep = 2 * settings.celery.visibility_timeout  # a step older than that has been handed out again anyway
    asset_cache.trim_now_and_then(root, settings.assets.worker_cache_mb << 20, keep)
    return result


# ---------------------------------------------------------------------------------------------- moviegen workers
def status(settings, timeout: float = 1.0) -> dict[str, Any]:
    """The workers that answer within ``timeout`` (Celery inspect: their queues, running and held steps, how many
    they finished), the queues' lengths in Redis, and the last failed steps."""
    url = redis_url(settings)
    check_redis(url)
    app = make_app(settings)
    try:
        names = sorted({name for reply in app.control.ping(timeout=timeout) or [] for name in reply})
        report_workers = []
        if names:
            inspect = app.control.inspect(destination=names, timeout=timeout, limit=len(names))
            active, reserved = inspect.active() or {}, inspect.reserved() or {}
            queues, stats = inspect.active_queues() or {}, inspect.stats() or {}
            for name in names:
                pool = (stats.get(name) or {}).get("pool") or {}
                report_workers.append({
                    "name": name,
                    "queues": [q["name"] for q in queues.get(name, [])],
                    "concurrency": pool.get("max-concurrency"),
                    "processes": pool.get("processes", []),
                    "active": [_task(t) for t in active.get(name, [])],
                    "reserved": [_task(t) for t in reserved.get(name, [])],
                    "done": sum(((stats.get(name) or {}).get("total") or {}).values()),
                })  # fmt: skip
        client = app.backend.client
        lengths = {q: int(client.llen(q)) for q in QUEUES}
        failed = [json.loads(raw) for raw in client.lrange(FAILED_KEY, 0, 19)]
    finally:
        app.close()
    return {"redis": _safe(url), "workers": report_workers, "queues": lengths, "failed": failed}


def _task(info: dict[str, Any]) -> dict[str, Any]:
    """A task as inspect reports it, cut to what a person reads: its step kind, project and age."""
    args = info.get("args") or []
    kind = args[0] if args and isinstance(args[0], str) else info.get("name", "")
    job = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
    started = info.get("time_start")
    return {"id": info.get("id", ""), "kind": kind, "project": Path(job.get("project", "")).name,
            "worker_pid": info.get("worker_pid"), "seconds": round(time.time() - started, 1) if started else 0.0}  # fmt: skip
