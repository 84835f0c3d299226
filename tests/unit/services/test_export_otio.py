"""The cut as OpenTimelineIO, CMX 3600 EDL and FCPXML, made from a real (small, low-resolution) render and from
made-up render reports (gaps, shared files, awkward names, 25 fps), read back with OpenTimelineIO's own
adapters; the EDL also held to the text OTIO's adapter writes for the same timeline."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path
from urllib.parse import unquote, urlparse

import opentimelineio as otio
import pytest

from moviegen.core.errors import ProjectStateError
from moviegen.services.export import export
from moviegen.services.export.timeline_otio import cuts, last_render, otio_timeline, read_cut
from tests.conftest import FIXTURES


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


@pytest.mark.slow
def test_otio_has_one_clip_per_shot_with_the_render_durations(rendered):
    _, project, report = rendered
    [path] = export(project, "otio")
    assert path == project.path / "exports" / f"{Path(report['film']).stem}.otio"
    timeline = otio.adapters.read_from_file(str(path))
    assert path.read_text(encoding="utf-8") == otio_through_its_bindings(project)
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


@pytest.mark.slow
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
    assert text == adapters_edl(project)


@pytest.mark.slow
def test_fcpxml_has_every_shot_and_sound_where_the_render_put_them(rendered):
    _, project, report = rendered
    [path] = export(project, "fcpxml")
    root = ET.parse(path).getroot()
    assert (root.tag, root.get("version")) == ("fcpxml", "1.9")
    url = {a.get("id"): a.find("media-rep").get("src") for a in root.iter("asset")}
    wanted = [s["segment"] for s in report["shots"]] + [ln["voice"] for s in report["shots"] for ln in s["lines"]]
    assert {(project.path / rel).resolve().as_uri() for rel in wanted + [report["mix"]]} == set(url.values())
    [fmt] = root.iter("format")
    assert (fmt.get("width"), fmt.get("height"), fmt.get("frameDuration")) == ("320", "180", "100/2400s")
    fps, shots = report["fps"], report["shots"]
    placed = fcpxml_placements(root)
    assert [(name, start, frames, url[ref]) for lane, name, start, frames, ref in placed if lane == "0"] == [
        (f"shot {s['id']}", Fraction(s["start_frame"], fps), Fraction(s["frames"], fps),
         (project.path / s["segment"]).resolve().as_uri()) for s in shots]  # fmt: skip
    voices = [(start, url[ref]) for lane, _, start, _, ref in placed if lane == "-1"]
    lines = [ln for s in shots for ln in s["lines"]]
    assert len(voices) == len(lines) == 2
    for (start, media), line in zip(voices, lines, strict=True):
        assert abs(start - Fraction(line["start"])) <= Fraction(1, 2 * fps)
        assert media == (project.path / line["voice"]).resolve().as_uri()
    assert [(start, frames) for lane, _, start, frames, _ in placed if lane == "-2"] == [
        (0, Fraction(report["frames"], fps))
    ]
    # OTIO's own reader: every clip's place and length on its lane, in frames
    [timeline] = otio.adapters.read_from_file(str(path), "fcpx_xml")
    assert read_back(timeline) == {lane: [(name, start * fps, frames * fps) for ln, name, start, frames, _ in placed
                                          if ln == lane] for lane in ("0", "-1", "-2")}  # fmt: skip
    assert sorted(read_back(timeline)["0"]) == sorted((f"shot {s['id']}", s["start_frame"], s["frames"]) for s in shots)


@pytest.mark.slow
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


@pytest.mark.slow
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
        ints = raw[:, 0].astype(np.int32) | raw[:, 1].astype(np.int32) << 8 | raw[:, 2].astype(np.int32) << 16
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


# ------------------------------------------------------------------ made-up renders (fast)
def made_up_project(tmp_path, fps: int = 24):
    """A project with a render report of five shots: a gap after the second, the fourth reusing the first's
    segment, names with quotes, ampersands and angle brackets, a line spoken in the gap and two lines that
    overlap (the second one goes after the first on the voices' track)."""
    from moviegen.core.project import ProjectStore
    from moviegen.services.screenplay import import_screenplay_text

    project = import_screenplay_text(ProjectStore(tmp_path / "projects"),
                                     (FIXTURES / "two_lines.fountain").read_text(), slug="made")  # fmt: skip
    spans = [(0, 2 * fps), (2 * fps, fps + 7), (4 * fps, 3 * fps + 1), (7 * fps + 1, fps), (8 * fps + 1, 13)]
    segments = ["assets/a.mp4", "assets/b c.mp4", "assets/c.mp4", "assets/a.mp4", "assets/e.mp4"]
    speech = {0: [("O'NEIL & <SON>", 'Say "when".', 0.5, 1.0)], 2: [("MARA", "In the gap? No: at 3.9 s.", 3.9, 0.4)],
              3: [("MARA", "First.", 7 * 1.0 + 2 / fps, 0.5), ("ZOË", "Over her — “quietly”.", 7.25, 0.3)]}  # fmt: skip
    shots = []
    for i, ((start, frames), segment) in enumerate(zip(spans, segments, strict=True)):
        lines = [{"character": who, "text": text, "beat": 1, "voice": f"assets/v{i}{n}.wav", "start": at, "duration": dur}
                 for n, (who, text, at, dur) in enumerate(speech.get(i, []))]  # fmt: skip
        shots.append({"id": f"1.{i + 1}", "scene": 1, "start_frame": start, "frames": frames, "segment": segment,
                      "frame": f"assets/s{i}.png", "framing": "wide", "camera": "static",
                      "caption": "" if lines else f"shot <{i}> & more", "lines": lines})  # fmt: skip
    frames = spans[-1][0] + spans[-1][1]
    report = {"shots": shots, "fps": fps, "frames": frames, "width": 640, "height": 360, "mix": "assets/mix.wav"}
    renders = project.path / "renders"
    renders.mkdir(parents=True, exist_ok=True)
    (renders / "made-cut.json").write_text(json.dumps(report))
    return project, report


def test_a_made_up_cut_in_all_three_formats_reads_back_through_otio(tmp_path):
    project, report = made_up_project(tmp_path)
    fps = report["fps"]
    stem, written = cuts(project, ("otio", "edl", "fcpxml"))
    assert stem == "made-cut" and set(written) == {"otio", "edl", "fcpxml"}
    url = {rel: (project.path / rel).resolve().as_uri() for s in report["shots"]
           for rel in [s["segment"], s["frame"]] + [ln["voice"] for ln in s["lines"]] + [report["mix"]]}  # fmt: skip
    shots = [(f"shot {s['id']}", s["start_frame"], s["frames"]) for s in report["shots"]]
    # the voices on whole frames: nearest the start, never over the line before (ZOË's line goes after MARA's)
    voices = [("O'NEIL & <SON> 1.1/1", 12, 24), ("MARA 1.3/1", 94, 9), ("MARA 1.4/1", 170, 12), ("ZOË 1.4/1", 182, 7)]

    timeline = otio.adapters.read_from_string(written["otio"].decode(), "otio_json")
    assert written["otio"].decode() == otio_through_its_bindings(project)  # OTIO's very text
    video, spoken, mix = timeline.tracks
    assert [(c.name, video.range_of_child(c).start_time.to_frames(), c.duration().to_frames())
            for c in video.find_clips()] == shots  # fmt: skip
    assert [c.media_reference.target_url for c in video.find_clips()] == [url[s["segment"]] for s in report["shots"]]
    assert [(c.name, spoken.range_of_child(c).start_time.to_frames(), c.duration().to_frames())
            for c in spoken.find_clips()] == voices  # fmt: skip
    assert [c.metadata["moviegen"]["text"] for c in spoken.find_clips()][0] == 'Say "when".'
    assert [(c.duration().to_frames(), c.media_reference.target_url) for c in mix.find_clips()] == [
        (report["frames"], url[report["mix"]])]  # fmt: skip

    edl = written["edl"].decode()
    assert edl == adapters_edl(project)
    back = otio.adapters.read_from_string(edl, "cmx_3600", rate=fps)
    [track] = back.video_tracks()
    assert [(c.name, track.range_of_child(c).start_time.to_frames(), c.duration().to_frames(),
             c.source_range.start_time.to_frames(), c.media_reference.target_url) for c in track.find_clips()] == [
        (*shot, 0, url[s["segment"]]) for shot, s in zip(shots, report["shots"], strict=True)]  # fmt: skip

    root = ET.fromstring(written["fcpxml"])
    assets = {a.get("id"): a.find("media-rep").get("src") for a in root.iter("asset")}
    assert sorted(assets.values()) == sorted(
        {url[s["segment"]] for s in report["shots"]}
        | {url[ln["voice"]] for s in report["shots"] for ln in s["lines"]}
        | {url[report["mix"]]}
    )  # one asset a file
    placed = fcpxml_placements(root)
    assert [(name, start * fps, frames * fps, assets[ref]) for lane, name, start, frames, ref in placed if lane == "0"] == [
        (*shot, url[s["segment"]]) for shot, s in zip(shots, report["shots"], strict=True)]  # fmt: skip
    assert [(name, start * fps, frames * fps) for lane, name, start, frames, _ in placed if lane == "-1"] == voices
    assert [assets[ref] for lane, *_, ref in placed if lane == "-1"] == [
        url[ln["voice"]] for s in report["shots"] for ln in s["lines"]]  # fmt: skip
    [(name, start, frames)] = [(n, s, f) for lane, n, s, f, _ in placed if lane == "-2"]
    assert (name, start, frames * fps) == ("mix", 0, report["frames"])
    gap = root.find("library/event/project/sequence/spine/gap")
    assert (gap.get("offset"), gap.get("duration")) == ("79/24s", "17/24s")  # frames 79..95, where MARA's line starts
    assert [c.get("name") for c in gap.iter("asset-clip")] == ["MARA 1.3/1"]
    [timeline] = otio.adapters.read_from_string(written["fcpxml"].decode(), "fcpx_xml")
    assert read_back(timeline) == {"0": shots, "-1": voices, "-2": [("mix", 0, report["frames"])]}


def test_fcpxml_times_are_exact_frames_at_25_fps(tmp_path):
    """At 25 fps OTIO's reader truncates float seconds (an odd frame count can come back one short), so the
    places are checked here as exact fractions of a second."""
    project, report = made_up_project(tmp_path, fps=25)
    root = ET.fromstring(cuts(project, ("fcpxml",))[1]["fcpxml"])
    assert root.find("resources/format").get("frameDuration") == "100/2500s"
    assert [(start, frames) for lane, _, start, frames, _ in fcpxml_placements(root) if lane == "0"] == [
        (Fraction(s["start_frame"], 25), Fraction(s["frames"], 25)) for s in report["shots"]]  # fmt: skip
    assert root.find("library/event/project/sequence").get("duration") == "214/25s"  # 8 s and 14 frames


def test_unwritable_names_and_unknown_formats(tmp_path):
    from moviegen.core.errors import UsageError

    project, report = made_up_project(tmp_path)
    report["shots"][0]["lines"][0]["text"] = "bell\x07 and \x00null"
    (project.path / "renders" / "made-cut.json").write_text(json.dumps(report))
    root = ET.fromstring(cuts(project, ("fcpxml",))[1]["fcpxml"])  # parses: no control characters in the XML
    assert [n.text for n in root.iter("note")][0] == "bell and null"
    with pytest.raises(UsageError) as info:
        cuts(project, ("otio", "aaf"))
    assert info.value.message == "'aaf' is not a format of the cut"


# ------------------------------------------------------------------ helpers
def otio_through_its_bindings(project) -> str:
    """The OTIO file of the project's last render as OTIO writes it when the timeline is built with its Python
    API, from the report alone: the layout the export must match byte for byte."""
    import math

    report_path, report = last_render(project)
    fps, schema, opentime = report["fps"], otio.schema, otio.opentime

    def span(frames):
        return opentime.TimeRange(opentime.RationalTime(0, fps), opentime.RationalTime(frames, fps))

    def url(rel):
        return (project.path / rel).resolve().as_uri()

    film = report_path.with_suffix(".mp4")
    tl = schema.Timeline(name=project.info.title or project.slug)
    tl.global_start_time = opentime.RationalTime(0, fps)
    tl.metadata["moviegen"] = {"project": project.slug, "film": film.resolve().as_uri(),
                               "subtitles": [film.with_suffix(x).resolve().as_uri() for x in (".srt", ".vtt")],
                               "report": report_path.resolve().as_uri(), "width": report.get("width"),
                               "height": report.get("height"), "fps": fps}  # fmt: skip
    video, at = schema.Track(name="V1 shots", kind=schema.TrackKind.Video), 0
    for shot in report["shots"]:
        if shot["start_frame"] > at:
            video.append(schema.Gap(source_range=span(shot["start_frame"] - at)))
        clip = schema.Clip(name=f"shot {shot['id']}", source_range=span(shot["frames"]))
        clip.set_media_references({"DEFAULT_MEDIA": schema.ExternalReference(url(shot["segment"]), span(shot["frames"])),
                                   "still": schema.ExternalReference(url(shot["frame"]), span(shot["frames"]))},
                                  "DEFAULT_MEDIA")  # fmt: skip
        clip.metadata["moviegen"] = {
            k: shot.get(k) for k in ("id", "scene", "start_frame", "framing", "camera", "caption")
        }
        video.append(clip)
        at = shot["start_frame"] + shot["frames"]
    voices, at = schema.Track(name="A1 voices", kind=schema.TrackKind.Audio), 0
    lines = sorted(({**ln, "shot": s["id"]} for s in report["shots"] for ln in s["lines"]), key=lambda ln: ln["start"])
    for line in lines:
        start, length = max(at, round(line["start"] * fps)), max(1, math.floor(line["duration"] * fps))
        if start > at:
            voices.append(schema.Gap(source_range=span(start - at)))
        media = opentime.TimeRange(opentime.RationalTime(0, fps), opentime.RationalTime(line["duration"] * fps, fps))
        clip = schema.Clip(name=f"{line['character']} {line['shot']}/{line.get('beat')}", source_range=span(length),
                           media_reference=schema.ExternalReference(url(line["voice"]), media))  # fmt: skip
        clip.metadata["moviegen"] = {k: line.get(k) for k in ("character", "text", "start", "duration", "beat")}
        voices.append(clip)
        at = start + length
    mix = schema.Track(name="A2 mix", kind=schema.TrackKind.Audio)
    mix.append(schema.Clip(name="mix", source_range=span(report["frames"]),
                           media_reference=schema.ExternalReference(url(report["mix"]), span(report["frames"]))))  # fmt: skip
    tl.tracks.extend([video, voices, mix])
    return otio.adapters.write_to_string(tl, "otio_json")


def adapters_edl(project) -> str:
    """What OTIO's cmx_3600 adapter writes for the timeline of the project's last render."""
    report_path, report = last_render(project)
    return otio.adapters.write_to_string(otio_timeline(read_cut(project, report_path, report)), "cmx_3600")


def _time(value: str | None) -> Fraction:
    return Fraction(value.removesuffix("s")) if value else Fraction(0)


def fcpxml_placements(root) -> list[tuple[str, str, Fraction, Fraction, str]]:
    """Every asset-clip of the FCPXML's sequence as (lane, name, start on the sequence, duration, asset id),
    times in exact seconds: a spine item at its offset, a connected clip at its parent's offset plus its own
    offset less the parent's start."""
    spine = root.find("library/event/project/sequence/spine")
    placed = []
    for item in spine:
        at = _time(item.get("offset"))
        if item.tag == "asset-clip":
            placed.append(("0", item.get("name"), at, _time(item.get("duration")), item.get("ref")))
        for clip in item.findall("asset-clip"):
            start = at + _time(clip.get("offset")) - _time(item.get("start"))
            placed.append((clip.get("lane"), clip.get("name"), start, _time(clip.get("duration")), clip.get("ref")))
    return sorted(placed, key=lambda p: (p[0] != "0", p[0], p[2]))


def read_back(timeline) -> dict[str, list[tuple[str, int, int]]]:
    """OTIO's reading of an FCPXML: each lane's clips as (name, start frame, frames)."""
    return {track.name: [(c.name, track.range_of_child(c).start_time.to_frames(), c.duration().to_frames())
                         for c in track.find_clips()] for track in timeline.tracks}  # fmt: skip
