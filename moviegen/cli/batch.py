"""moviegen batch MANIFEST: many films in many formats, for CI — one progress view, a resumable run, a summary
table, --json, --junit FILE, and exit code 1 when any film failed.

Each film is a lane: its formats render one after another (the brain runs one job per project), and up to
--parallel lanes run at once. Everything goes through the brain's operations, so the jobs run on whatever is
up: the brain server's workers, or this process's.
"""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from moviegen.cli import context
from moviegen.cli.batch_report import shown
from moviegen.cli.output import emit_json, err

batch_app = typer.Typer()

POLL = 0.25  # seconds between looks at the running jobs
ENDED = ("done", "failed", "cancelled", "interrupted")


@batch_app.command("batch")
def batch(
    manifest: Path = typer.Argument(..., help="A TOML manifest: the films and the formats to make "
                                              "(see docs/batch.example.toml)."),
    junit: Path = typer.Option(None, "--junit", help="Also write JUnit XML here: one test case per film and format."),
    fail_fast: bool = typer.Option(False, "--fail-fast", help="Stop at the first failed render (the rest: skipped)."),
    parallel: int = typer.Option(1, "--parallel", "-j", min=1, max=16,
                                 help="Films rendered at once (each film's formats render one after another)."),
    fresh: bool = typer.Option(False, "--fresh", help="Forget what earlier runs of this manifest finished."),
    workers: int = typer.Option(0, "--workers", "-w", min=0,
                                help="Worker processes when no brain server runs (0 = one per CPU core, 1 = "
                                     "in-process)."),
    json_out: bool = typer.Option(False, "--json", help="Print the results and totals as JSON (no table)."),
) -> None:  # fmt: skip
    """Render every film of a manifest in every format it lists; a re-run skips the renders it finished."""
    from moviegen.cli.batch_report import print_table, totals, write_junit
    from moviegen.services.batch import BatchState, load, state_path

    films = load(manifest)  # a bad manifest stops here: nothing has started
    state = BatchState(state_path(manifest), fresh=fresh)
    started = time.monotonic()
    results = Batch(context.brain(workers), films, state, parallel=parallel, fail_fast=fail_fast,
                    quiet=json_out).run()  # fmt: skip
    seconds = time.monotonic() - started
    if junit is not None:
        write_junit(junit, results, manifest.stem, seconds)
    summary = totals(results, seconds)
    if json_out:
        emit_json({"manifest": str(manifest), "results": results, "totals": summary,
                   "junit": str(junit) if junit else None})  # fmt: skip
    else:
        print_table(results, summary)
    if summary["failed"]:
        raise typer.Exit(1)


class Lane:
    """One film's formats, in order, with at most one job of it running."""

    def __init__(self, film) -> None:
        self.film = film
        self.pending = deque(film.tasks())
        self.prepared = False
        self.error: dict[str, Any] | None = None  # preparing the film failed: every format fails with it
        self.task = None
        self.job: dict[str, Any] | None = None
        self.started = 0.0
        self.bar: Any = None


