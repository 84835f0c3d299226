"""The studio's figures: time to the first interactive screen, key press to screen update while a render runs,
idle CPU. Prints JSON.

    ../.venv/bin/python tui.py --runs 7

The real `moviegen tui` runs under a pseudo-terminal (120x40) that this script holds (``_pty.py``): keys are
written to it, and its output is read as it comes (select, no polling), so each figure is from the key (or the
launch) to the first moment the expected text has been written to the terminal.

- start-up: from launching `moviegen tui` until the projects line is on the screen; beside it, the same for
  `python -c "print(...)"`, the floor every Python program pays.
- key to screen: with a project open, F3 and F5 alternately (Cast and Assistant tabs), each until its tab's text
  is written; 200 presses with nothing running (the baseline), then 200 while a 1080p render of the sample runs in
  the background, started from the studio (ctrl+r). The first showing of each tab (its first layout) is reported
  apart. Two ways, each ``--key-runs`` times (the medians of the runs' p50 and p99 are reported):
  - in-process: the studio's own brain runs the render (two worker processes on the two cores, at nice 10);
  - through a brain server: `moviegen brain serve --workers 2` runs on this machine and the studio is its client
    (MOVIEGEN_BRAIN_URL): the render is the brain's job, its progress comes over the brain's events socket.
- idle CPU: a project open, nothing happening: CPU seconds of the process over 10 s, from /proc.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SAMPLE, brain_server, moviegen, world  # noqa: E402
from _pty import Terminal  # noqa: E402

F3, F5, ENTER, CTRL_R, F7 = b"\x1bOR", b"\x1b[15~", b"\r", b"\x12", b"\x1b[18~"


def _studio(env) -> list[str]:
    exe = Path(sys.executable).with_name("moviegen")
    return [str(exe), "tui"]


def startup(env, runs: int) -> dict:
    studio, floor = [], []
    for _ in range(runs):
        term = Terminal(_studio(env), env)
        studio.append(term.wait_for("project(s) in") - term.started)
        term.close()
        term = Terminal([sys.executable, "-c", "print('rea' + 'dy')"], env)
        floor.append(term.wait_for("ready") - term.started)
        term.close()
    return {
        "moviegen_tui_ms": round(statistics.median(studio) * 1000, 1),
        "runs_ms": [round(t * 1000, 1) for t in studio],
        "python_print_ms": round(statistics.median(floor) * 1000, 1),
    }


def _series(term: Terminal, n: int) -> list[float]:
    out = []
    for i in range(n):
        key, marker = (F3, "speaks in") if i % 2 == 0 else (F5, "Ask about this")
        start = time.perf_counter()
        term.send(key)
        out.append(term.wait_for(marker) - start)
        term.drain(0.02)  # a person's next key comes later; let the frame finish
    return out


def _stats(times: list[float]) -> dict:
    q = statistics.quantiles(times, n=100)
    return {
        "p50_ms": round(statistics.median(times) * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
    }


def keys_and_idle(env, presses: int) -> dict:
    term = Terminal(_studio(env), env)
    try:
        term.wait_for("project(s) in")
        term.drain(0.5)
        term.send(ENTER)
        term.wait_for("Storyboard")
        term.drain(1.5)
        tick = os.sysconf("SC_CLK_TCK")

        def cpu() -> float:
            fields = Path(f"/proc/{term.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick

        c0, t0 = cpu(), time.perf_counter()
        term.drain(10.0)
        idle_cpu = 100 * (cpu() - c0) / (time.perf_counter() - t0)
        first = _series(term, 4)
        idle = _series(term, presses)
        term.send(CTRL_R)
        term.wait_for("rendering (job-")
        term.drain(1.0)  # the workers are busy by now
        term.mark()
        busy = _series(term, presses)
        still_running = b"lantern-road done" not in term.log  # the notification of the render's end
        term.send(b"\x18")  # ctrl+x: cancel the render (its workers stop with it) …
        term.drain(1.0)
        term.send(b"\x11")  # … and ctrl+q: quit
        term.proc.wait(60)
        return {
            "idle_cpu_percent": round(idle_cpu, 2),
            "keys_idle": _stats(idle),
            "keys_rendering": _stats(busy),
            "render_still_running_after_the_presses": still_running,
            "first_showing_ms": [round(t * 1000, 1) for t in first],
        }
    finally:
        term.close()


def prepared() -> dict[str, str]:
    """A fresh world with the sample imported and planned, as a 1080p project (so that its render outlasts the
    key presses made during it); fresh each time, so that no run reuses the steps an earlier run rendered."""
    env = world()
    moviegen(env, "import", str(SAMPLE), "--slug", "lantern-road")
    moviegen(env, "plan", "lantern-road")
    config = Path(env["MOVIEGEN_PROJECTS_DIR"]) / "lantern-road" / "moviegen.toml"
    config.write_text(config.read_text().replace('resolution = "1280x720"', 'resolution = "1920x1080"'))
    return env


def repeated(presses: int, runs: int, through_brain: bool) -> dict:
    """keys_and_idle ``runs`` times, each in a fresh world; the medians of the runs' figures, and each run's."""
    each = []
    for _ in range(runs):
        env = prepared()
        with brain_server(env, workers=2) if through_brain else contextlib.nullcontext(env) as studio_env:
            each.append(keys_and_idle(studio_env, presses))

    def median(key: str, figure: str) -> float:
        return round(statistics.median(r[key][figure] for r in each), 1)

    return {
        "keys_idle": {f: median("keys_idle", f) for f in ("p50_ms", "p99_ms", "max_ms")},
        "keys_rendering": {f: median("keys_rendering", f) for f in ("p50_ms", "p99_ms", "max_ms")},
        "idle_cpu_percent": round(statistics.median(r["idle_cpu_percent"] for r in each), 2),
        "runs": each,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="start-ups to time, each way")
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--key-runs", type=int, default=3, help="runs of the key presses, each way")
    parser.add_argument("--only", choices=("in-process", "brain-server"), help="one way only")
    args = parser.parse_args()
    out: dict = {}
    if args.only in (None, "in-process"):
        out["startup"] = startup(prepared(), args.runs)
        out["in_process"] = repeated(args.presses, args.key_runs, through_brain=False)
    if args.only in (None, "brain-server"):
        with brain_server(prepared(), workers=2) as studio_env:
            out["startup_through_brain_server"] = startup(studio_env, args.runs)
        out["through_brain_server"] = repeated(args.presses, args.key_runs, through_brain=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
