"""Film commands: render, make, demo."""

from __future__ import annotations

import re
from enum import StrEnum

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, err, note, out

film_app = typer.Typer()

DEMO_PREMISE = "A courier races a flood to relight the valley's last beacon"
DEMO_TITLE = "Lantern Road"
DEMO_SLUG = "lantern-road-demo"


class Aspect(StrEnum):
    wide = "16:9"
    tall = "9:16"
    square = "1:1"


def _resolution(resolution: str) -> str:
    from moviegen.core.errors import UsageError

    named = {"720p": "1280x720", "1080p": "1920x1080", "480p": "854x480"}
    res = named.get(resolution.lower(), resolution.lower())
    if not re.fullmatch(r"\d{2,4}x\d{2,4}", res):
        raise UsageError(f"'{resolution}' is not a resolution", "use WIDTHxHEIGHT such as 1280x720, or 720p / 1080p")
    return res


def render_project(
    project,
    *,
    resolution=None,
    fps=None,
    aspect=None,
    burn_subtitles=False,
    workers=0,
    preset=None,
    quiet=False,
    from_premise=False,
) -> dict:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import get_settings
    from moviegen.services.render.pipeline import STAGES, RenderOptions, render
    from moviegen.workers.pool import InlineRunner, LocalPool

    settings = get_settings()
    options = RenderOptions.for_project(
        project, settings, resolution=_resolution(resolution) if resolution else None, fps=fps,
        aspect=aspect.value if aspect is not None else None, burn_subtitles=burn_subtitles, preset=preset,
    )  # fmt: skip
    brain = context.brain()
    workers = workers or settings.render.workers
    runner = InlineRunner(brain) if workers == 1 else LocalPool(LocalBrain, workers)
    runner.warm()  # workers boot while this process loads the pipeline
    progress = Progress(
        TextColumn("{task.description:<9}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=False,
    )
    bars = {stage: progress.add_task(stage, total=None, start=False) for stage in STAGES}

    def on_event(event) -> None:
        if event.kind in ("warning", "resume"):
            progress.console.print(f"[yellow]{event.message}[/yellow]")
        elif event.kind == "info":
            progress.console.print(event.message)
        elif event.stage in bars:
            bar = bars[event.stage]
            progress.start_task(bar)
            progress.update(bar, total=max(event.total, 1), completed=event.done)

    with runner, progress:
        story_brain = brain if from_premise else None
        return render(project, runner, brain.providers(), options, emit=on_event, story_brain=story_brain, memory=brain)


def _render_remote(remote, slug, resolution, fps, aspect, burn_subtitles, *, quiet: bool) -> dict:
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from moviegen.core.errors import MoviegenError

    args = {"project_id": slug, "burn_subtitles": burn_subtitles}
    if resolution:
        args["resolution"] = _resolution(resolution)
    if fps:
        args["fps"] = fps
    if aspect:
        args["aspect"] = aspect.value
    job = remote.call("render_start", **args)
    progress = Progress(
        TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, disable=quiet,
    )  # fmt: skip
    bars: dict[str, int] = {}
    try:
        with progress:
            while job["status"] in ("queued", "running"):
                time.sleep(0.1)
                job = remote.call("job_status", job_id=job["id"])
                for stage, p in job["stages"].items():
                    if stage not in bars:
                        bars[stage] = progress.add_task(stage, total=None)
                    progress.update(bars[stage], total=max(p["total"], 1), completed=p["done"])
    except KeyboardInterrupt:
        remote.call("job_cancel", job_id=job["id"])
        raise
    if job["status"] != "done":
        raise MoviegenError(f"the render {job['status']}: {job['error']}", "run the same command again to resume")
    return job["result"]


def _print_report(report: dict) -> None:
    computed = ", ".join(f"{k} {len(v)}" for k, v in report["computed"].items()) or "nothing (all cached)"
    out.print(f"[bold]{report['film']}[/bold]")
    out.print(
        f"  {report['duration']:.2f} s, {report['width']}x{report['height']} @ {report['fps']} fps, "
        f"{len(report['shots'])} shots, {report['dialogue_lines']} subtitles, {report['loudness_lufs']} LUFS"
    )
    out.print(f"  made: {computed}; reused: {sum(report['cached'].values())} steps")


_RES = typer.Option(None, "--resolution", "-r", help="WIDTHxHEIGHT or 720p / 1080p (default: the project's).")
_FPS = typer.Option(None, "--fps", min=1, max=60, help="Frames per second (default: the project's, 24).")
_ASPECT = typer.Option(None, "--aspect", help="16:9, 9:16 or 1:1 (default: the project's).")
_BURN = typer.Option(False, "--burn-subtitles", help="Also draw the subtitles into the picture.")
_WORKERS = typer.Option(0, "--workers", "-w", min=0, help="Worker processes (0 = one per CPU core, 1 = in-process).")
_JSON = typer.Option(False, "--json", help="Print the render report as JSON.")


@film_app.command("render")
def render_cmd(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    resolution: str = _RES,
    fps: int = _FPS,
    aspect: Aspect = _ASPECT,
    burn_subtitles: bool = _BURN,
    workers: int = _WORKERS,
    json_out: bool = _JSON,
) -> None:
    """Render the film: voices, frames, score, mix, subtitles and an MP4 in renders/."""
    remote = context.remote()
    if remote is not None:  # a brain is up: it renders, with its warm workers; we show the progress
        report = _render_remote(remote, slug, resolution, fps, aspect, burn_subtitles, quiet=json_out)
        emit_json(report) if json_out else _print_report(report)
        return
    project = context.store().open(slug)
    report = render_project(
        project,
        resolution=resolution,
        fps=fps,
        aspect=aspect,
        burn_subtitles=burn_subtitles,
        workers=workers,
        quiet=json_out,
    )
    emit_json(report) if json_out else _print_report(report)


@film_app.command()
def make(
    premise: str = typer.Argument(..., help="One or two sentences: who wants what, and what stands in the way."),
    title: str = typer.Option(None, "--title", "-t", help="Film title (default: the story writer's)."),
    slug: str = typer.Option(None, "--slug", help="Project folder name."),
    seed: int = typer.Option(None, "--seed", help="Seed for every generated part."),
    narration: bool = typer.Option(False, "--narration", help="A narrator reads the action aloud (not subtitled)."),
    resolution: str = _RES,
    fps: int = _FPS,
    aspect: Aspect = _ASPECT,
    burn_subtitles: bool = _BURN,
    workers: int = _WORKERS,
    json_out: bool = _JSON,
) -> None:
    """Premise to film in one go: new + develop + plan + render."""
    report = _make(
        premise, title, slug, seed, resolution, fps, aspect, burn_subtitles, workers, json_out, narration=narration
    )
    emit_json(report) if json_out else _print_report(report)


@film_app.command()
def demo(
    workers: int = _WORKERS,
    json_out: bool = _JSON,
) -> None:
    """Make the demo film ('Lantern Road') from a premise, offline. Run again: it reuses finished work."""
    report = _make(DEMO_PREMISE, DEMO_TITLE, DEMO_SLUG, None, None, None, None, False, workers, json_out, reuse=True)
    if json_out:
        emit_json(report)
        return
    _print_report(report)
    note(f"play it: {report['film']}  (subtitles beside it: .srt, .vtt)")


def _make(
    premise, title, slug, seed, resolution, fps, aspect, burn, workers, quiet, *, reuse: bool = False, narration=False
) -> dict:
    project = context.start_project(premise, seed=seed, title=title, slug=slug, narration=narration, reuse=reuse)
    return render_project(
        project,
        resolution=resolution,
        fps=fps,
        aspect=aspect,
        burn_subtitles=burn,
        workers=workers,
        quiet=quiet,
        from_premise=True,
    )
