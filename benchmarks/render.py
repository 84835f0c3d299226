"""Render figures (median of runs, same machine, same process where a ratio is given).

    python benchmarks/render.py [--runs 3] [--memory]

1. A 60-second 720p24 film, offline, from shot list to MP4 (the sample screenplay,
   its action shots trimmed so the plan sums to exactly 60 s).
2. moviegen's composition+encode vs MoviePy's on the same assets and settings.
3. Re-render after a one-line dialogue edit, as a share of a full render.
4. (--memory) Peak memory of the whole process tree during a ~5-minute 1080p render.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import tomlkit
from _common import SAMPLE, moviegen, world

EDIT = ("Then I have fifty-nine minutes.", "Then I have fifty-eight minutes.")


def fit_plan(shots_file: Path, total: float) -> None:
    """Scale the action-only shots so the plan sums to ``total`` seconds."""
    doc = tomlkit.parse(shots_file.read_text())
    shots = doc["shot"]
    fixed = sum(float(s["duration"]) for s in shots if s["framing"] in ("medium", "close"))
    flexible = [s for s in shots if s["framing"] not in ("medium", "close")]
    scale = (total - fixed) / sum(float(s["duration"]) for s in flexible)
    for s in flexible:
        s["duration"] = round(float(s["duration"]) * scale, 3)
    drift = total - sum(float(s["duration"]) for s in shots)
    flexible[0]["duration"] = round(float(flexible[0]["duration"]) + drift, 3)
    shots_file.write_text(tomlkit.dumps(doc))


def clean(project: Path, kinds: tuple[str, ...] | None = None) -> None:
    """Forget finished work: everything, or only the given step kinds."""
    if kinds is None:
        for sub in ("assets", "renders", ".moviegen"):
            shutil.rmtree(project / sub, ignore_errors=True)
        (project / "assets").mkdir()
        return
    with sqlite3.connect(project / ".moviegen" / "index.sqlite") as db:
        db.execute(f"DELETE FROM steps WHERE kind IN ({','.join('?' * len(kinds))})", kinds)
    for f in (project / "renders").glob("*.mp4"):
        f.unlink()


def timed_render(env: dict, slug: str, *args: str) -> tuple[float, dict]:
    start = time.perf_counter()
    report = json.loads(moviegen(env, "render", slug, "--json", *args).stdout)
    return time.perf_counter() - start, report


def tree_rss_mb(pid: int) -> float:
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 1024


def psnr(a, b) -> float:
    import numpy as np

    mse = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean()
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def compare_frames(ours: str, theirs: str, picks: int = 8) -> float:
    import av

    def frames(path):
        with av.open(path) as c:
            return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]

    a, b = frames(ours), frames(theirs)
    step = max(1, min(len(a), len(b)) // picks)
    return statistics.median(psnr(a[i], b[i]) for i in range(0, min(len(a), len(b)), step))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--memory", action="store_true", help="also measure peak memory of a ~5-minute 1080p render")
    ap.add_argument(
        "--daemon-only", action="store_true", help="only the full render and the edit through `moviegen up`"
    )
    args = ap.parse_args()
    env = world()
    projects = Path(env["MOVIEGEN_PROJECTS_DIR"])
    moviegen(env, "import", str(SAMPLE), "--slug", "bench")
    moviegen(env, "plan", "bench")
    project = projects / "bench"
    fit_plan(project / "shots.toml", 60.0)
    if args.daemon_only:
        print(json.dumps(daemon_run(env, project, args.runs), indent=2))
        return

    full = []
    for _ in range(args.runs):
        clean(project)
        seconds, report = timed_render(env, "bench")
        full.append(seconds)
    assert abs(report["duration"] - 60.0) < 1 / 24, report["duration"]

    ours, theirs, quality = [], [], []
    sys.path.insert(0, str(Path(__file__).parent))
    from moviepy_baseline import compose

    for _ in range(args.runs):
        clean(project, ("segment", "mix", "film"))
        seconds, report = timed_render(env, "bench")
        ours.append(seconds)
        out = Path(tempfile.mkdtemp()) / "moviepy.mp4"
        start = time.perf_counter()
        compose(project, report, out)
        theirs.append(time.perf_counter() - start)
    quality.append(compare_frames(report["film"], str(out)))

    edits = []
    screenplay = project / "screenplay.fountain"
    for i in range(args.runs):
        clean(project, ("segment", "mix", "film"))
        timed_render(env, "bench")  # back to a finished film
        old, new = EDIT if i % 2 == 0 else EDIT[::-1]
        screenplay.write_text(screenplay.read_text().replace(old, new))
        seconds, edited = timed_render(env, "bench")
        edits.append(seconds)
    full_s, ours_s, theirs_s, edit_s = (statistics.median(v) for v in (full, ours, theirs, edits))
    result = {
        "film_seconds": report["duration"],
        "resolution": f"{report['width']}x{report['height']}",
        "fps": report["fps"],
        "full_render_s": round(full_s, 2),
        "full_render_runs": [round(v, 2) for v in full],
        "times_real_time": round(60.0 / full_s, 2),
        "compose_encode_moviegen_s": round(ours_s, 2),
        "compose_encode_moviepy_s": round(theirs_s, 2),
        "moviepy_over_moviegen": round(theirs_s / ours_s, 2),
        "frame_psnr_db_moviegen_vs_moviepy": round(quality[0], 1),
        "edit_rerender_s": round(edit_s, 2),
        "edit_share_of_full": round(edit_s / full_s, 3),
        "edit_redid": edited["computed"],
    }
    if args.memory:
        result.update(memory_run(env))
    print(json.dumps(result, indent=2))


def daemon_run(env: dict, project: Path, runs: int) -> dict:
    """The same full render and one-line edit, with a brain running (`moviegen up`): the CLI hands the
    render to it, so start-up (LangGraph, the render modules, the worker pool) is paid once."""
    from benchmarks._common import free_port

    moviegen(env, "up", "--port", str(free_port()))
    try:
        full, edits = [], []
        screenplay = project / "screenplay.fountain"
        for i in range(runs):
            clean(project)
            seconds, _ = timed_render(env, "bench")
            full.append(seconds)
            old, new = EDIT if i % 2 == 0 else EDIT[::-1]
            screenplay.write_text(screenplay.read_text().replace(old, new))
            seconds, edited = timed_render(env, "bench")
            edits.append(seconds)
    finally:
        moviegen(env, "down")
    full_s, edit_s = statistics.median(full), statistics.median(edits)
    return {
        "daemon_full_render_s": round(full_s, 2),
        "daemon_full_runs": [round(v, 2) for v in full],
        "daemon_edit_rerender_s": round(edit_s, 2),
        "daemon_edit_runs": [round(v, 2) for v in edits],
        "daemon_edit_share_of_full": round(edit_s / full_s, 3),
        "edit_redid": edited["computed"],
    }


LONG_PREMISES = [
    "A courier races a flood to relight the valley's last beacon",
    "A detective investigates the disappearance of the town's only clockmaker",
    "A lonely robot follows a strange signal to the far side of the moon",
    "Two sisters inherit their mother's crumbling farmhouse and one last recipe",
]


def memory_run(env: dict) -> dict:
    """About five minutes of film from four different stories (no two shots alike), at 1080p."""
    from moviegen.brain.providers.story_writer.writer import develop

    bodies = [develop(p, 7).screenplay.split("\n\n", 1)[1] for p in LONG_PREMISES]
    tmp = Path(tempfile.mkdtemp()) / "long.fountain"
    tmp.write_text("Title: Long\n\n" + "\n".join(bodies))
    moviegen(env, "import", str(tmp), "--slug", "long")
    moviegen(env, "plan", "long")
    peak = 0.0
    proc = subprocess.Popen(
        [sys.executable, "-m", "moviegen", "render", "long", "--resolution", "1080p", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss_mb(proc.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    start = time.perf_counter()
    out, _ = proc.communicate()
    stop.set()
    report = json.loads(out)
    return {
        "memory_film_seconds": report["duration"],
        "memory_shots": len(report["shots"]),
        "memory_distinct_segments": len({s["segment"] for s in report["shots"]}),
        "memory_resolution": f"{report['width']}x{report['height']}",
        "memory_render_s": round(time.perf_counter() - start, 1),
        "peak_tree_rss_mb": round(peak, 1),
    }


if __name__ == "__main__":
    main()
