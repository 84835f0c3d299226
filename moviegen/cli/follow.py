"""Following a job from the command line: a bar per stage, warnings as they come, Ctrl-C cancels it (finished
steps are kept), and a failed job raises the same error, with the same panel and exit code, whichever brain
ran it."""

from __future__ import annotations

from typing import Any

from moviegen.cli.output import err


def follow_job(brain, job: dict[str, Any], *, quiet: bool = False) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from moviegen.core.errors import MoviegenError, error_from_wire

    progress = Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, disable=quiet, transient=False)  # fmt: skip
    bars: dict[str, Any] = {}
    seen_log = 0
    view = job
    try:
        with progress:
            for view in brain.follow(job["id"]):
                for stage, p in view.get("stages", {}).items():
                    if stage not in bars:
                        bars[stage] = progress.add_task(stage, total=None)
                    progress.update(bars[stage], total=max(p["total"], 1), completed=p["done"])
                log = view.get("log") or []
                for line in log[seen_log:]:
                    if " warning:" in line or " resume" in line:
                        progress.console.print(f"[yellow]{line.split(' ', 1)[1]}[/yellow]", markup=True)
                seen_log = len(log)
    except KeyboardInterrupt:
        brain.job_cancel(job["id"])
        for _ in brain.follow(job["id"], timeout=30):  # let it stop at a step: nothing half-written
            pass
        raise
    if view["status"] != "done":
        if view.get("error"):
            raise error_from_wire(view["error"])
        raise MoviegenError(f"the job ended {view['status']}", f"see 'moviegen job status {view['id']}'")
    return view["result"]
