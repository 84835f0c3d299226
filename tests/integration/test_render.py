"""Films made end to end with the real CLI and worker pool, inspected with PyAV."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import av
import numpy as np
import pyloudnorm
import pytest
import tomlkit

from tests.conftest import FIXTURES
from tests.helpers import fundamental_hz
from tests.integration.conftest import RES, cli, import_and_plan, render_json, start_render

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def probe(path: str) -> dict:
    with av.open(path) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        return {
            "vcodec": v.codec_context.name,
            "acodec": a.codec_context.name,
            "size": (v.width, v.height),
            "fps": float(v.average_rate),
            "frames": v.frames,
            "vdur": float(v.duration * v.time_base),
            "adur": float(a.duration * a.time_base),
            "rate": a.rate,
            "channels": a.channels,
        }


def decode_audio(path: str) -> tuple[np.ndarray, int]:
    with av.open(path) as c:
        stream = c.streams.audio[0]
        chunks = [f.to_ndarray() for f in c.decode(stream)]
    return np.concatenate(chunks, axis=1).T.astype(np.float64), stream.rate


def test_film_has_streams_and_the_planned_length(rendered):
    root, report = rendered
    info = probe(report["film"])
    assert (info["vcodec"], info["acodec"], info["size"], info["fps"]) == ("h264", "aac", (320, 180), 24.0)
    assert (info["rate"], info["channels"]) == (48000, 2)
    assert info["frames"] == report["frames"] == sum(s["frames"] for s in report["shots"])
    frame = 1 / 24
    assert abs(info["vdur"] - info["adur"]) <= frame
    shots = tomlkit.parse((root / "projects/lantern-road/shots.toml").read_text())["shot"]
    planned = sum(float(s["duration"]) for s in shots)
    assert report["lengthened"] == [] and abs(info["vdur"] - planned) <= frame


def test_subtitles_one_per_line_timed_from_speech(rendered):
    _, report = rendered
    srt = Path(report["film"]).with_suffix(".srt").read_text()
    vtt = Path(report["film"]).with_suffix(".vtt").read_text()
    cues = re.findall(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})", srt)
    assert len(cues) == report["dialogue_lines"] == 9 and vtt.startswith("WEBVTT") and vtt.count(" --> ") == 9
    lines = [ln for s in report["shots"] for ln in s["lines"]]
    for cue, line in zip(cues, lines, strict=True):
        start = int(cue[0]) * 3600 + int(cue[1]) * 60 + int(cue[2]) + int(cue[3]) / 1000
        end = int(cue[4]) * 3600 + int(cue[5]) * 60 + int(cue[6]) + int(cue[7]) / 1000
        assert abs(start - line["start"]) < 0.002 and abs(end - start - line["duration"]) < 0.003
        assert end <= report["duration"]
    assert "Then I have fifty-nine minutes." in srt


def test_loudness_is_on_target_without_clipping(rendered):
    _, report = rendered
    audio, rate = decode_audio(report["film"])
    loudness = pyloudnorm.Meter(rate).integrated_loudness(audio)
    assert abs(loudness + 16.0) <= 1.0, loudness
    assert np.abs(audio).max() < 1.0


def test_characters_have_distinct_voices(rendered):
    root, report = rendered
    from moviegen.services.render.audio_io import read_wav

    pitch = {}
    for shot in report["shots"]:
        for line in shot["lines"]:
            audio, rate = read_wav(root / "projects/lantern-road" / line["voice"])
            pitch.setdefault(line["character"], []).append(fundamental_hz(audio[:, 0], rate))
    mira, tomas = np.median(pitch["MIRA"]), np.median(pitch["TOMAS"])
    assert mira > 1.25 * tomas > 0, (mira, tomas)


def test_same_seed_gives_identical_audio_and_frames(rendered, sample_source):
    root, first = rendered
    import_and_plan(root, sample_source, "again")
    second = render_json(root, "again")
    for a, b in zip(first["shots"], second["shots"], strict=True):
        assert a["frame"] == b["frame"] and a["segment"] == b["segment"]  # names are content hashes
        assert [ln["voice"] for ln in a["lines"]] == [ln["voice"] for ln in b["lines"]]
    assert first["mix"] == second["mix"]
    one = root / "projects/lantern-road" / first["mix"]
    two = root / "projects/again" / second["mix"]
    assert one.read_bytes() == two.read_bytes()


def test_editing_one_line_redoes_only_that_shot(copy_of_rendered):
    root, before = copy_of_rendered
    screenplay = root / "projects/lantern-road/screenplay.fountain"
    screenplay.write_text(
        screenplay.read_text().replace("Then I have fifty-nine minutes.", "Then I have fifty-eight minutes.")
    )
    started = time.perf_counter()
    after = render_json(root, "lantern-road")
    elapsed = time.perf_counter() - started
    edited = next(s for s in after["shots"] if any("fifty-eight" in ln["text"] for ln in s["lines"]))
    line = next(ln for ln in edited["lines"] if "fifty-eight" in ln["text"])
    assert after["computed"]["voice"] == [f"{edited['id']}:{line['beat']}"]
    assert "frame" not in after["computed"] and "music" not in after["computed"]
    assert set(after["computed"].get("segment", [])) <= {edited["id"]}
    assert after["computed"]["mix"] == ["film"] and after["computed"]["film"]
    unchanged = [(a["frame"], a["segment"]) for a in before["shots"] if a["id"] != edited["id"]]
    assert unchanged == [(b["frame"], b["segment"]) for b in after["shots"] if b["id"] != edited["id"]]
    assert "fifty-eight" in Path(after["film"]).with_suffix(".srt").read_text()
    assert elapsed < 60


def wait_for_segments(db: Path, count: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Block until a background render has finished ``count`` shot segments (or stopped)."""
    deadline = time.time() + timeout
    while _segments_done(db) < count and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)


