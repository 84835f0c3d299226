"""Transcodes of a real render, each preset checked by decoding what it wrote (PyAV for video and sound,
Pillow for the pictures): codecs, sizes, lengths to a frame, the HLS ladder's playlists; and a cancelled
transcode that leaves nothing behind, not even ffmpeg."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import av
import pytest
from PIL import Image

from tests.conftest import FIXTURES
from tests.integration.conftest import cli, env_for, import_and_plan

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ALL = ["web720", "web1080", "vertical", "prores", "audio", "wav", "preview", "gif", "poster", "hls"]
FRAME = 1 / 24


@pytest.fixture(scope="module")
def film(tmp_path_factory) -> tuple[Path, dict, dict]:
    """The two-line screenplay rendered at 640x360 (1 scene, 3 shots, ~11 s), then every preset in one job run
    by the real CLI."""
    root = tmp_path_factory.mktemp("transcode")
    import_and_plan(root, FIXTURES / "two_lines.fountain", "two")
    report = json.loads(cli(root, "render", "two", "--resolution", "640x360", "--workers", "1", "--json").stdout)
    result = json.loads(cli(root, "transcode", "two", "--preset", "all", "--json").stdout)
    return root / "projects" / "two", report, {p["preset"]: p for p in result["presets"]}


def probe(path: Path) -> dict:
    with av.open(str(path)) as c:
        v = c.streams.video[0] if c.streams.video else None
        a = c.streams.audio[0] if c.streams.audio else None
        return {
            "video": v.codec_context.name if v else None,
            "profile": v.codec_context.profile if v else None,
            "pix_fmt": v.codec_context.pix_fmt if v else None,
            "size": (v.width, v.height) if v else None,
            "vdur": float(v.duration * v.time_base) if v and v.duration else None,
            "audio": a.codec_context.name if a else None,
            "adur": float(a.duration * a.time_base) if a and a.duration else None,
            "duration": c.duration / 1e6,
        }


EXPECTED = {  # preset: (video codec, size, audio codec)
    "web720": ("h264", (640, 360), "aac"),  # never scaled up: the film is 360p
    "web1080": ("h264", (640, 360), "aac"),
    "vertical": ("h264", (640, 1138), "aac"),
    "prores": ("prores", (640, 360), "pcm_s16le"),
    "audio": (None, None, "aac"),
    "wav": (None, None, "pcm_s16le"),
}


@pytest.mark.parametrize("preset", list(EXPECTED))
def test_video_and_sound_presets(film, preset):
    folder, report, results = film
    (file,) = results[preset]["files"]
    ext = {"prores": "mov", "audio": "m4a", "wav": "wav"}.get(preset, "mp4")
    assert file["path"] == f"exports/transcodes/{preset}/two-{preset}.{ext}"
    info = probe(folder / file["path"])
    assert (info["video"], info["size"], info["audio"]) == EXPECTED[preset]
    assert abs(info["duration"] - report["duration"]) <= 2 * FRAME + 0.03  # AAC priming rounds the container's end
    if info["vdur"] is not None:
        assert abs(info["vdur"] - report["duration"]) <= FRAME
    if preset == "prores":
        assert (info["profile"], info["pix_fmt"]) == ("Proxy", "yuv422p10le")
    if preset.startswith("web") or preset == "vertical":
        assert (info["profile"], info["pix_fmt"]) == ("High", "yuv420p")
        data = (folder / file["path"]).read_bytes()
        assert data.index(b"moov") < data.index(b"mdat")  # fast start: the index comes first


@pytest.mark.parametrize("preset", ["preview", "gif"])
def test_animated_previews(film, preset):
    folder, _, results = film
    with Image.open(folder / results[preset]["files"][0]["path"]) as image:
        assert image.format == {"preview": "WEBP", "gif": "GIF"}[preset] and image.size == (480, 270)
        frames, total = 0, 0
        for i in range(image.n_frames):
            image.seek(i)
            image.load()  # WebP: a frame's duration is known once it is decoded
            frames, total = frames + 1, total + image.info["duration"]
    assert abs(total - 6000) <= 200  # 6 s at 10 fps (WebP holds a still frame longer instead of repeating it)
    assert frames == 60 if preset == "gif" else 20 <= frames <= 60


def test_poster_is_a_full_size_frame_of_a_shot_with_a_character(film):
    folder, _, results = film
    with Image.open(folder / results["poster"]["files"][0]["path"]) as image:
        assert (image.format, image.size) == ("JPEG", (640, 360))
        assert len(set(image.convert("L").resize((32, 18)).getdata())) > 8  # a picture, not a blank frame


def test_hls_ladder_never_goes_above_the_film(film):
    folder, report, results = film
    hls = folder / "exports/transcodes/hls"
    master = (hls / "master.m3u8").read_text()
    rungs = re.findall(r"#EXT-X-STREAM-INF:(.+)\n(.+)\n", master)
    assert [uri for _, uri in rungs] == ["360p/index.m3u8"]  # 720p and 1080p would be upscaled: left out
    attrs = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', rungs[0][0]))
    assert attrs["RESOLUTION"] == "640x360" and re.fullmatch(r'"avc1\.4d40[0-9a-f]{2},mp4a\.40\.2"', attrs["CODECS"])
    assert int(attrs["BANDWIDTH"]) >= int(attrs["AVERAGE-BANDWIDTH"]) > 50_000
    playlist = (hls / "360p/index.m3u8").read_text()
    durations = [float(d) for d in re.findall(r"#EXTINF:([\d.]+),", playlist)]
    assert abs(sum(durations) - report["duration"]) <= FRAME and "#EXT-X-ENDLIST" in playlist
    assert all(3.9 <= d <= 4.1 for d in durations[:-1]) and len(durations) == 3  # 4 s segments
    first = sorted((hls / "360p").glob("*.ts"))[0]
    assert probe(first)["size"] == (640, 360) and probe(first)["audio"] == "aac"
    assert results["hls"]["variants"][0]["segments"] == 3


def test_status_lists_the_transcodes_and_nothing_half_written_is_left(film):
    folder, _, _ = film
    assert sorted(os.listdir(folder / "exports/transcodes")) == sorted(ALL)  # no .part folders
    status = json.loads(cli(folder.parent.parent, "status", "two", "--json").stdout)
    assert status["transcodes"] == sorted(ALL)


def test_a_cancelled_transcode_leaves_no_output_and_no_ffmpeg(film, tmp_path, monkeypatch):
    import shutil

    from moviegen.brain.local import LocalBrain

    folder, _, _ = film
    root = tmp_path / "copy"
    shutil.copytree(folder, root / "projects" / "two", ignore=shutil.ignore_patterns("transcodes"))
    for key, value in env_for(root).items():
        monkeypatch.setenv(key, value)
    brain = LocalBrain(workers=1)
    try:
        with brain.bus.listen(lambda project: project == "two") as events:
            job = brain.transcode("two", ["prores", "hls"])
            while True:  # cancel the moment ffmpeg says it has started on the ProRes file
                event = events.get(timeout=60)
                if event.get("kind") == "job.progress" and event.get("stage") == "prores" and event["done"] > 0:
                    brain.job_cancel(job["id"])
                    break
        final = brain.jobs.wait(job["id"], timeout=30)
        assert final["status"] == "cancelled", final
        out = root / "projects/two/exports/transcodes"
        assert not out.exists() or os.listdir(out) == []  # no prores, no hls, no temporary folder
        assert not [p for p in _children() if "ffmpeg" in p]
        again = list(brain.follow(brain.job_retry(job["id"])["id"], timeout=120))[-1]
        assert again["status"] == "done" and sorted(os.listdir(out)) == ["hls", "prores"]
    finally:
        brain.close()


def _children() -> list[str]:
    """Command lines of this process's children."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.append((entry / "cmdline").read_bytes().decode(errors="replace"))
        except (OSError, ValueError, IndexError):
            continue
    return found