class Batch:
    def __init__(self, brain, films, state, *, parallel: int, fail_fast: bool, quiet: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.brain, self.state, self.parallel, self.fail_fast = brain, state, parallel, fail_fast
        self.lanes = deque(Lane(film) for film in films)
        self.order = [task.name for film in films for task in film.tasks()]
        self.results: dict[str, dict[str, Any]] = {}
        self.stopped = False
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=err, disable=quiet)  # fmt: skip
        self.overall = self.progress.add_task("batch", total=len(self.order))
        self._existing: set[str] | None = None
        self.active: list[Lane] = []

    def run(self) -> list[dict[str, Any]]:
        active = self.active
        try:
            with self.progress:
                while self.lanes or active:
                    while self.lanes and len(active) < self.parallel:
                        active.append(self.lanes.popleft())
                    for lane in list(active):
                        if lane.job is None:
                            self._start_next(lane)
                        else:
                            self._look(lane)
                        if lane.job is None and not lane.pending:
                            active.remove(lane)
                    self._wait(active)
        except KeyboardInterrupt:
            self._cancel(active)  # finished steps are kept; the next run resumes
            raise
        return [self.results[name] for name in self.order]

    def _wait(self, active: list[Lane]) -> None:
        """Until there is something to look at. With one render running, its own events: the next render starts
        as soon as it ends (a poll's sleep cost each render ~0.2 s); with several, a poll."""
        running = [lane for lane in active if lane.job is not None]
        if len(running) != 1:
            if running:
                time.sleep(POLL)
            return
        for view in self.brain.follow(running[0].job["id"], timeout=POLL):
            if view["status"] in ENDED:
                return

    # ------------------------------------------------------------------ a lane's next render
    def _start_next(self, lane: Lane) -> None:
        from moviegen.core.errors import MoviegenError

        while lane.pending and lane.job is None:
            task = lane.pending.popleft()
            if self.stopped:
                self._finish(task, "skipped", 0.0)
                continue
            kept = self.state.kept(task)
            if kept is not None:
                self._finish(task, "kept", 0.0, output=kept["output"], sha256=kept["sha256"],
                             duration=kept.get("duration"))  # fmt: skip
                continue
            clock = time.monotonic()
            if not lane.prepared:
                lane.prepared = True
                try:
                    self._prepare(lane.film)
                except MoviegenError as exc:
                    lane.error = exc.to_wire()  # the film cannot be made: each of its formats fails with this
            error = lane.error
            if error is None:
                try:
                    lane.job, lane.task, lane.started = self._start(task), task, clock
                except MoviegenError as exc:  # this render could not start (the project is busy, ...)
                    error = exc.to_wire()
            if lane.job is None:
                self._fail(task, error, time.monotonic() - clock)
            else:
                lane.bar = self.progress.add_task(escape(task.name), total=None)

    def _prepare(self, film) -> None:
        """Bring the film's project to where a render can start: imported (or its screenplay brought up to the
        file's), developed and planned. A premise film needs nothing: film_make does all of it in its job."""
        brain = self.brain
        if film.kind == "premise":
            return
        if film.kind == "fountain":
            from moviegen.services.screenplay import read_screenplay_file

            text = read_screenplay_file(Path(film.source))  # read here: the brain may run on another machine
            if film.slug not in self._projects():
                brain.project_import(text, title=film.title, slug=film.slug, filename=Path(film.source).name)
                brain.shots_plan(film.slug)
                return
            held = brain.screenplay_get(film.slug)
            if held["text"] != text:
                brain.screenplay_update(film.slug, text, held["digest"])
                brain.shots_plan(film.slug)
                return
        status = brain.project_status(film.slug)  # a project film that does not exist fails here, in one line
        if not status["scenes"]:
            brain.story_develop(film.slug)
        if not status["shots"]:
            brain.shots_plan(film.slug)

    def _projects(self) -> set[str]:
        if self._existing is None:
            self._existing = {p["slug"] for p in self.brain.project_list()}
        return self._existing

    def _start(self, task) -> dict[str, Any]:
        film, fmt = task.film, task.fmt
        options = {"resolution": fmt.resolution, "fps": task.fps, "aspect": fmt.aspect,
                   "burn_subtitles": film.burn_subtitles}  # fmt: skip
        if film.kind == "premise":  # the first format makes the project and its story; the rest reuse them
            return self.brain.film_make(film.source, title=film.title, slug=film.slug, seed=film.seed,
                                        narration=film.narration, reuse=True, **options)  # fmt: skip
        return self.brain.render_start(film.slug, **options)

    # ------------------------------------------------------------------ a running render
    def _look(self, lane: Lane) -> None:
        view = self.brain.job_status(lane.job["id"])
        stages = view.get("stages") or {}
        if stages:
            stage, p = next(((s, p) for s, p in stages.items() if p["done"] < p["total"]), list(stages.items())[-1])
            self.progress.update(lane.bar, description=f"{escape(lane.task.name)} {stage}", total=max(p["total"], 1),
                                 completed=p["done"])  # fmt: skip
        if view["status"] not in ENDED:
            return
        task, took = lane.task, _took(view, lane.started)
        self.progress.remove_task(lane.bar)
        lane.job = lane.task = lane.bar = None
        if view["status"] == "done":
            from moviegen.core import atomic

            report = view["result"]
            sha = atomic.file_digest(Path(report["film"]))  # None when the brain's disk is not ours to read
            self.state.record(task, report["film"], sha, report["duration"])
            made, reused = sum(len(v) for v in report["computed"].values()), sum(report["cached"].values())
            self._finish(task, "done", took, output=report["film"], sha256=sha, duration=report["duration"],
                         made=made, reused=reused, job=view["id"])  # fmt: skip
        elif self.stopped and view["status"] == "cancelled":
            self._finish(task, "skipped", took, job=view["id"])
        else:
            error = view.get("error") or {"code": view["status"], "message": f"the job ended {view['status']}",
                                          "hint": f"see 'moviegen job log {view['id']}'"}  # fmt: skip
            self._fail(task, error, took, job=view["id"])

    def _fail(self, task, error: dict[str, Any] | None, took: float, job: str | None = None) -> None:
        error = error or {}
        self._finish(task, "failed", took, error=error.get("message"), code=error.get("code"), hint=error.get("hint"),
                     job=job)  # fmt: skip
        if self.fail_fast and not self.stopped:
            self.stopped = True  # what has not started is skipped; what runs is cancelled (and reported skipped)
            for lane in self.active:
                if lane.job is not None:
                    self.brain.job_cancel(lane.job["id"])

    def _finish(self, task, status: str, took: float, **fields: Any) -> None:
        result = {"name": task.name, "film": task.film.slug, "number": task.film.number, "kind": task.film.kind,
                  "format": task.fmt.label, "aspect": task.fmt.aspect, "resolution": task.fmt.resolution,
                  "fps": task.fps, "status": status, "seconds": round(took, 2), "duration": None, "output": None,
                  "sha256": None, "made": None, "reused": None, "error": None, "code": None, "hint": None, "job": None,
                  **fields}  # fmt: skip
        self.results[task.name] = result
        self.progress.advance(self.overall)
        mark = {"done": "[green]✓[/]", "kept": "[cyan]=[/]", "failed": "[red]✗[/]", "skipped": "[yellow]-[/]"}
        detail = shown(result["output"]) if status in ("done", "kept") else (result["error"] or "")
        self.progress.console.print(f"{mark[status]} {escape(task.name)} {status} {took:.1f} s  {escape(detail)}",
                                    highlight=False, soft_wrap=True)  # fmt: skip

    def _cancel(self, lanes: list[Lane]) -> None:
        for lane in lanes:
            if lane.job is not None:
                self.brain.job_cancel(lane.job["id"])
                for _ in self.brain.follow(lane.job["id"], timeout=30):  # let it stop at a step
                    pass


def _took(view: dict[str, Any], started: float) -> float:
    if view.get("finished") and view.get("started"):
        return max(0.0, view["finished"] - view["started"])
    return time.monotonic() - started