def _segments_done(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM steps WHERE kind='segment'").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_killed_render_resumes_without_redoing_finished_shots(tmp_path, sample_source):
    import_and_plan(tmp_path, sample_source, "resume")
    proc = start_render(
        tmp_path, "resume", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    db = tmp_path / "projects/resume/.moviegen/index.sqlite"
    wait_for_segments(db, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = _segments_done(db)
    assert 3 <= done_before < 17, "the kill should land mid-way through the segments"
    assert not list((tmp_path / "projects/resume/renders").glob("*.mp4"))
    report = render_json(tmp_path, "resume")
    assert "voice" not in report["computed"] and "frame" not in report["computed"]
    assert len(report["computed"]["segment"]) == len(report["shots"]) - done_before
    assert report["cached"]["segment"] == done_before
    assert probe(report["film"])["frames"] == report["frames"]


def _descendants(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in map(int, children):
            kids += [child, *_descendants(child)]
    return kids


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_a_killed_worker_is_replaced_and_the_render_completes(tmp_path, sample_source):
    import_and_plan(tmp_path, sample_source, "workers")
    proc = start_render(tmp_path, "workers", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = tmp_path / "projects/workers/.moviegen/index.sqlite"
    wait_for_segments(db, 2, proc)
    workers = [
        p
        for p in _descendants(proc.pid)
        if "forkserver" not in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="ignore")
    ]
    assert workers, "no worker processes found"
    os.kill(workers[-1], signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert probe(report["film"])["frames"] == report["frames"]


def test_premise_to_film(tmp_path):
    proc = cli(
        tmp_path,
        "make",
        "A hapless baker accidentally enters a goat into the national talent show",
        "--resolution",
        "426x240",
        "--json",
    )
    report = json.loads(proc.stdout)
    info = probe(report["film"])
    assert info["size"] == (426, 240) and info["frames"] == report["frames"]
    from moviegen.core.fountain import parse
    from moviegen.core.scenes import scenes_of

    slug = Path(report["film"]).parent.parent.name
    scenes = scenes_of(parse((tmp_path / "projects" / slug / "screenplay.fountain").read_text()))
    assert report["dialogue_lines"] == sum(len(s.dialogue) for s in scenes) > 0
    assert Path(report["film"]).with_suffix(".srt").read_text().count(" --> ") == report["dialogue_lines"]


@pytest.mark.parametrize(
    "args, size",
    [
        (("--aspect", "9:16", "--resolution", RES), (180, 320)),
        (("--aspect", "1:1", "--resolution", RES), (180, 180)),
        (("--resolution", "1080p"), (1920, 1080)),
    ],
)
def test_formats(tmp_path, args, size):
    import_and_plan(tmp_path, FIXTURES / "two_lines.fountain", "two")
    report = json.loads(cli(tmp_path, "render", "two", "--json", "--burn-subtitles", *args).stdout)
    info = probe(report["film"])
    assert info["size"] == size and abs(info["vdur"] - info["adur"]) <= 1 / 24
    assert Path(report["film"]).name != "two.mp4"  # another format gets its own file beside the default one


def test_narration_reads_the_action_but_is_not_subtitled(tmp_path):
    proc = cli(tmp_path, "new", "A harbour keeper waits for the last boat before the storm", "--narration", "--json")
    slug = json.loads(proc.stdout)["slug"]
    cli(tmp_path, "develop", slug)
    cli(tmp_path, "plan", slug)
    report = json.loads(cli(tmp_path, "render", slug, "--resolution", "426x240", "--json").stdout)
    narrated = [ln for s in report["shots"] for ln in s["lines"] if ln["character"] == "NARRATOR"]
    assert report["narration_lines"] == len(narrated) > 0 and report["lengthened"] == []
    srt = Path(report["film"]).with_suffix(".srt").read_text()
    assert srt.count(" --> ") == report["dialogue_lines"]
    assert all(ln["text"] not in srt for ln in narrated)
    info = probe(report["film"])
    assert info["frames"] == report["frames"] and abs(info["vdur"] - info["adur"]) <= 1 / 24


def test_a_second_render_of_the_same_project_is_refused_while_one_runs(tmp_path, sample_source):
    import_and_plan(tmp_path, sample_source, "busy")
    busy = "640x360"  # larger than RES: the first render still runs when the second command has started
    first = start_render(tmp_path, "busy", busy, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    db = tmp_path / "projects/busy/.moviegen/index.sqlite"
    wait_for_segments(db, 1, first)
    second = cli(tmp_path, "render", "busy", "--resolution", busy, check=False)
    assert second.returncode == 1 and "already running" in second.stderr and "Traceback" not in second.stderr
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    report = json.loads(out)
    assert probe(report["film"])["frames"] == report["frames"]
    assert not list((tmp_path / "projects/busy/assets").glob(".*.tmp"))


def test_switching_render_options_back_gives_the_right_film(copy_of_rendered):
    root, plain = copy_of_rendered
    burned = render_json(root, "lantern-road", "--burn-subtitles")
    again = render_json(root, "lantern-road")
    assert again["film"] == burned["film"] and Path(plain["film"]).name == Path(again["film"]).name  # one name
    assert again["computed"].get("film")  # remuxed: the file on disk held the burned-in version
    assert "segment" not in again["computed"]  # the plain segments were still cached
    from moviegen.core.atomic import file_digest

    with sqlite3.connect(root / "projects/lantern-road/.moviegen/index.sqlite") as db:
        metas = [json.loads(m) for (m,) in db.execute("SELECT meta FROM steps WHERE kind='film'")]
    assert file_digest(Path(again["film"])) in {m.get("sha") for m in metas}
