"""The cut as OpenTimelineIO, CMX 3600 EDL and FCPXML, made from a real (small, low-resolution) render and
read back with OpenTimelineIO's own adapters."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio
import pytest

from moviegen.core.errors import ProjectStateError
from moviegen.services.export import export
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The two-line screenplay rendered at 320x180 in this process; the brain, its project and the report."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings

    root = tmp_path_factory.mktemp("cut")
    brain = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home"), workers=1)
    brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    brain.shots_plan("two")
    job = brain.render_start("two", resolution="320x180")
    final = list(brain.follow(job["id"], timeout=300))[-1]
    assert final["status"] == "done", final
    yield brain, brain.project("two"), final["result"]
    brain.close()


def local_path(url: str) -> Path:
    return Path(unquote(urlparse(url).path))


def test_otio_has_one_clip_per_shot_with_the_render_durations(rendered):
    _, project, report = rendered
    [path] = export(project, "otio")
    assert path == project.path / "exports" / f"{Path(report['film']).stem}.otio"
    timeline = otio.adapters.read_from_file(str(path))
    video, voices, mix = timeline.tracks
    assert (video.kind, voices.kind, mix.kind) == ("Video", "Audio", "Audio")
    clips = list(video.find_clips())
    assert [c.name for c in clips] == [f"shot {s['id']}" for s in report["shots"]]
    assert [c.duration().to_frames() for c in clips] == [s["frames"] for s in report["shots"]]
    assert [video.range_of_child(c).start_time.to_frames() for c in clips] == [
        s["start_frame"] for s in report["shots"]
    ]
    assert timeline.duration().to_frames() == report["frames"] and timeline.duration().rate == report["fps"]
    for clip, shot in zip(clips, report["shots"], strict=True):
        assert local_path(clip.media_reference.target_url) == (project.path / shot["segment"]).resolve()
        assert local_path(clip.media_references()["still"].target_url) == (project.path / shot["frame"]).resolve()
        assert local_path(clip.media_reference.target_url).is_file()
    lines = [ln for s in report["shots"] for ln in s["lines"]]
    spoken = list(voices.find_clips())
    assert len(spoken) == len(lines) == 2
    for clip, line in zip(spoken, lines, strict=True):
        start = voices.range_of_child(clip).start_time.to_seconds()
        assert abs(start - line["start"]) <= 0.5 / report["fps"] and clip.metadata["moviegen"]["text"] == line["text"]
        assert local_path(clip.media_reference.target_url) == (project.path / line["voice"]).resolve()
    [whole] = list(mix.find_clips())
    assert whole.duration().to_frames() == report["frames"]
    assert local_path(timeline.metadata["moviegen"]["film"]) == Path(report["film"]).resolve()


def test_edl_has_one_event_per_shot_on_the_record_clock(rendered):
    _, project, report = rendered
    [path] = export(project, "edl")
    text = path.read_text()
    events = re.findall(r"^(\d{3})\s+\S+\s+V\s+C\s+(\S+) (\S+) (\S+) (\S+)$", text, re.M)
    assert [int(e[0]) for e in events] == list(range(1, len(report["shots"]) + 1))
    fps = report["fps"]
    for event, shot in zip(events, report["shots"], strict=True):
        record_in = otio.opentime.from_timecode(event[3], fps).to_frames()
        record_out = otio.opentime.from_timecode(event[4], fps).to_frames()
        assert (record_in, record_out - record_in) == (shot["start_frame"], shot["frames"])
    assert f"* FROM CLIP: {(project.path / report['shots'][0]['segment']).resolve().as_uri()}" in text
    back = otio.adapters.read_from_string(text, "cmx_3600", rate=fps)
    assert len(list(back.find_clips())) == len(report["shots"])


def test_fcpxml_parses_and_names_every_shot_and_sound(rendered):
    _, project, report = rendered
    [path] = export(project, "fcpxml")
    root = ET.parse(path).getroot()
    assert root.tag == "fcpxml"
    assets = {a.get("src") for a in root.iter("asset")}
    wanted = [s["segment"] for s in report["shots"]] + [ln["voice"] for s in report["shots"] for ln in s["lines"]]
    assert {(project.path / rel).resolve().as_uri() for rel in wanted + [report["mix"]]} == assets
    assert len(root.findall("project/sequence/spine/clip")) == len(report["shots"])
    [fmt] = root.iter("format")
    assert (fmt.get("width"), fmt.get("height"), fmt.get("frameDuration")) == ("320", "180", "25/600s")
    back = otio.adapters.read_from_file(str(path))
    assert len(back.find_clips()) >= len(report["shots"])


def test_the_newest_render_is_the_one_exported(rendered):
    _, project, report = rendered
    other = project.path / "renders" / "zz-other.json"  # sorts after the real one by name
    other.write_text(json.dumps({**report, "shots": report["shots"][:1]}))
    try:
        os.utime(other, (1, 1))
        assert export(project, "otio")[0].stem == Path(report["film"]).stem
        later = Path(report["film"]).with_suffix(".json").stat().st_mtime + 60
        os.utime(other, (later, later))
        [path] = export(project, "otio")
        assert path.stem == "zz-other" and len(otio.adapters.read_from_file(str(path)).tracks[0]) == 1
    finally:
        other.unlink()
        for made in (project.path / "exports").glob("zz-other.*"):
            made.unlink()


def test_no_render_no_cut(tmp_path):
    from moviegen.core.project import ProjectStore
    from moviegen.services.screenplay import import_screenplay_text

    project = import_screenplay_text(ProjectStore(tmp_path / "projects"),
                                     (FIXTURES / "two_lines.fountain").read_text(), slug="fresh")  # fmt: skip
    for fmt in ("otio", "edl", "fcpxml"):
        with pytest.raises(ProjectStateError) as info:
            export(project, fmt)
        assert info.value.message == "fresh has no render yet, so there is no cut to export"
        assert info.value.hint == "render it first: 'moviegen render fresh'"
    assert not (project.path / "exports").exists()


def test_stems_are_48k_24_bit_aligned_and_sum_to_the_mix(rendered):
    import wave

    import numpy as np

    from moviegen.services.export import export
    from moviegen.services.render import audio_io

    brain, project, report = rendered
    paths = export(project, "stems")
    assert [p.name.rsplit("-", 1)[1] for p in paths] == ["dialogue.wav", "music.wav", "effects.wav"]
    length = round(report["frames"] / report["fps"] * 48000)
    buses = []
    for path in paths:
        with wave.open(str(path)) as w:
            assert (w.getframerate(), w.getsampwidth(), w.getnchannels(), w.getnframes()) == (48000, 3, 2, length)
            raw = np.frombuffer(w.readframes(length), np.uint8).reshape(-1, 3)
        ints = (raw[:, 0].astype(np.int32) | raw[:, 1].astype(np.int32) << 8 | raw[:, 2].astype(np.int32) << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        buses.append((ints / 8388607.0).reshape(-1, 2))
    dialogue, music, effects = buses
    assert np.abs(dialogue).max() > 0.05 and np.abs(music).max() > 0.01  # two lines spoken, a score under them
    mixed, _ = audio_io.read_wav(project.path / report["mix"])
    # a stem cannot go past full scale in a 24-bit file: where one would (the others cancelling it in the sum),
    # it is clipped — a handful of samples, counted here; everywhere else the sum is the film's sound within -60 dB
    clipped = (np.abs(dialogue) >= 0.9999) | (np.abs(music) >= 0.9999) | (np.abs(effects) >= 0.9999)
    assert clipped.mean() < 1e-4
    residual = np.abs(dialogue + music + effects - mixed[:length])[~clipped].max()
    assert residual < 10 ** (-60 / 20)  # limited peaks included
