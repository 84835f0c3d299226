"""Foundation figures: CLI start-up, screenplay parse+write, offline story development.

python benchmarks/foundation.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from _common import median_time, moviegen, world

from moviegen.brain.providers.story_writer.writer import develop
from moviegen.core.fountain import parse, write

PREMISE = "A courier races a flood to relight the valley's last beacon"


def long_screenplay(pages: int = 120) -> str:
    """About 55 lines a page: stories from several premises, repeated with numbered scenes."""
    premises = [
        PREMISE,
        "A detective investigates the disappearance of the town's only clockmaker",
        "A lonely robot follows a strange signal to the far side of the moon",
        "Two sisters inherit their mother's crumbling farmhouse and one last recipe",
    ]
    bodies = [develop(p, seed).screenplay.split("\n\n", 1)[1] for seed in range(3) for p in premises]
    text, n = "Title: Benchmark\nAuthor: moviegen\n\n", 0
    while text.count("\n") < pages * 55:
        text += bodies[n % len(bodies)] + "\n"
        n += 1
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    env = world()
    exe = [sys.executable, "-m", "moviegen"]
    help_s, _ = median_time(
        lambda: subprocess.run([*exe, "--help"], env=env, capture_output=True, check=True), args.runs
    )
    baseline_s, _ = median_time(lambda: subprocess.run([sys.executable, "-c", "pass"], env=env, check=True), args.runs)

    text = long_screenplay()
    parsed = parse(text)
    assert parse(write(parsed)) == parsed
    parse_write_s, _ = median_time(lambda: write(parse(text)), args.runs)

    moviegen(env, "new", PREMISE, "--title", "Bench")
    develop_cli_s, _ = median_time(lambda: moviegen(env, "develop", "bench", "--force"), max(3, args.runs // 2))
    develop_core_s, _ = median_time(lambda: develop(PREMISE, 7), args.runs)

    result = {
        "help_wall_s": round(help_s, 3),
        "python_startup_s": round(baseline_s, 3),
        "screenplay_lines": text.count("\n"),
        "screenplay_elements": len(parsed.elements),
        "parse_write_120_pages_ms": round(parse_write_s * 1000, 1),
        "develop_cli_wall_s": round(develop_cli_s, 3),
        "develop_in_process_ms": round(develop_core_s * 1000, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
