from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from moviegen.brain.local import LocalBrain
from moviegen.core.brain import CharacterLook, ImageRequest, MusicRequest, SpeechRequest
from moviegen.core.errors import ProviderError, ProviderNotFoundError
from moviegen.core.settings import Settings
from tests.helpers import fundamental_hz


@pytest.fixture(scope="module")
def brain():
    return LocalBrain()


def _speech(brain, text, voice="en-us+m3", pitch=50):
    result = brain.generate_speech(SpeechRequest(text=text, voice=voice, pitch=pitch, rate=160))
    return np.frombuffer(result.pcm, np.float32), result.sample_rate


def test_speech_is_identical_whatever_was_spoken_before(brain):
    first, _ = _speech(brain, "Tower, this is Mira.", "en-us+f2", 60)
    _speech(brain, "Something else entirely, at another pitch.", "en-us+m7", 20)
    again, _ = _speech(brain, "Tower, this is Mira.", "en-us+f2", 60)
    assert first.tobytes() == again.tobytes()


def test_voices_differ_in_pitch(brain):
    low, rate = _speech(brain, "It was never locked. Open the door.", "en-us+m3", 25)
    high, _ = _speech(brain, "It was never locked. Open the door.", "en-us+f2", 75)
    f_low, f_high = fundamental_hz(low, rate), fundamental_hz(high, rate)
    assert f_low > 0 and f_high > 1.3 * f_low


def test_speech_rejects_bad_input(brain):
    with pytest.raises(ProviderError):
        brain.generate_speech(SpeechRequest(text="   ", voice="en-us+m3"))
    with pytest.raises(ProviderError):
        brain.generate_speech(SpeechRequest(text="Hello", voice="no-such-voice"))


def _frame(brain, **kw) -> Image.Image:
    base = dict(
        prompt="",
        width=480,
        height=270,
        location="FLOODED VALLEY ROAD",
        setting="EXT",
        time_of_day="NIGHT",
        framing="wide",
        characters=[CharacterLook(name="MIRA", look="30s", color="#d9642b", slot=0)],
    )
    result = brain.generate_image(ImageRequest(**{**base, **kw}))
    return Image.open(io.BytesIO(result.png)).convert("RGB")


def test_frames_are_deterministic(brain):
    assert np.array_equal(np.asarray(_frame(brain)), np.asarray(_frame(brain)))


def test_time_of_day_sets_the_palette(brain):
    night = np.asarray(_frame(brain, time_of_day="NIGHT"), np.float32).mean()
    day = np.asarray(_frame(brain, time_of_day="DAY"), np.float32).mean()
    assert day > night + 30


def _has_colour(img: Image.Image, rgb, tol=40) -> float:
    a = np.asarray(img, np.int32)
    return float((np.abs(a - np.array(rgb)).sum(axis=2) < tol).mean())


@pytest.mark.parametrize("framing", ["wide", "medium", "close"])
def test_a_character_keeps_their_colour_in_every_framing(brain, framing):
    img = _frame(brain, framing=framing, time_of_day="DAY", speaker="MIRA")
    assert _has_colour(img, (0xD9, 0x64, 0x2B)) > 0.002
    other = _frame(
        brain,
        framing=framing,
        time_of_day="DAY",
        speaker="MIRA",
        characters=[CharacterLook(name="MIRA", look="30s", color="#2b64d9", slot=0)],
    )
    assert _has_colour(other, (0x2B, 0x64, 0xD9)) > 0.002


def test_score_is_deterministic_exact_length_and_not_clipped(brain):
    req = MusicRequest(duration=6.5, mood="tense", key="D", tempo=84, seed=3)
    a, b = brain.generate_music(req), brain.generate_music(req)
    assert a.pcm == b.pcm
    audio = np.frombuffer(a.pcm, np.float32).reshape(-1, 2)
    assert len(audio) == round(6.5 * 48000) and np.abs(audio).max() <= 0.5001
    warm = np.frombuffer(brain.generate_music(req.model_copy(update={"mood": "warm"})).pcm, np.float32)
    assert not np.array_equal(warm, audio.ravel())


def test_score_rejects_bad_requests(brain):
    with pytest.raises(ProviderError):
        brain.generate_music(MusicRequest(duration=5, mood="warm", key="H"))
    with pytest.raises(ProviderError):
        brain.generate_music(MusicRequest(duration=0, mood="warm"))


def test_unknown_provider_names_the_setting():
    brain = LocalBrain(Settings(providers={"speech": ["nope"]}))
    with pytest.raises(ProviderNotFoundError) as err:
        brain.generate_speech(SpeechRequest(text="Hi", voice="en"))
    assert "MOVIEGEN_PROVIDERS__SPEECH" in err.value.hint
