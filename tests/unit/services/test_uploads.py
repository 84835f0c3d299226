"""Uploads: a character's reference picture and a scene's music or sound, checked, stored content-addressed and
used by the next render — through the brain's media_upload, as every client sends them."""

from __future__ import annotations

import base64
import io
import tomllib
import wave

import numpy as np
import pytest
from PIL import Image

from moviegen.core import locations
from moviegen.core.errors import UsageError
from moviegen.services import sheets
from moviegen.services.render.audio_io import wav_bytes
from tests.conftest import FIXTURES

RATE = 48_000


@pytest.fixture(scope="module")
def brain(tmp_path_factory):
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings

    root = tmp_path_factory.mktemp("uploads")
    b = LocalBrain(Settings(projects_dir=root / "projects", home=root / "home"), workers=1)
    b.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
    b.shots_plan("two")
    yield b
    b.close()


def picture(fmt: str = "PNG", size=(256, 384)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 160, 40)).save(buf, fmt)
    return buf.getvalue()


def tone(seconds: float, hz: float) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    return wav_bytes((0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32), RATE)


def send(brain, kind, target, data: bytes, piece: int | None = None):
    """Through media_upload, in pieces of ``piece`` bytes (None: one piece)."""
    piece = piece or len(data) or 1
    upload_id, offset, result = None, 0, None
    for at in range(0, max(len(data), 1), piece):
        chunk = data[at : at + piece]
        last = at + piece >= len(data)
        result = brain.media_upload("two", kind, target, base64.b64encode(chunk).decode(), upload_id, offset, last)
        upload_id, offset = result["upload_id"], result["bytes"]
    return result


def assets(brain) -> set[str]:
    return {p.name for p in (brain.project("two").path / "assets").glob("*")}


def test_a_picture_becomes_the_characters_approved_sheet(brain):
    project = brain.project("two")
    result = send(brain, "character_sheet", "ada", picture("JPEG"), piece=1000)  # several pieces
    assert result["target"] == "ADA" and result["asset"].endswith(".png")
    stored = Image.open(project.path / result["asset"])
    assert stored.format == "PNG" and stored.size == (256, 384)
    assert sheets.reference(sheets.load(project), "ADA", project.path) == result["asset"]
    assert sheets.load(project)["ADA"]["takes"][-1]["provider"] == "upload"


@pytest.mark.parametrize(
    ("kind", "target", "data", "says"),
    [
        ("character_sheet", "ADA", picture()[:300], "not a picture that decodes"),  # truncated
        ("character_sheet", "ADA", b"hello, I am text", "not a picture that decodes"),
        ("character_sheet", "ADA", picture(size=(32, 32)), "the picture is 32x32"),
        ("character_sheet", "ADA", picture("GIF"), "the picture is GIF"),
        ("character_sheet", "NOBODY", picture(), "has no character 'NOBODY'"),
        ("scene_music", "1", b"RIFF\x00\x00\x00\x00WAVEfmt garbage", "does not decode as audio"),
        ("scene_music", "1", picture(), "not music or sound"),
        ("scene_music", "1", tone(0.05, 440), "shorter than a tenth of a second"),
        ("scene_sound", "9", tone(1, 440), "has no scene '9'"),
    ],
    ids=[
        "truncated",
        "text",
        "tiny",
        "gif",
        "no-such-character",
        "broken-wav",
        "picture-as-music",
        "too-short",
        "no-such-scene",
    ],
)
def test_what_is_not_what_it_claims_is_refused_in_one_line_and_nothing_is_kept(brain, kind, target, data, says):
    project = brain.project("two")
    before, sheets_before = assets(brain), sheets.load(project)
    with pytest.raises(UsageError, match=says):
        send(brain, kind, target, data)
    assert assets(brain) == before and sheets.load(project) == sheets_before
    assert not list((project.path.parent / ".uploads").glob("*.part"))  # the staged file is gone too


@pytest.mark.slow
def test_a_scenes_music_and_sound_are_in_the_next_render(brain):
    from moviegen.services.export import export

    music = send(brain, "scene_music", "1", tone(20, 1234))  # no note of any key; longer than the scene
    sound = send(brain, "scene_sound", "1", tone(0.5, 3000))
    listed = tomllib.loads(locations.soundtrack_file(brain.project("two").path).read_text())
    assert listed == {"music": {"1": music["asset"]}, "sound": {"1": sound["asset"]}}
    job = brain.render_start("two", resolution="320x180")
    final = list(brain.follow(job["id"], timeout=300))[-1]
    assert final["status"] == "done", final
    stems = {p.stem.rsplit("-", 1)[-1]: p for p in export(brain.project("two"), "stems")}
    music_stem, rate = read24(stems["music"])
    spectrum = np.abs(np.fft.rfft(music_stem[: 2 * rate, 0]))
    assert abs(np.argmax(spectrum) * rate / (2 * rate) - 1234) < 2  # the uploaded tone, not the synthesized score
    effects, _ = read24(stems["effects"])
    band = np.abs(np.fft.rfft(effects[: rate // 2, 0]))
    freqs = np.fft.rfftfreq(rate // 2, 1 / rate)
    assert band[np.abs(freqs - 3000) < 20].max() > 10 * np.median(band)  # the scene's sound plays from its start


def read24(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path)) as w:
        raw, channels, rate = w.readframes(w.getnframes()), w.getnchannels(), w.getframerate()
    b = np.frombuffer(raw, np.uint8).reshape(-1, 3)
    ints = b[:, 0].astype(np.int32) | (b[:, 1].astype(np.int32) << 8) | (b[:, 2].astype(np.int32) << 16)
    ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
    return (ints / 8388607.0).reshape(-1, channels), rate
