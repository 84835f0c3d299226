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
  the background (in-process job, two worker processes on the two cores). The first showing of each tab (its
  first layout) is reported apart.
- idle CPU: a project open, nothing happening: CPU seconds of the process over 10 s, from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SAMPLE, moviegen, world  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--presses", type=int, default=200)
    args = parser.parse_args()
    env = world()
    moviegen(env, "import", str(SAMPLE), "--slug", "lantern-road")
    moviegen(env, "plan", "lantern-road")
    # a 1080p film, so that the render outlasts the key presses made during it
    config = Path(env["MOVIEGEN_PROJECTS_DIR"]) / "lantern-road" / "moviegen.toml"
    config.write_text(config.read_text().replace('resolution = "1280x720"', 'resolution = "1920x1080"'))
    print(json.dumps({"startup": startup(env, args.runs), **keys_and_idle(env, args.presses)}, indent=2))


if __name__ == "__main__":
    main()
