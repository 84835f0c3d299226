"""What leaves the studio (issue #15), measured in this process on temp folders.

    python benchmarks/exports.py              # about two minutes
    python benchmarks/exports.py --runs 5

- screenplay: the PDF and the Final Draft XML of a ~120-page screenplay (foundation.py's ``long_screenplay``:
  the offline story writer's scripts repeated), timed around ``screenplay_pdf`` and ``screenplay_fdx`` after
  parsing; the PDF's page count (pypdf) says how long it really is;
- the cut: OTIO, CMX 3600 EDL and FCPXML of a synthetic 500-shot render report (5 s shots, a spoken line in
  each, placeholder media files), the three from one reading of the report (``timeline_otio.cuts``), and each
  alone (``timeline_otio.cut``); against OTIO's own way: the .otio from a timeline built with its Python API
  (the tests' reference), its adapters for the EDL (every run) and the FCPXML (once: 25 s);
- HLS: a 60 s 1280x720 24 fps film with a sound track (ffmpeg's testsrc2 and a sine, encoded once up front:
  moving, detailed pictures cost x264 about what a render's do, and it takes seconds where a render takes
  minutes) put where the last render goes, then the ``hls`` preset through ``transcode`` (the service, no
  job); against ONE ffmpeg command writing the same ladder with its own HLS muxer (``var_stream_map``,
  ``master_pl_name``) and the same x264 settings, run alternately with ours; and that command once more at
  x264's ``veryfast`` preset (ours uses ``transcode_hls.PRESET``, veryfast since 2026-12-01);
- webhooks: a LocalBrain with a webhook to the local receiver (tests/fakes/webhook_receiver.py), 1,000
  ``workflow.stored`` events published on its bus every 5 ms, each carrying its publish time; event to
  delivery latency at the receiver (p50, p99), deliveries a second, and how many never arrived; again at
  every 20 ms, and all at once. Against each, alternately, the baseline: the same events signed and POSTed
  one by one as they come by a thread on a bare bus (no outbox). Then the same 1,000 queued against
  a receiver answering 503, the brain closed with them queued, and a new brain on the same projects sending
  them: how many arrived (and how many twice).
Medians of several runs.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

SHOTS, FPS, SHOT_FRAMES = 500, 24, 120
EVENTS, EVERY = 1000, 0.005
PAGES = 101  # long_screenplay counts 55 source lines a page; laid out, 101 of those make ~120 pages


@contextlib.contextmanager
def _brain(root: Path, **settings_kw):
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings

    brain = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home", **settings_kw), workers=1)
    try:
        yield brain
    finally:
        brain.close()


# ------------------------------------------------------------------ the screenplay
def screenplay_figures(runs: int) -> dict[str, float]:
    import io

    from foundation import long_screenplay
    from pypdf import PdfReader

    from moviegen.core.fountain import parse
    from moviegen.services.export.fdx import screenplay_fdx
    from moviegen.services.export.screenplay_pdf import screenplay_pdf

    screenplay = parse(long_screenplay(PAGES))
    pdf = screenplay_pdf(screenplay, "Benchmark")  # warm: ReportLab's imports and font metrics
    pages = len(PdfReader(io.BytesIO(pdf)).pages) - 1  # less the title page
    pdf_s, fdx_s = [], []
    for _ in range(runs):
        t = time.perf_counter()
        screenplay_pdf(screenplay, "Benchmark")
        pdf_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        screenplay_fdx(screenplay, "Benchmark")
        fdx_s.append(time.perf_counter() - t)
    return {"pages": pages, "pdf_s": statistics.median(pdf_s), "fdx_ms": 1000 * statistics.median(fdx_s),
            "pdf_kb": len(pdf) / 1024}  # fmt: skip


# ------------------------------------------------------------------ the cut
def cut_report(project_path: Path) -> Path:
    """A render report of SHOTS shots (as the render writes them), with small placeholder media files."""
    import json

    from moviegen.core import locations

    assets = project_path / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    shots = []
    for i in range(SHOTS):
        for name in (f"seg{i:04d}.mp4", f"still{i:04d}.png", f"line{i:04d}.wav"):
            (assets / name).write_bytes(b"0")
        start = i * SHOT_FRAMES
        shots.append({"id": f"{i // 10 + 1}.{i % 10 + 1}", "scene": i // 10 + 1, "start_frame": start,
                      "frames": SHOT_FRAMES, "segment": f"assets/seg{i:04d}.mp4", "frame": f"assets/still{i:04d}.png",
                      "framing": "medium", "camera": "static", "caption": f"shot {i}",
                      "lines": [{"character": "MARA", "text": f"Line {i}, said once.", "beat": 1,
                                 "voice": f"assets/line{i:04d}.wav", "start": start / FPS + 0.5, "duration": 2.25}]})  # fmt: skip
    (assets / "mix.wav").write_bytes(b"0")
    renders = locations.renders_dir(project_path)
    renders.mkdir(parents=True, exist_ok=True)
    report = {"shots": shots, "fps": FPS, "frames": SHOTS * SHOT_FRAMES, "width": 1280, "height": 720,
              "duration": SHOTS * SHOT_FRAMES / FPS, "mix": "assets/mix.wav"}  # fmt: skip
    path = renders / "bench-cut.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


def cut_figures(runs: int) -> dict[str, float]:
    import opentimelineio as otio

    from moviegen.services.export.timeline_otio import cut, cuts, last_render, otio_timeline, read_cut
    from tests.unit.services.test_export_otio import otio_through_its_bindings

    formats = ("otio", "edl", "fcpxml")
    with tempfile.TemporaryDirectory() as tmp, _brain(Path(tmp)) as brain:
        brain.project_create("A keeper races a storm to light the lamp", slug="bench")
        project = brain.project("bench")
        cut_report(project.path)
        sizes = {fmt: len(data) for fmt, data in cuts(project, formats)[1].items()}  # warm: OTIO's plugins
        report_path, report = last_render(project)
        timeline = otio_timeline(read_cut(project, report_path, report))
        assert otio.adapters.write_to_string(timeline, "cmx_3600") == cut(project, "edl")[1].decode()
        assert otio_through_its_bindings(project) == cut(project, "otio")[1].decode()
        each: dict[str, list[float]] = {fmt: [] for fmt in formats}
        total, cpu, adapter_edl, bindings_otio = [], [], [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.thread_time()
            cuts(project, formats)
            total.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)  # this thread's CPU: the work, without the waits of a busy machine
            for fmt in formats:
                t = time.perf_counter()
                cut(project, fmt)
                each[fmt].append(time.perf_counter() - t)
            t = time.perf_counter()  # the baselines: OTIO's cmx_3600 adapter on the same (already built) timeline,
            otio.adapters.write_to_string(timeline, "cmx_3600")
            adapter_edl.append(time.perf_counter() - t)
            t = time.perf_counter()  # and the .otio as OTIO writes it, the timeline built with its Python API
            otio_through_its_bindings(project)
            bindings_otio.append(time.perf_counter() - t)
        t = time.perf_counter()  # once: OTIO's fcpx_xml adapter (quadratic: about 25 s at 500 shots)
        otio.adapters.write_to_string(timeline, "fcpx_xml")
        adapter_fcpxml = time.perf_counter() - t
    return {"total_ms": 1000 * statistics.median(total), "cpu_ms": 1000 * statistics.median(cpu),
            **{f"{fmt}_ms": 1000 * statistics.median(v) for fmt, v in each.items()},
            **{f"{fmt}_kb": n / 1024 for fmt, n in sizes.items()},
            "adapter_edl_ms": 1000 * statistics.median(adapter_edl), "adapter_fcpxml_s": adapter_fcpxml,
            "bindings_otio_ms": 1000 * statistics.median(bindings_otio)}  # fmt: skip


# ------------------------------------------------------------------ HLS
def test_film(path: Path) -> None:
    """60 s of 1280x720 at 24 fps with a stereo AAC track, made once (not timed)."""
    from moviegen.services.transcode import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=24:duration=60",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=60", "-ac", "2",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-b:a", "160k", "-shortest", "-movflags", "+faststart", str(path)], check=True)  # fmt: skip


def one_command(src, out: Path, preset: str | None = None) -> list[str]:
    from moviegen.services.transcode_hls import PRESET

    preset = preset or PRESET
    """The same ladder as transcode_hls.write_ladder in one ffmpeg command with ffmpeg's own HLS muxer
    writing every variant and the master playlist (var_stream_map)."""
    from moviegen.services.transcode import ffmpeg_exe, fit
    from moviegen.services.transcode_hls import SEGMENT, rungs_for

    rungs = rungs_for(src.width, src.height)
    split = "".join(f"[s{i}]" for i in range(len(rungs)))
    graph = ";".join([f"[0:v]split={len(rungs)}{split}"] + [
        f"[s{i}]scale={w}:{h}:flags=lanczos,format=yuv420p[v{i}]"
        for i, (w, h) in enumerate(fit(src, r.short) for r in rungs)])  # fmt: skip
    args = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(src.path),
            "-filter_complex", graph]  # fmt: skip
    for i in range(len(rungs)):
        args += ["-map", f"[v{i}]", "-map", "0:a:0"]
    args += ["-c:v", "libx264", "-preset", preset, "-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT})",
             "-sc_threshold", "0", "-c:a", "aac", "-ac", "2"]  # fmt: skip
    for i, rung in enumerate(rungs):
        args += [f"-crf:v:{i}", str(rung.crf), f"-profile:v:{i}", "main" if rung.short <= 360 else "high",
                 f"-maxrate:v:{i}", f"{rung.maxrate}k", f"-bufsize:v:{i}", f"{rung.maxrate * 2}k",
                 f"-b:a:{i}", f"{rung.audio}k"]  # fmt: skip
    streams = " ".join(f"v:{i},a:{i},name:{r.short}p" for i, r in enumerate(rungs))
    return [*args, "-f", "hls", "-hls_time", str(SEGMENT), "-hls_playlist_type", "vod", "-hls_segment_type", "mpegts",
            "-hls_flags", "independent_segments", "-master_pl_name", "master.m3u8", "-var_stream_map", streams,
            "-hls_segment_filename", str(out / "%v" / "seg_%03d.ts"), str(out / "%v" / "index.m3u8")]  # fmt: skip


def hls_figures(runs: int) -> dict[str, float]:
    import json

    from moviegen.core import locations
    from moviegen.services.transcode import source, transcode

    with tempfile.TemporaryDirectory() as tmp, _brain(Path(tmp)) as brain:
        brain.project_create("A keeper races a storm to light the lamp", slug="bench")
        project = brain.project("bench")
        renders = locations.renders_dir(project.path)
        renders.mkdir(parents=True, exist_ok=True)
        test_film(renders / "bench-film.mp4")
        (renders / "bench-film.json").write_text(json.dumps({"shots": [], "fps": 24, "frames": 1440,
                                                             "width": 1280, "height": 720, "duration": 60.0}))  # fmt: skip
        src = source(project)
        ours, theirs, rungs = [], [], 0
        for _ in range(runs):  # alternately, so both see the same machine
            t = time.perf_counter()
            result = transcode(project, ["hls"])
            ours.append(time.perf_counter() - t)
            rungs = len(result["presets"][0]["variants"])
            out = Path(tmp) / "one-command"
            shutil.rmtree(out, ignore_errors=True)
            t = time.perf_counter()
            subprocess.run(one_command(src, out), check=True)
            theirs.append(time.perf_counter() - t)
            assert (out / "master.m3u8").exists()
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()  # once: what the same command takes at x264's veryfast
        subprocess.run(one_command(src, out, "veryfast"), check=True)
        veryfast = time.perf_counter() - t
    return {"ours_s": statistics.median(ours), "one_command_s": statistics.median(theirs), "rungs": rungs,
            "veryfast_s": veryfast}  # fmt: skip


# ------------------------------------------------------------------ webhooks
def _publish(publish, every: float) -> float:
    """EVENTS workflow.stored events, one every ``every`` s (0: all at once), each with its publish time; the
    time.monotonic() of the first."""
    start = time.perf_counter()
    for i in range(EVENTS):  # a steady rate, not a burst (unless every is 0)
        time.sleep(max(0.0, start + i * every - time.perf_counter()))
        publish("workflow.stored", project="bench", workflow=f"w{i}", sent=time.monotonic())
    return time.monotonic() - (time.perf_counter() - start)


def _arrivals(receiver, first: float) -> dict[str, float]:
    """Event to delivery at the receiver: p50, p99, largest, how many never arrived, deliveries a second."""
    import json

    got = {}
    for d in receiver.deliveries:
        data = json.loads(d.body)["data"]
        got.setdefault(data["workflow"], d.at - data["sent"])
    latencies = sorted(got.values())
    p = statistics.quantiles(latencies, n=100)
    return {"p50_ms": 1000 * statistics.median(latencies), "p99_ms": 1000 * p[98], "max_ms": 1000 * latencies[-1],
            "lost": EVENTS - len(got), "per_s": len(got) / (max(d.at for d in receiver.deliveries) - first)}  # fmt: skip


def webhook_figures(every: float = EVERY) -> dict[str, float]:
    from tests.fakes.webhook_receiver import Receiver

    os.environ["MOVIEGEN_WEBHOOKS__ALLOW_PRIVATE"] = "1"  # the receiver is on loopback
    with tempfile.TemporaryDirectory() as tmp, Receiver() as receiver:
        with _brain(Path(tmp)) as brain:
            brain.project_create("A keeper races a storm to light the lamp", slug="bench")
            brain.webhook_add("bench", receiver.url, ["workflow.stored"])
            time.sleep(0.5)  # the sender thread is up
            first = _publish(brain.bus.publish, every)
            with contextlib.suppress(AssertionError):
                receiver.wait(EVENTS, timeout=60)
        return _arrivals(receiver, first)


def bare_post_figures(every: float = EVERY) -> dict[str, float]:
    """The baseline: the same events, each signed and POSTed as it comes by one thread listening on a bare
    event bus, with the same sender and keep-alive client — no outbox, nothing kept, nothing retried."""
    import threading

    import httpx

    from moviegen.services.webhooks.events import body
    from moviegen.services.webhooks.sender import send
    from moviegen.services.webhooks.store import new_secret
    from moviegen.workers.events import EventBus
    from tests.fakes.webhook_receiver import Receiver

    bus, secret = EventBus(), new_secret()
    with Receiver() as receiver, httpx.Client(timeout=10.0) as client, bus.listen() as queue:

        def post() -> None:
            for n in range(EVENTS):
                event = queue.get()
                data = {k: v for k, v in event.items() if k not in ("kind", "at")}
                payload = body(event["kind"], data, event["at"])
                send(client, receiver.url, f"msg_{n}", secret, payload, allow_private=True)

        poster = threading.Thread(target=post, name="bare-post", daemon=True)
        poster.start()
        first = _publish(bus.publish, every)
        poster.join(60)
        return _arrivals(receiver, first)


def restart_figures() -> dict[str, float]:
    """1,000 messages queued against a receiver answering 503, the brain closed, and a new brain (the receiver
    answering again) sending them."""
    import json

    from moviegen.services.webhooks.store import WebhookStore
    from tests.fakes.webhook_receiver import Receiver

    os.environ.update(MOVIEGEN_WEBHOOKS__BACKOFF="[2, 2, 2]", MOVIEGEN_WEBHOOKS__DISABLE_AFTER="100000")
    try:
        with tempfile.TemporaryDirectory() as tmp, Receiver(answers=[503] * 10 * EVENTS) as receiver:
            with _brain(Path(tmp)) as brain:
                brain.project_create("A keeper races a storm to light the lamp", slug="bench")
                brain.webhook_add("bench", receiver.url, ["workflow.stored"])
                for i in range(EVENTS):
                    brain.bus.publish("workflow.stored", project="bench", workflow=f"w{i}", sent=time.monotonic())
                path = brain.project("bench").path
            with WebhookStore(path) as store:
                queued = store.db.execute("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
                queued = queued.fetchone()[0]
            receiver.answers.clear()  # the receiver is back: 200 from now on
            with _brain(Path(tmp)) as brain:
                brain._webhooks.start()  # as a brain server does: send what earlier processes left
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    with WebhookStore(path) as store:
                        if not store.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]:
                            break
                    time.sleep(0.2)
            ok = [json.loads(d.body)["data"]["workflow"] for d in receiver.deliveries if d.answered == 200]
    finally:
        for key in ("MOVIEGEN_WEBHOOKS__BACKOFF", "MOVIEGEN_WEBHOOKS__DISABLE_AFTER"):
            os.environ.pop(key, None)
    return {"queued_at_close": queued, "restart_lost": EVENTS - len(set(ok)), "restart_twice": len(ok) - len(set(ok))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["screenplay", "cut", "hls", "webhooks"], help="one figure only")
    args = parser.parse_args()
    print(f"load average at the start: {Path('/proc/loadavg').read_text().split()[:3]}")
    if args.only in (None, "screenplay"):
        s = screenplay_figures(max(args.runs, 5))
        print(f"screenplay of {s['pages']} pages: PDF {s['pdf_s']:.2f} s ({s['pdf_kb']:.0f} KB; goal < 2 s), "
              f"FDX {s['fdx_ms']:.0f} ms (goal < 200 ms)")  # fmt: skip
    if args.only in (None, "cut"):
        c = cut_figures(args.runs)
        print(f"cut of {SHOTS} shots: OTIO + EDL + FCPXML {c['total_ms']:.0f} ms (goal < 300 ms; CPU "
              f"{c['cpu_ms']:.0f} ms); each alone OTIO "
              f"{c['otio_ms']:.0f}, EDL {c['edl_ms']:.0f}, FCPXML {c['fcpxml_ms']:.0f} ms; OTIO's way: the .otio "
              f"through its Python API {c['bindings_otio_ms']:.0f} ms, its adapters on the built timeline: EDL "
              f"{c['adapter_edl_ms']:.0f} ms, FCPXML {c['adapter_fcpxml_s']:.1f} s (once); "
              f"sizes OTIO {c['otio_kb']:.0f} KB, EDL {c['edl_kb']:.0f} KB, FCPXML {c['fcpxml_kb']:.0f} KB")  # fmt: skip
    if args.only in (None, "hls"):
        h = hls_figures(args.runs)
        print(f"HLS ladder ({h['rungs']} rungs) of a 60 s 720p film: {h['ours_s']:.2f} s (goal < 15 s); one ffmpeg "
              f"command {h['one_command_s']:.2f} s, x{h['ours_s'] / h['one_command_s']:.2f}; the same command at x264 "
              f"veryfast {h['veryfast_s']:.2f} s")  # fmt: skip
    if args.only in (None, "webhooks"):
        for every in (EVERY, 4 * EVERY, 0.0):  # 200/s, 50/s, and all at once (how many a second it can send)
            ours, bare = [], []
            for _ in range(args.runs):  # alternately, so both see the same machine
                ours.append(webhook_figures(every))
                bare.append(bare_post_figures(every))
            med, base = ({k: statistics.median(r[k] for r in rs) for k in rs[0]} for rs in (ours, bare))
            rate, goal = (f"every {every * 1000:.0f} ms", " (goal < 200 ms)") if every else ("all at once", "")
            print(f"webhooks: {EVENTS} events {rate}, event to delivery p50 {med['p50_ms']:.1f} ms, p99 "
                  f"{med['p99_ms']:.1f} ms{goal}, largest {med['max_ms']:.0f} ms; {med['per_s']:.0f} "
                  f"delivered/s; lost {max(r['lost'] for r in ours)}. A bare POST per event (no outbox): p50 "
                  f"{base['p50_ms']:.1f} ms, p99 {base['p99_ms']:.1f} ms, {base['per_s']:.0f}/s; ours "
                  f"x{med['p99_ms'] / base['p99_ms']:.2f} at p99")  # fmt: skip
        runs = [restart_figures() for _ in range(args.runs)]
        print(f"restart: {min(r['queued_at_close'] for r in runs)} queued when the brain closed, "
              f"{max(r['restart_lost'] for r in runs)} lost, {max(r['restart_twice'] for r in runs)} twice")  # fmt: skip
    print(f"load average at the end: {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
