"""moviegen schedule: the scheduled jobs (gc, nightly renders) with their last and next runs; and
``moviegen schedule beat``, which runs them under Celery beat when Celery is the executor."""

from __future__ import annotations

import typer

from moviegen.cli.output import emit_json, note, out

schedule_app = typer.Typer(
    help="Scheduled jobs: asset gc and nightly re-renders (MOVIEGEN_SCHEDULE__*).", invoke_without_command=True
)


@schedule_app.callback()
def schedule(ctx: typer.Context, json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the scheduled jobs: when they run, when they last ran and how it went, when they run next. The
    brain server runs them (or Celery beat: 'moviegen schedule beat'); this reads what this home folder
    recorded, so run it where the brain runs."""
    if ctx.invoked_subcommand is not None:
        return
    import time

    from moviegen.brain import schedule as sched
    from moviegen.core.settings import get_settings

    rows = sched.listing(get_settings(), time.time())
    if json_out:
        emit_json(rows)
        return
    if not rows:
        note("no scheduled jobs: MOVIEGEN_SCHEDULE__ENABLED is false, or every time is empty")
        return
    for r in rows:
        last = f"last {r['last_run']} {r['status']}" if r["last_run"] else "never ran"
        out.print(f"[bold]{r['name']}[/bold]  daily at {r['at']} {r['timezone']}  next {r['next_run']}  {last}")
        out.print(f"  [dim]{r['what']} ({r['setting']})[/dim]")
        if r["error"]:
            out.print(f"  [red]{r['error']}[/red]", markup=True, highlight=False)


@schedule_app.command("beat")
def beat(
    schedule_file: str = typer.Option(
        None, "--schedule-file", metavar="FILE", help="Beat's record of last runs (default: in MOVIEGEN_HOME)."
    ),
    loglevel: str = typer.Option("INFO", "--loglevel", "-l", help="Celery's log level (DEBUG, INFO, WARNING)."),
) -> None:
    """Run the schedule under Celery beat (MOVIEGEN_REDIS_URL): one worker process for the schedule queue, with
    beat embedded. Start one, where the projects folder is (beside the brain); a slot missed while it was down
    runs once on its return."""
    from pathlib import Path

    from celery.schedules import crontab

    from moviegen.brain import schedule as sched
    from moviegen.core import locations
    from moviegen.core.settings import get_settings
    from moviegen.workers import celery_app, schedule_beat

    settings = get_settings()
    jobs = sched.jobs(settings)
    sched.zone(settings)  # an unknown zone is one line now, not a crash at the first slot
    url = celery_app.redis_url(settings)
    celery_app.check_redis(url)
    app = celery_app.make_app(settings)
    schedule_beat.configure(app, jobs, crontab, settings.schedule.timezone, sched.run_scheduled)
    path = schedule_file or str(locations.home_dir() / "celerybeat-schedule")
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # beat cannot open its record in a missing folder
    note(f"beat on {celery_app._safe(url)}: {', '.join(f'{j.name} at {j.at}' for j in jobs) or 'nothing scheduled'}"
         f" ({settings.schedule.timezone}); queue '{schedule_beat.QUEUE}', record {path}")  # fmt: skip
    app.worker_main(["worker", "--beat", "--schedule-filename", path, "--queues", schedule_beat.QUEUE,
                     "--pool", "solo", "--concurrency", "1", "--loglevel", loglevel,
                     "--without-gossip", "--without-mingle"])  # fmt: skip
