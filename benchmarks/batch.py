"""Batch renders (issue #14): a manifest of 8 films x 2 formats through ``moviegen batch``'s runner, against the
same 16 renders started one by one (each waited for before the next), in the same process, after one untimed warm-up pass.

Each film is a short screenplay (one scene, two voiced lines and an action line, different words per film), so
the renders are a few seconds each and the batch's own costs — preparing each film (import, plan), polling jobs,
the state file, the report — are visible against them. Formats: 16:9 and 9:16 at 640x360 (360p), 24 fps. Every pass starts
from empty projects in a temp folder (no render cache carried over), with one LocalBrain and 2 worker
processes; the passes alternate, and the medians are reported.

    .venv/bin/python benchmarks/batch.py --runs 3          # about 6 minutes on this machine
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FILMS = 8
FORMATS = ('{ aspect = "16:9", resolution = "640x360" }', '{ aspect = "9:16", resolution = "640x360" }')
PLACES = ("HARBOUR WALL", "SIGNAL TOWER", "FLOODED ROAD", "LAMP ROOM", "RAIL BRIDGE", "MARKET SQUARE", "PIER",
          "ORCHARD")  # fmt: skip


def screenplay(n: int) -> str:
    return (f"Title: Film {n}\n\nEXT. {PLACES[n]} - DUSK\n\nADA HOLM (40s, yellow oilskin, calm) watches the "
            f"{PLACES[n].lower()} empty.\n\nADA\nThey're late, number {n}.\n\nKOFI (O.S.)\nThey're always late.\n")  # fmt: skip


def write_manifest(folder: Path) -> Path:
    lines = ["[defaults]", f"formats = [{', '.join(FORMATS)}]", "fps = 24", ""]
    for n in range(FILMS):
        (folder / f"film-{n}.fountain").write_text(screenplay(n), encoding="utf-8")
        lines += ["[[film]]", f'fountain = "film-{n}.fountain"', ""]
    path = folder / "batch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@contextlib.contextmanager
def brain_in(root: Path):
    """A LocalBrain on its own folders with 2 warm workers (which read the same folders from the environment)."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import get_settings, reset_settings

    os.environ["MOVIEGEN_PROJECTS_DIR"], os.environ["MOVIEGEN_HOME"] = str(root / "projects"), str(root / "home")
    reset_settings()
    brain = LocalBrain(get_settings(), workers=2)
    try:
        brain.warm()
        yield brain
    finally:
        brain.close()


def batch_pass(root: Path) -> float:
    from moviegen.cli.batch import Batch
    from moviegen.services.batch import BatchState, load, state_path

    manifest = write_manifest(root)
    with brain_in(root) as brain:
        films = load(manifest)
        t = time.perf_counter()
        results = Batch(brain, films, BatchState(state_path(manifest)), parallel=1, fail_fast=False, quiet=True).run()
        took = time.perf_counter() - t
        bad = [r for r in results if r["status"] != "done"]
        assert not bad, bad
        return took, gaps(brain, [r["job"] for r in results])


def gaps(brain, job_ids: list[str]) -> list[float]:
    """Seconds between one render's end and the next one's start: what the driver adds (polling, the next
    film's import and plan, starting the job) — the renders' own time left out."""
    views = [brain.job_status(j) for j in job_ids]
    return [b["started"] - a["finished"] for a, b in zip(views, views[1:], strict=False)]


def one_by_one_pass(root: Path) -> float:
    from moviegen.services.batch import load

    manifest = write_manifest(root)
    with brain_in(root) as brain:
        films = load(manifest)
        ids: list[str] = []
        t = time.perf_counter()
        for film in films:
            text = Path(film.source).read_text(encoding="utf-8")
            brain.project_import(text, title=film.title, slug=film.slug, filename=Path(film.source).name)
            brain.shots_plan(film.slug)
            for task in film.tasks():
                job = brain.render_start(film.slug, resolution=task.fmt.resolution, fps=task.fps,
                                         aspect=task.fmt.aspect)  # fmt: skip
                for _ in brain.follow(job["id"]):
                    pass
                status = brain.job_status(job["id"])["status"]
                assert status == "done", status
                ids.append(job["id"])
        return time.perf_counter() - t, gaps(brain, ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("load average at the start:", os.getloadavg())
    batch_s, single_s, batch_gap, single_gap = [], [], [], []
    with tempfile.TemporaryDirectory() as warm:  # not timed: imports and first-use costs, paid once
        one_by_one_pass(Path(warm))
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            passes = [(one_by_one_pass, a, single_s, single_gap), (batch_pass, b, batch_s, batch_gap)]
            for run_pass, folder, walls, gap in passes[:: -1 if run % 2 else 1]:  # alternately first
                wall, between = run_pass(Path(folder))
                walls.append(wall)
                gap += between
        print(f"  one by one {single_s[-1]:.1f} s, batch {batch_s[-1]:.1f} s", flush=True)
    renders = FILMS * len(FORMATS)
    b, s = statistics.median(batch_s), statistics.median(single_s)
    print(
        f"{FILMS} films x {len(FORMATS)} formats: batch {b:.1f} s, one by one {s:.1f} s (x{b / s:.3f}); "
        f"wall difference per render {1000 * (b - s) / renders:+.0f} ms"
    )
    print(
        f"between one render's end and the next one's start (median of {len(batch_gap)}): batch "
        f"{1000 * statistics.median(batch_gap):.0f} ms, one by one {1000 * statistics.median(single_gap):.0f} ms"
    )
    print("load average at the end:", os.getloadavg())


if __name__ == "__main__":
    main()
