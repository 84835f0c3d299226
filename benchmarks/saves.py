"""Saves under contention, measured: two processes each make 500 conflicting saves of one screenplay.

    python benchmarks/saves.py                   # 5 runs: the locked save and the old unlocked one (~1 minute)
    python benchmarks/saves.py --runs 3 --brain  # and the same through a real `moviegen brain serve`

Each save reads the screenplay and its digest, appends a unique marker line and writes with that digest; a
refused save (ConflictError) is counted and the next attempt reads again. Since every save appends to the
text it read, the final file must hold every acknowledged marker: "lost" counts those it does not.

- locked: `Project.write_screenplay(text, expect_digest=...)`, the check and the rename under one lock.
- unlocked: the same save through the old `atomic.write_bytes` (check, then temp, fsync, rename; no lock),
  reproduced below as `unlocked_write`, to show what the lock is for.
- brain (`--brain`): `screenplay_get` and `screenplay_update` over WebSocket to a brain server.

Both writers run in their own processes, started together; "saves/s" is attempts (acknowledged + refused)
per second of wall time from the start signal to the last result. Medians of the runs; "lost" also as the
worst run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(1, str(Path(__file__).resolve().parent))

# From this folder, not as benchmarks._common: a dependency (grandiso) installs a top-level package named
# 'benchmarks' that shadows this folder when imported by that name.
from _common import ROOT, brain_server  # noqa: E402

BASE = "Title: Contention\n\nINT. ROOM - DAY\n\nA room.\n"
MARKER = re.compile(r"^Beat ([a-z]+)-(\d+)\.$", re.M)


def unlocked_write(path: Path, text: str, expect_digest: str) -> str:
    """The save as it was before the lock (moviegen/core/atomic.py at 3bab62c): the digest is checked, then a
    temp file is written, fsynced and renamed, with nothing stopping another writer between check and rename."""
    data = text.encode("utf-8")
    current = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
    if current is not None and current != expect_digest:
        from moviegen.core.errors import ConflictError

        raise ConflictError(f"{path.name} changed on disk since it was opened")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest()


def writer(mode: str, target: str, tag: str, n: int) -> None:
    """One client (run as a child process): waits for 'go' on stdin, makes ``n`` saves, prints what happened."""
    from moviegen.core.errors import MoviegenError

    if mode == "brain":
        from moviegen.brain.remote import RemoteBrain

        brain = RemoteBrain(target)

        def read() -> tuple[str, str]:
            got = brain.call("screenplay_get", project_id="bench")
            return got["text"], got["digest"]

        def save(text: str, digest: str) -> None:
            brain.call("screenplay_update", project_id="bench", text=text, expect_digest=digest)

        read()  # connect before the start
    else:
        from moviegen.core.fountain import parse
        from moviegen.core.project import ProjectStore

        folder = Path(target)
        project = ProjectStore(folder.parent).open(folder.name)
        read = project.screenplay_with_digest
        if mode == "locked":

            def save(text: str, digest: str) -> None:
                project.write_screenplay(text, expect_digest=digest)
        else:

            def save(text: str, digest: str) -> None:
                parse(text)  # as write_screenplay does
                unlocked_write(folder / "screenplay.fountain", text, digest)

    print("ready", flush=True)
    sys.stdin.readline()
    acked, refused = [], 0
    for i in range(n):
        text, digest = read()
        try:
            save(text + f"\nBeat {tag}-{i}.\n", digest)
            acked.append(i)
        except MoviegenError as exc:
            if getattr(exc, "code", "") != "conflict" and "changed on disk" not in str(exc):
                raise
            refused += 1
    print(json.dumps({"tag": tag, "acked": acked, "refused": refused}), flush=True)


def contend(mode: str, target: str, saves: int, env: dict[str, str]) -> dict:
    """Two writers at once; returns their acknowledged and refused saves and the wall time."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--writer", mode, target, tag, str(saves)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for tag in ("a", "b")
    ]
    try:
        for p in procs:
            if p.stdout.readline().strip() != "ready":
                raise SystemExit(f"a {mode} writer did not start")
        start = time.perf_counter()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [json.loads(p.stdout.readline()) for p in procs]
        wall = time.perf_counter() - start
        for p in procs:
            p.wait(60)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return {"results": results, "wall": wall}


