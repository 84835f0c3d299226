"""moviegen worker: a Celery worker for render steps on this machine; moviegen workers: who is working on what."""

from __future__ import annotations

import typer

from moviegen.cli.output import emit_json, note, out

workers_app = typer.Typer()

QUEUES_HELP = (
    "Queues to take work from, comma-separated: render (segments, mix), generate (voices, stills, music), transcode."
)


def _queues(value: str) -> list[str]:
    from moviegen.workers.celery_app import QUEUES

    chosen = [q.strip() for q in value.split(",") if q.strip()]
    bad = [q for q in chosen if q not in QUEUES]
    if bad or not chosen:
        raise typer.BadParameter(f"'{','.join(bad) or value}' is not a queue; use some of {', '.join(QUEUES)}")
    return list(dict.fromkeys(chosen))


@workers_app.command("worker")
def worker(
    queues: str = typer.Option("render,generate,transcode", "--queues", "-Q", help=QUEUES_HELP),
    concurrency: int = typer.Option(
        0, "--concurrency", "-c", min=0, help="Steps at once, one process each (0 = one per core)."
    ),
    workdir: str = typer.Option(
        None,
        "--workdir",
        metavar="DIR",
        help="Where fetched inputs and made outputs are kept (default: MOVIEGEN_HOME/worker).",
    ),
    loglevel: str = typer.Option("INFO", "--loglevel", "-l", help="Celery's log level (DEBUG, INFO, WARNING)."),
) -> None:
    """Run render steps for a brain with '--executor celery', on this or any machine, until Ctrl-C or SIGTERM (a
    step under way finishes first). Needs MOVIEGEN_REDIS_URL, and the shared asset store (MOVIEGEN_ASSETS__S3_URL)
    unless the machine sees the projects folder. A prefork pool: one process per step at once."""
    import os
    import socket
    from pathlib import Path

    from moviegen.brain.local import LocalBrain
    from moviegen.core import locations
    from moviegen.core.settings import get_settings
    from moviegen.workers import celery_app
    from moviegen.workers.pool import default_workers

    chosen = _queues(queues)
    settings = get_settings()
    url = celery_app.redis_url(settings)
    celery_app.check_redis(url)
    if settings.assets.s3_url:
        from moviegen.workers.assets import s3_store

        s3_store(settings).check()
    folder = Path(workdir) if workdir else locations.home_dir() / "worker"
    celery_app.configure_worker(LocalBrain, folder)
    app = celery_app.make_app(settings)
    name = f"moviegen-{os.getpid()}@{socket.gethostname()}"
    note(f"worker {name} on {celery_app._safe(url)}: queues {','.join(chosen)}, working folder {folder}")
    app.worker_main(["worker", "--queues", ",".join(chosen), "--concurrency", str(concurrency or default_workers()),
                     "--pool", "prefork", "--hostname", name, "--loglevel", loglevel, "-O", "fair",
                     "--without-gossip", "--without-mingle"])  # fmt: skip


@workers_app.command("workers")
def workers(
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
    timeout: float = typer.Option(1.0, "--timeout", min=0.1, help="Seconds to wait for workers to answer."),
) -> None:
    """The Celery workers that answer, the queues they take, what they run and hold now, the queues' lengths
    and the last failed steps."""
    from moviegen.core.settings import get_settings
    from moviegen.workers.celery_app import status

    report = status(get_settings(), timeout)
    if json_out:
        emit_json(report)
        return
    queues = ", ".join(f"{q} {n}" for q, n in report["queues"].items())
    out.print(f"[bold]{len(report['workers'])} worker(s)[/bold] on {report['redis']}; waiting in queues: {queues}")
    for w in report["workers"]:
        out.print(f"  {w['name']}  queues {','.join(w['queues'])}  concurrency {w['concurrency']}  "
                  f"running {len(w['active'])}  held {len(w['reserved'])}  done {w['done']}")  # fmt: skip
        for task in w["active"]:
            out.print(f"    [dim]{task['kind']} {task['id'][:8]} ({task['project']}) {task['seconds']:.1f} s[/dim]")
    if report["failed"]:
        out.print(f"[bold]last failed steps[/bold] ({len(report['failed'])})")
        for f in report["failed"][:10]:
            out.print(f"  {f['kind']} {f['id'][:8]} ({f['project']}) on {f['worker']}: {f['error']}")
    if not report["workers"]:
        note("no worker answered; start one with 'moviegen worker' (same MOVIEGEN_REDIS_URL)")
