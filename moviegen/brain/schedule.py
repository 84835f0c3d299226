"""Scheduled jobs: asset garbage collection and the nightly re-render, daily at a time of day.

The schedule comes from the settings (``[schedule]`` of the config file, MOVIEGEN_SCHEDULE__*). The brain
server runs it itself (a thread started and stopped with the app, ``Scheduler``); with Celery as the executor,
Celery beat runs the same list instead (moviegen.workers.schedule_beat), and its task calls ``run_job`` here.

Times never drift: a run serves its slot (the scheduled time it was due at), and the next run is the next
slot, however long the run took. Slots missed while nothing ran (the brain was down) are made up once, not
once per slot. A job seen for the first time starts counting from then: it does not run at once.

Several brain processes may share one home folder (``--processes N``, or two containers on one volume): only
the one holding ``schedule.lock`` runs the jobs; when it ends, another takes over at its next tick. What ran
and how it went is kept in ``schedule.json`` in the home folder, which ``moviegen schedule`` reads.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from moviegen.core import atomic, locations
from moviegen.core.errors import MoviegenError, UsageError
from moviegen.core.settings import Settings

log = logging.getLogger(__name__)

MAX_WAIT = 60.0  # seconds between looks at the clock at most: a suspended machine or a changed clock is noticed


@dataclass(frozen=True)
class Job:
    name: str
    hour: int
    minute: int
    setting: str  # the environment variable that sets its time
    what: str

    @property
    def at(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}"


def jobs(settings: Settings) -> list[Job]:
    """The scheduled jobs the settings turn on (none when MOVIEGEN_SCHEDULE__ENABLED is false)."""
    s = settings.schedule
    if not s.enabled:
        return []
    wanted = [
        ("gc", s.gc_at, "MOVIEGEN_SCHEDULE__GC_AT", "collect unreferenced assets and expired renders of every project"),
        ("nightly", s.nightly_at, "MOVIEGEN_SCHEDULE__NIGHTLY_AT", "re-render the projects with nightly = true"),
    ]
    return [Job(name, *_hour_minute(at, env), env, what) for name, at, env, what in wanted if at.strip()]


def _hour_minute(at: str, env: str) -> tuple[int, int]:
    try:
        hour, minute = (int(part) for part in at.strip().split(":"))
        if 0 <= hour < 24 and 0 <= minute < 60:
            return hour, minute
    except ValueError:
        pass
    raise UsageError(f"bad time of day '{at}' for {env}", "give HH:MM (24-hour), e.g. 03:30, or empty to turn it off")


def zone(settings: Settings) -> tzinfo:
    name = settings.schedule.timezone
    if name.upper() in ("UTC", "Z"):
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone '{name}' in MOVIEGEN_SCHEDULE__TIMEZONE",
            "give an IANA name such as Europe/Berlin (pip install tzdata if the system has no zone files)",
        ) from None


def slot_before(job: Job, now: float, tz: tzinfo) -> float:
    """The latest scheduled time at or before ``now`` (epoch seconds)."""
    local = datetime.fromtimestamp(now, tz)
    slot = local.replace(hour=job.hour, minute=job.minute, second=0, microsecond=0)
    if slot.timestamp() > now:
        day = local.date() - timedelta(days=1)
        slot = datetime(day.year, day.month, day.day, job.hour, job.minute, tzinfo=tz)
    return slot.timestamp()


def slot_after(job: Job, now: float, tz: tzinfo) -> float:
    """The earliest scheduled time after ``now`` (epoch seconds)."""
    local = datetime.fromtimestamp(now, tz)
    slot = local.replace(hour=job.hour, minute=job.minute, second=0, microsecond=0)
    if slot.timestamp() <= now:
        day = local.date() + timedelta(days=1)
        slot = datetime(day.year, day.month, day.day, job.hour, job.minute, tzinfo=tz)
    return slot.timestamp()


# ---------------------------------------------------------------------- what the jobs do
# A project the job cannot do now (rendering, no shot list: a MoviegenError) is skipped and named; one that breaks
# (an unreadable folder) is named under errors, and the run is recorded as failed once the others are done.
def run_gc(brain) -> dict[str, Any]:
    """``moviegen gc --apply`` for every project."""
    done, skipped, errors, files, size = [], {}, {}, 0, 0
    for slug in brain.project_slugs():
        try:
            view = brain.gc(slug, apply=True)
        except MoviegenError as exc:
            skipped[slug] = exc.message
            continue
        except Exception as exc:  # noqa: BLE001 - the other projects are still collected
            errors[slug] = f"{type(exc).__name__}: {exc}"
            continue
        done.append(slug)
        files, size = files + view["files"], size + view["bytes"]
    return {"projects": done, "skipped": skipped, "errors": errors, "files": files, "bytes": size}


def run_nightly(brain) -> dict[str, Any]:
    """Start a render of every project whose moviegen.toml says ``nightly = true`` (unless one is running)."""
    started, skipped, errors = {}, {}, {}
    busy = {job.project for job in brain.jobs.running()}
    for slug in brain.project_slugs():
        try:
            if not brain.project(slug).info.nightly:
                continue
            if slug in busy:
                skipped[slug] = "a job of this project is running"
                continue
            started[slug] = brain.render_start(slug)["id"]
        except MoviegenError as exc:
            skipped[slug] = exc.message
        except Exception as exc:  # noqa: BLE001 - the other projects still render
            errors[slug] = f"{type(exc).__name__}: {exc}"
    return {"started": started, "skipped": skipped, "errors": errors}


RUNS: dict[str, Callable[[Any], dict[str, Any]]] = {"gc": run_gc, "nightly": run_nightly}


# ---------------------------------------------------------------------- state: what ran, when
def state_file() -> Path:
    return locations.home_dir() / "schedule.json"


def read_state(path: Path | None = None) -> dict[str, dict[str, Any]]:
    path = path or state_file()
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    atomic.write_text(path, json.dumps(state, indent=2, sort_keys=True) + "\n")


def run_job(name: str, brain, *, now: float | None = None, slot: float | None = None, path: Path | None = None):
    """Run one job now and record how it went (Celery beat's task calls this; so does the scheduler)."""
    path = path or state_file()
    started = time.time() if now is None else now
    t0 = time.monotonic()
    try:
        result, status, error = RUNS[name](brain), "ok", None
        if result.get("errors"):
            status, error = "failed", "; ".join(f"{slug}: {why}" for slug, why in result["errors"].items())
            log.error("scheduled job %s: %s", name, error)
    except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the scheduler goes on
        result, status, error = None, "failed", f"{type(exc).__name__}: {exc}"
        log.exception("scheduled job %s failed", name)
    state = read_state(path)
    entry = state.setdefault(name, {"since": started})
    entry.update(last_run=started, last_slot=slot if slot is not None else started, status=status, error=error,
                 result=result, seconds=round(time.monotonic() - t0, 3))  # fmt: skip
    _write_state(path, state)
    return entry


def listing(settings: Settings, now: float, path: Path | None = None) -> list[dict[str, Any]]:
    """Each job with its time, its last run (and how it went) and its next run, for ``moviegen schedule``."""
    tz, state = zone(settings), read_state(path)
    rows = []
    for job in jobs(settings):
        entry = state.get(job.name, {})
        rows.append({"name": job.name, "what": job.what, "at": job.at, "timezone": settings.schedule.timezone,
                     "setting": job.setting, "last_run": _iso(entry.get("last_run"), tz),
                     "status": entry.get("status"), "error": entry.get("error"), "result": entry.get("result"),
                     "next_run": _iso(_next_due(job, entry, now, tz), tz)})  # fmt: skip
    return rows


def _iso(ts: float | None, tz: tzinfo) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz).isoformat(timespec="seconds")