def tally(final: str, run: dict) -> dict:
    seen = {(tag, int(i)) for tag, i in MARKER.findall(final)}
    acked = [(r["tag"], i) for r in run["results"] for i in r["acked"]]
    refused = sum(r["refused"] for r in run["results"])
    return {
        "acknowledged": len(acked),
        "conflicts": refused,
        "lost": sum(1 for m in acked if m not in seen),
        "saves_per_s": (len(acked) + refused) / run["wall"],
        "acknowledged_per_s": len(acked) / run["wall"],
    }


def direct(mode: str, saves: int, env: dict[str, str]) -> dict:
    """One run on a fresh project: two processes saving straight to the project folder."""
    from moviegen.core.models import ProjectInfo
    from moviegen.core.project import ProjectStore

    root = Path(tempfile.mkdtemp(prefix="moviegen-saves-"))
    project = ProjectStore(root).create(ProjectInfo(slug="bench", title="Bench", premise="saves under contention"))
    project.write_screenplay(BASE)
    run = contend(mode, str(project.path), saves, env)
    return tally(project.screenplay_text(), run)


def through_brain(url: str, saves: int = 500, env: dict[str, str] | None = None) -> dict:
    """One run through a running brain server at ``url`` (ws://…/mcp/ws) whose projects include 'bench':
    each writer is a RemoteBrain calling the tools screenplay_get and screenplay_update."""
    from moviegen.brain.remote import RemoteBrain

    brain = RemoteBrain(url)
    try:
        current = brain.call("screenplay_get", project_id="bench")
        brain.call("screenplay_update", project_id="bench", text=BASE, expect_digest=current["digest"])
        run = contend("brain", url, saves, env or dict(os.environ))
        final = brain.call("screenplay_get", project_id="bench")["text"]
    finally:
        brain.close()
    return tally(final, run)


def bench_project(env: dict[str, str]) -> None:
    """The project 'bench' (its screenplay: BASE) in the world a brain server will serve."""
    from moviegen.core.models import ProjectInfo
    from moviegen.core.project import ProjectStore

    ProjectStore(Path(env["MOVIEGEN_PROJECTS_DIR"])).create(
        ProjectInfo(slug="bench", title="Bench", premise="saves under contention")
    ).write_screenplay(BASE)


def summary(runs: list[dict]) -> dict:
    out = {key: round(statistics.median(r[key] for r in runs), 1) for key in runs[0]}
    out["lost_worst_run"] = max(r["lost"] for r in runs)
    out["runs"] = runs
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--saves", type=int, default=500, help="saves per writer (two writers)")
    parser.add_argument("--brain", action="store_true", help="also measure through a brain server")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "saves.json")
    parser.add_argument("--writer", nargs=4, metavar=("MODE", "TARGET", "TAG", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        mode, target, tag, n = args.writer
        writer(mode, target, tag, int(n))
        return
    base = Path(tempfile.mkdtemp(prefix="moviegen-saves-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MOVIEGEN_")},
        "MOVIEGEN_HOME": str(base / "home"),
        "MOVIEGEN_PROJECTS_DIR": str(base / "projects"),
        "PYTHONPATH": str(ROOT),  # the writers save with this checkout's code
    }
    report: dict = {"writers": 2, "saves_each": args.saves}
    for mode in ("locked", "unlocked"):
        report[mode] = summary([direct(mode, args.saves, env) for _ in range(args.runs)])
        print(mode, json.dumps({k: v for k, v in report[mode].items() if k != "runs"}), flush=True)
    if args.brain:
        bench_project(env)
        with brain_server(env) as served:
            url = served["MOVIEGEN_BRAIN_URL"]
            report["brain"] = summary([through_brain(url, args.saves, env) for _ in range(args.runs)])
            print("brain", json.dumps({k: v for k, v in report["brain"].items() if k != "runs"}), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
