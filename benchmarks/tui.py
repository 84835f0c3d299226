"""The studio's figures: time to the first interactive screen, key press to screen update while a render runs,
idle CPU. Prints JSON.

    ../.venv/bin/python tui.py --runs 7

- start-up: the real `moviegen tui` in a real terminal (tmux, 100x30), from launching the command to the
  projects table being on the screen (read with capture-pane every 5 ms); beside it the same measure for
  `python -c "print('ready')"` in the same terminal, the floor every Python program pays.
- key to screen: the real app in tmux, a project open; F3 and F5 alternately (the Cast and Assistant tabs), each
  timed from sending the key until its tab is on the screen (capture-pane every 2 ms; the tmux round trips are
  included, so this is an upper bound); 100 presses while a 720p render of the sample runs in the background
  (in-process job, two worker processes on the two cores), and 100 with nothing running, as the baseline.
- idle CPU: the real `moviegen tui` in tmux, a project open, nothing happening: CPU seconds of its process
  over 10 s of wall time, from /proc.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SAMPLE, moviegen, world  # noqa: E402


def _tmux(env, *args, check=True):
    return subprocess.run(["tmux", *args], env=env, capture_output=True, text=True, check=check)


def _time_to_text(env, command: str, text: str, timeout: float = 30.0) -> float:
    session = f"bench-{uuid.uuid4().hex[:6]}"
    start = time.perf_counter()
    _tmux(env, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", command)
    try:
        while time.perf_counter() - start < timeout:
            if text in _tmux(env, "capture-pane", "-p", "-t", session, check=False).stdout:
                return time.perf_counter() - start
            time.sleep(0.005)
        raise SystemExit(f"'{text}' never appeared")
    finally:
        _tmux(env, "kill-session", "-t", session, check=False)


def startup(env, runs: int) -> dict:
    exe = Path(sys.executable).with_name("moviegen")
    studio = [_time_to_text(env, f"exec {exe} tui", "project(s) in") for _ in range(runs)]
    floor = [_time_to_text(env, f"{sys.executable} -c \"print('rea'+'dy')\"; sleep 5", "ready")
             for _ in range(runs)]  # fmt: skip
    return {
        "moviegen_tui_ms": round(statistics.median(studio) * 1000, 1),
        "runs_ms": [round(t * 1000, 1) for t in studio],
        "python_print_ms": round(statistics.median(floor) * 1000, 1),
    }


def idle_cpu(env, seconds: float = 10.0) -> dict:
    exe = Path(sys.executable).with_name("moviegen")
    session = f"bench-{uuid.uuid4().hex[:6]}"
    _tmux(env, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"exec {exe} tui")
    try:
        pid = int(_tmux(env, "list-panes", "-t", session, "-F", "#{pane_pid}").stdout.split()[0])
        time.sleep(3)
        _tmux(env, "send-keys", "-t", session, "Enter")  # open the project: its tabs, editor, tables
        time.sleep(3)
        tick = os.sysconf("SC_CLK_TCK")

        def cpu() -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick

        c0, t0 = cpu(), time.perf_counter()
        time.sleep(seconds)
        used, wall = cpu() - c0, time.perf_counter() - t0
        return {"idle_cpu_percent": round(100 * used / wall, 2), "cpu_seconds": used, "wall_seconds": round(wall, 1)}
    finally:
        _tmux(env, "kill-session", "-t", session, check=False)


def key_latency(env, presses: int) -> dict:
    """Alternate two tabs (F3 cast, F5 assistant) and time each key until its tab is on the screen."""
    exe = Path(sys.executable).with_name("moviegen")
    session = f"bench-{uuid.uuid4().hex[:6]}"
    _tmux(env, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", f"exec {exe} tui")

    def shown() -> str:
        return _tmux(env, "capture-pane", "-p", "-t", session, check=False).stdout

    def wait(text: str, timeout: float = 30.0) -> None:
        deadline = time.perf_counter() + timeout
        while text not in shown():
            if time.perf_counter() > deadline:
                raise SystemExit(f"'{text}' never appeared:\n{shown()}")
            time.sleep(0.002)

    def press(key: str, marker: str) -> float:
        start = time.perf_counter()
        _tmux(env, "send-keys", "-t", session, key)
        wait(marker)
        return time.perf_counter() - start

    def series(n: int) -> list[float]:
        return [press("F3", "speaks in") if i % 2 == 0 else press("F5", "Ask about this project") for i in range(n)]

    try:
        wait("project(s) in")
        _tmux(env, "send-keys", "-t", session, "Enter")
        wait("Storyboard")
        time.sleep(1)
        first = series(4)  # the first showing of each tab lays it out: reported apart
        idle = series(presses)
        _tmux(env, "send-keys", "-t", session, "C-r")
        wait("rendering (job-")
        time.sleep(1.0)  # the workers are busy by now
        busy = series(presses)
        _tmux(env, "send-keys", "-t", session, "F7")
        time.sleep(0.3)
        still_running = "rendering (job-" in shown()
    finally:
        _tmux(env, "kill-session", "-t", session, check=False)
    q = statistics.quantiles
    return {
        "idle_p50_ms": round(statistics.median(idle) * 1000, 1),
        "idle_p99_ms": round(q(idle, n=100)[98] * 1000, 1),
        "rendering_p50_ms": round(statistics.median(busy) * 1000, 1),
        "rendering_p99_ms": round(q(busy, n=100)[98] * 1000, 1),
        "render_still_running_after_the_presses": still_running,
        "first_showing_ms": [round(t * 1000, 1) for t in first],
        "idle_slowest_ms": sorted(round(t * 1000, 1) for t in idle)[-5:],
        "rendering_slowest_ms": sorted(round(t * 1000, 1) for t in busy)[-5:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--presses", type=int, default=100)
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed: apt-get install tmux")
    env = world()
    env["TMUX_TMPDIR"] = str(Path(env["MOVIEGEN_HOME"]).parent)
    env.pop("TMUX", None)
    moviegen(env, "import", str(SAMPLE), "--slug", "lantern-road")
    moviegen(env, "plan", "lantern-road")
    out = {"startup": startup(env, args.runs), "idle": idle_cpu(env), "keys": key_latency(env, args.presses)}
    _tmux(env, "kill-server", check=False)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
