"""What the transcode presets ask of ffmpeg, worked out from the film's size alone (no ffmpeg run here): the
three lists of presets agree, nothing is made larger than the film, and the HLS ladder and its master
playlist say what they hold."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

from moviegen.services.transcode import PRESETS, Source, fit, preview_window
from moviegen.services.transcode_hls import avc1, master_playlist, rungs_for, segments


def source(width: int, height: int, duration: float = 30.0) -> Source:
    return Source(Path("film.mp4"), width, height, 24.0, duration, "aac", poster_at=duration / 3)


def test_the_cli_the_interface_and_the_service_list_the_same_presets():
    from moviegen.cli.transcode import PRESETS as CLI
    from moviegen.core.api import TranscodePreset

    assert list(CLI) == list(PRESETS) == list(typing.get_args(TranscodePreset))


@pytest.mark.parametrize(
    ("size", "short", "expected"),
    [((1920, 1080), 720, (1280, 720)), ((1920, 1080), 1080, (1920, 1080)), ((640, 360), 720, (640, 360)),
     ((1080, 1920), 720, (720, 1280)), ((1080, 1080), 360, (360, 360)), ((854, 480), 360, (640, 360))],
)  # fmt: skip
def test_sizes_fit_the_short_side_and_never_grow(size, short, expected):
    assert fit(source(*size), short) == expected


@pytest.mark.parametrize(
    ("size", "rungs"),
    [((1920, 1080), [360, 720, 1080]), ((1280, 720), [360, 720]), ((640, 360), [360]), ((320, 180), [180]),
     ((1080, 1920), [360, 720, 1080]), ((3840, 2160), [360, 720, 1080])],
)  # fmt: skip
def test_the_ladder_has_no_rung_above_the_film(size, rungs):
    assert [r.short for r in rungs_for(*size)] == rungs


def test_web_presets_scale_to_the_fitted_size_and_start_fast():
    args = PRESETS["web1080"].args(source(1280, 720))
    assert "scale=1280:720:flags=lanczos,format=yuv420p" in args and "+faststart" in args
    assert args[args.index("-c:a") + 1] == "copy"  # AAC already: not encoded twice
    assert PRESETS["web720"].args(source(3840, 2160))[1].startswith("scale=1280:720:")


def test_the_preview_is_six_seconds_inside_the_film():
    assert preview_window(source(640, 360, 30.0)) == (7.0, 6.0)  # around a third of the way in
    assert preview_window(source(640, 360, 4.0)) == (0.0, 4.0)  # a short film: all of it
    near_end = Source(Path("f.mp4"), 640, 360, 24.0, 20.0, None, poster_at=19.5)
    assert preview_window(near_end) == (14.0, 6.0)


def test_codec_string_from_the_sequence_parameter_set():
    sps_high_40 = b"\x00\x00\x00\x01\x67\x64\x00\x28\xac\xd9"
    assert avc1(b"\x00\x00\x00\x01\x09\xf0" + sps_high_40) == "avc1.640028"
    assert avc1(b"\x00\x00\x01\x27\x4d\x40\x1e\x00") == "avc1.4d401e"  # Main 3.0, nal_ref_idc 1


def test_master_playlist_lists_variants_by_bandwidth(tmp_path):
    variants = [
        {"playlist": "720p/index.m3u8", "width": 1280, "height": 720, "bandwidth": 2_400_000,
         "average_bandwidth": 2_000_000, "frame_rate": 24.0, "codecs": "avc1.64001f,mp4a.40.2"},
        {"playlist": "360p/index.m3u8", "width": 640, "height": 360, "bandwidth": 700_000,
         "average_bandwidth": 600_000, "frame_rate": 24.0, "codecs": "avc1.4d401e,mp4a.40.2"},
    ]  # fmt: skip
    text = master_playlist(variants)
    assert text.splitlines()[:3] == ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    assert text.index("360p/index.m3u8") < text.index("720p/index.m3u8")
    assert ('#EXT-X-STREAM-INF:BANDWIDTH=700000,AVERAGE-BANDWIDTH=600000,RESOLUTION=640x360,FRAME-RATE=24.000,'
            'CODECS="avc1.4d401e,mp4a.40.2"') in text  # fmt: skip
    playlist = tmp_path / "index.m3u8"
    playlist.write_text("#EXTM3U\n#EXTINF:4.000000,\nseg_000.ts\n#EXTINF:2.5,\nseg_001.ts\n#EXT-X-ENDLIST\n")
    assert segments(playlist) == [("seg_000.ts", 4.0), ("seg_001.ts", 2.5)]
