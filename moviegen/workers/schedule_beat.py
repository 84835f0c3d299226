"""The scheduled jobs as Celery beat's configuration, for when Celery is the executor.

The same list the brain server's scheduler runs (moviegen.brain.schedule.jobs) becomes ``beat_schedule``
entries: one crontab per job at its time of day, each sending the task ``TASK`` with the job's name to the
queue ``QUEUE``. That task must run where the projects folder is (gc and the nightly render work on it), so
its consumer is ``moviegen schedule beat``: a one-process Celery worker for that queue only, with beat embedded,
started beside the brain on the brain's volumes (docs/deploy/compose.yaml, service ``scheduler``).

Celery is not imported here (the layering test keeps it out of moviegen.workers' own modules): the caller
passes its ``crontab`` class, and ``configure`` takes the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

TASK = "moviegen.schedule.run"
QUEUE = "schedule"
EXPIRES = 6 * 3600  # seconds: a run still queued this long after its time is dropped (the next slot comes)


class ScheduledJob(Protocol):
    name: str
    hour: int
    minute: int


def beat_schedule(jobs: Iterable[ScheduledJob], crontab: Callable[..., Any], *, queue: str = QUEUE) -> dict[str, Any]:
    """``app.conf.beat_schedule`` for ``jobs``: ``{"moviegen-gc": {"task": TASK, "schedule": crontab(...),
    "args": ("gc",), "options": {...}}, ...}``."""
    return {
        f"moviegen-{job.name}": {
            "task": TASK,
            "schedule": crontab(minute=job.minute, hour=job.hour),
            "args": (job.name,),
            "options": {"queue": queue, "expires": EXPIRES},
        }
        for job in jobs
    }


def configure(app, jobs: Iterable[ScheduledJob], crontab: Callable[..., Any], timezone: str, run: Callable[[str], Any],
              *, queue: str = QUEUE) -> None:  # fmt: skip
    """Give a Celery app the schedule and the task it sends (``run(name)`` runs one job and returns a summary).
    Beat keeps each entry's last run in its schedule file, so a slot missed while beat was down runs once when
    it is back — keep that file on a volume."""
    app.conf.timezone = timezone  # the crontabs' zone (app.timezone is cached: configure before it is read)
    app.conf.beat_schedule = beat_schedule(jobs, lambda **at: crontab(app=app, **at), queue=queue)
    app.task(name=TASK, acks_late=True, ignore_result=True)(run)
