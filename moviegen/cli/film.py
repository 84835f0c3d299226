"""Film commands: render, make, demo — a job in the brain (in this process, or the brain server's), followed."""

from __future__ import annotations

from enum import StrEnum

import typer

from moviegen.cli import context
from moviegen.cli.follow import follow_job
from moviegen.cli.output import emit_json, note, out

film_app = typer.Typer()

DEMO_PREMISE = "A courier races a flood to relight the valley's last beacon"
DEMO_TITLE = "Lantern Road"
DEMO_SLUG = "lantern-road-demo"


class Aspect(StrEnum):
    wide = "16:9"
    tall = "9:16"
    square = "1:1"


def _aspect(aspect: Aspect | None) -> str | None:
    return aspect.value if aspect is not None else None


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
_WORKERS = typer.Option(
    0, "--workers", "-w", min=0,
    help="Worker processes when no brain server runs (0 = one per CPU core, 1 = in-process).",
)  # fmt: skip
_JSON = typer.Option(False, "--json", help="Print the render report as JSON.")
_ESTIMATE = typer.Option(
    False, "--estimate",
    help="List the calls it would make, what they would cost and which are cached; send and spend nothing.",
)  # fmt: skip


def _print_estimate(est: dict, json_out: bool) -> None:
    from moviegen.cli.estimate import print_estimate

    emit_json(est) if json_out else print_estimate(est)


@film_app.command("render")
def render_cmd(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    resolution: str = _RES,
    fps: int = _FPS,
    aspect: Aspect = _ASPECT,
    burn_subtitles: bool = _BURN,
    workers: int = _WORKERS,
    estimate: bool = _ESTIMATE,
    json_out: bool = _JSON,
) -> None:
    """Render the film: voices, frames, score, mix, subtitles and an MP4 in renders/."""
    brain = context.brain(workers)
    if estimate:
        return _print_estimate(brain.render_estimate(slug, resolution=resolution, fps=fps, aspect=_aspect(aspect),
                                                     burn_subtitles=burn_subtitles), json_out)  # fmt: skip
    job = brain.render_start(slug, resolution=resolution, fps=fps, aspect=_aspect(aspect),
                             burn_subtitles=burn_subtitles)  # fmt: skip
    report = follow_job(brain, job, quiet=json_out)
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
    estimate: bool = _ESTIMATE,
    json_out: bool = _JSON,
) -> None:
    """Premise to film in one go: new + develop + plan + render."""
    brain = context.brain(workers)
    if estimate:
        return _print_estimate(brain.make_estimate(premise, title=title, slug=slug, seed=seed, narration=narration,
                                                   resolution=resolution, fps=fps, aspect=_aspect(aspect),
                                                   burn_subtitles=burn_subtitles), json_out)  # fmt: skip
    job = brain.film_make(premise, title=title, slug=slug, seed=seed, narration=narration, resolution=resolution,
                          fps=fps, aspect=_aspect(aspect), burn_subtitles=burn_subtitles)  # fmt: skip
    report = follow_job(brain, job, quiet=json_out)
    emit_json(report) if json_out else _print_report(report)


@film_app.command()
def demo(
    workers: int = _WORKERS,
    estimate: bool = _ESTIMATE,
    json_out: bool = _JSON,
) -> None:
    """Make the demo film ('Lantern Road') from a premise, offline. Run again: it reuses finished work."""
    brain = context.brain(workers)
    if estimate:
        return _print_estimate(
            brain.make_estimate(DEMO_PREMISE, title=DEMO_TITLE, slug=DEMO_SLUG, reuse=True), json_out
        )
    job = brain.film_make(DEMO_PREMISE, title=DEMO_TITLE, slug=DEMO_SLUG, reuse=True)
    report = follow_job(brain, job, quiet=json_out)
    if json_out:
        emit_json(report)
        return
    _print_report(report)
    note(f"play it: {report['film']}  (subtitles beside it: .srt, .vtt)")
