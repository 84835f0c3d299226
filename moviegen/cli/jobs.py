"""Jobs: a project's renders, running, finished, failed and interrupted — and one job's status, log, cancel
and retry (an interrupted render resumes where it stopped)."""

from __future__ import annotations

import time

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, note, out

jobs_app = typer.Typer()
job_app = typer.Typer(help="One job: status, log, cancel, retry.", no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="Print as JSON.")
_JOB = typer.Argument(..., help="The job's id (see 'moviegen jobs SLUG').")


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) if at else "—"


def _line(job: dict) -> str:
    took = f"{job['finished'] - job['started']:.1f} s" if job.get("finished") else "running"
    error = f" — {job['error']['message']}" if job.get("error") else ""
    return f"{job['id']}  {job['kind']:<6} {job['status']:<11} {_when(job['started'])}  {took}{error}"


@jobs_app.command("jobs")
def jobs(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    json_out: bool = _JSON,
) -> None:
    """List a project's jobs, newest first (they outlive a restarted brain)."""
    listed = context.brain().job_list(slug)
    if json_out:
        emit_json(listed)
        return
    if not listed:
        note(f"no jobs yet — start one with 'moviegen render {slug}'")
    for job in listed:
        out.print(_line(job), markup=False, highlight=False)


@job_app.command("status")
def status(job_id: str = _JOB, json_out: bool = _JSON) -> None:
    """A job's status, progress per stage, and error."""
    job = context.brain().job_status(job_id)
    if json_out:
        emit_json(job)
        return
    out.print(_line(job), markup=False, highlight=False)
    for stage, p in job["stages"].items():
        out.print(f"  {stage:<9} {p['done']}/{p['total']}", markup=False)
    if job.get("error") and job["error"].get("hint"):
        note(job["error"]["hint"])


@job_app.command("log")
def log(job_id: str = _JOB, json_out: bool = _JSON) -> None:
    """What happened during a job, one line each."""
    job = context.brain().job_status(job_id)
    if json_out:
        emit_json(job["log"])
        return
    for line in job["log"]:
        out.print(line, markup=False, highlight=False)


@job_app.command("cancel")
def cancel(job_id: str = _JOB, json_out: bool = _JSON) -> None:
    """Cancel a job at its next step; what is finished is kept."""
    job = context.brain().job_cancel(job_id)
    emit_json(job) if json_out else note(f"cancelling {job_id}; 'moviegen job retry {job_id}' resumes it")


@job_app.command("retry")
def retry(
    job_id: str = _JOB,
    detach: bool = typer.Option(False, "--detach", "-d", help="Start it and return (with a brain server up)."),
    json_out: bool = _JSON,
) -> None:
    """Run a job again with the same inputs: an interrupted or failed render resumes (finished steps reused)."""
    from moviegen.cli.film import _print_report
    from moviegen.cli.follow import follow_job

    brain = context.brain()
    job = brain.job_retry(job_id)
    if detach:
        emit_json(job) if json_out else note(f"started {job['id']}")
        return
    report = follow_job(brain, job, quiet=json_out)
    emit_json(report) if json_out else _print_report(report)