def _due(job: Job, entry: dict[str, Any], now: float, tz: tzinfo) -> float | None:
    """The slot the job is due for now (the latest one it has not served), or None."""
    if not entry:
        return None  # first seen: counting starts now
    slot = slot_before(job, now, tz)
    served = max(entry.get("since", 0.0), entry.get("last_slot", 0.0))
    return slot if slot > served else None


def _next_due(job: Job, entry: dict[str, Any], now: float, tz: tzinfo) -> float:
    return now if _due(job, entry, now, tz) is not None else slot_after(job, now, tz)


def run_scheduled(name: str) -> dict[str, Any]:
    """Celery beat's task (moviegen.workers.schedule_beat.TASK): one job in a brain of its own over the
    settings' projects folder; the renders it starts are waited for, so that closing it interrupts nothing."""
    from moviegen.brain.local import LocalBrain

    if name not in RUNS:
        raise UsageError(f"no scheduled job '{name}'", f"one of: {', '.join(RUNS)}")
    brain = LocalBrain(workers=1)
    try:
        entry = run_job(name, brain)
        for job_id in ((entry.get("result") or {}).get("started") or {}).values():
            brain.jobs.wait(job_id)
        return entry
    finally:
        brain.close()


# ---------------------------------------------------------------------- the brain server's scheduler
class Scheduler:
    """Runs the settings' jobs at their times, in a thread of the brain server (``start``/``stop``), or one
    ``tick`` at a time with an injected clock (tests)."""

    def __init__(self, brain, settings: Settings, *, clock: Callable[[], float] = time.time,
                 home: Path | None = None) -> None:  # fmt: skip
        home = home or locations.home_dir()
        self.brain, self.settings, self.clock = brain, settings, clock
        self.jobs, self.tz = jobs(settings), zone(settings)  # a bad setting is one line at start, not at 3 a.m.
        self.state_path, self.lock_path = home / "schedule.json", home / "schedule.lock"
        self._lock_fd: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # the lock that makes one process of several the one that runs the jobs
    def leads(self) -> bool:
        if self._lock_fd is None:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
            self._lock_fd = fd
        return True

    def tick(self) -> list[dict[str, Any]]:
        """Run what is due now, once each; returns what ran."""
        if not self.jobs or not self.leads():
            return []
        now, ran = self.clock(), []
        state = read_state(self.state_path)
        fresh = [job.name for job in self.jobs if job.name not in state]
        if fresh:
            for name in fresh:
                state[name] = {"since": now}
            _write_state(self.state_path, state)
        for job in self.jobs:
            slot = _due(job, state[job.name], now, self.tz)
            if slot is not None:
                ran.append({"name": job.name, **run_job(job.name, self.brain, now=now, slot=slot,
                                                        path=self.state_path)})  # fmt: skip
        return ran

    def seconds_to_next(self) -> float:
        now = self.clock()
        return min((slot_after(job, now, self.tz) - now for job in self.jobs), default=MAX_WAIT)

    def start(self) -> Scheduler:
        if self.jobs and self._thread is None:
            self.leads()  # the lead is taken (or not) now, not whenever the thread first looks; ticks try again
            self._thread = threading.Thread(target=self._loop, name="moviegen-schedule", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the scheduler outlives a bad tick (a full disk, say)
                log.exception("scheduler tick failed")
            self._stop.wait(min(MAX_WAIT, max(0.5, self.seconds_to_next())))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread (a job under way finishes first, up to ``timeout``) and let another process lead."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():  # a job still under way keeps the lead (the process's exit ends it)
                return
            self._thread = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


def start_for(brain) -> Scheduler | None:
    """The brain server's scheduler, started; None when Celery beat runs the schedule (MOVIEGEN_EXECUTOR=celery,
    'moviegen schedule beat') or the schedule is off."""
    if brain.settings.executor == "celery" or not brain.settings.schedule.enabled:
        return None
    try:
        return Scheduler(brain, brain.settings).start()
    except MoviegenError as exc:  # a bad time or zone: the brain serves on, its log says why nothing is scheduled
        log.error("scheduled jobs are off: %s (%s)", exc.message, exc.hint)
        return None
