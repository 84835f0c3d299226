"""How well the offline story writer reads a premise, before and after, and how long a story takes.

    python benchmarks/premises.py                    # the writer in the working tree vs the writer at BEFORE
    python benchmarks/premises.py --before <commit>  # compare with another commit's writer
    python benchmarks/premises.py --runs 9           # more timing runs (default 5)

The premises and the scorer are tests/unit/brain/test_premises.py and tests/data/premises.json: 40
premises, each scored on hero, relation, goal, obstacle and key-noun recall over seeds 1-3; accuracy is the
mean of each premise's mean. The first 30 premises were used to tune the writer, the last 10 are held out.

The old writer is read from git (`git show <commit>:moviegen/brain/providers/story_writer/<file>`) into a
temporary directory, and a child process imports it in place of the package's own modules (the package's
__init__, the provider class the scorer calls, is unchanged between the two). Each version is scored and
timed in its own process. Time per story is the median over runs of (time to make every premise's story
for every seed) / (number of stories), through the same entry point `generate_text` uses; the first run in
each process is a warm-up and is not counted.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "moviegen/brain/providers/story_writer"
BEFORE = "c1ba922f1a9a395eeaed25ac6bbd89f395c6fb1c"  # the premise set and the scorer, with the old writer


def _scorer():
    spec = importlib.util.spec_from_file_location("premise_scorer", ROOT / "tests/unit/brain/test_premises.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def measure(writer_dir: str, runs: int) -> dict:
    """Score and time the writer (the working tree's, or the one in writer_dir); runs in a child process."""
    sys.path.insert(0, str(ROOT))
    if writer_dir:
        import moviegen.brain.providers.story_writer as package

        package.__path__[:] = [writer_dir]  # its submodules (writer, premise, ...) now load from there
    scorer = _scorer()
    items = scorer.load()
    results, figures = scorer.score_all(items)
    stories = [(item["premise"], seed) for item in items for seed in scorer.SEEDS]
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        for premise, seed in stories:
            scorer.develop(premise, seed)
        times.append((time.perf_counter() - start) / len(stories))
    per_premise = [{k: round(v, 3) for k, v in r.items()} for r in results]
    return {"figures": figures, "ms_per_story": statistics.median(times[1:]) * 1000, "per_premise": per_premise}


def _old_writer(commit: str, into: Path) -> None:
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{commit}:{PACKAGE}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in names:
        if name.endswith(".py"):
            blob = subprocess.run(
                ["git", "show", f"{commit}:{PACKAGE}/{name}"], cwd=ROOT, capture_output=True, check=True
            )
            (into / name).write_bytes(blob.stdout)


def _child(writer_dir: str, runs: int) -> dict:
    cmd = [sys.executable, __file__, "--measure", writer_dir or "-", "--runs", str(runs)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE, help="the commit whose writer is 'before'")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure("" if args.measure == "-" else args.measure, args.runs)))
        return
    with tempfile.TemporaryDirectory(prefix="story-writer-before-") as tmp:
        _old_writer(args.before, Path(tmp))
        before = _child(tmp, args.runs)
    after = _child("", args.runs)
    if args.json:
        print(json.dumps({"before": before, "after": after}, indent=1))
        return
    print(f"premises: tests/data/premises.json; before = writer at {args.before[:10]}, after = working tree")
    print(f"{'':12}{'all 40':>18}{'tuned on 30':>18}{'held-out 10':>18}")
    for measure_name in ("accuracy", "hero", "relation", "goal", "obstacle", "nouns"):
        cells = []
        for part in ("all", "tune", "held_out"):
            b, a = before["figures"][part][measure_name], after["figures"][part][measure_name]
            cells.append(f"{b:.3f} -> {a:.3f}")
        print(f"{measure_name:12}" + "".join(f"{c:>18}" for c in cells))
    print(f"{'ms/story':12}{before['ms_per_story']:>11.2f} -> {after['ms_per_story']:.2f}")


if __name__ == "__main__":
    main()
