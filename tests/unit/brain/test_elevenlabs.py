"""ElevenLabs speech and sound effects against a local server that speaks the documented API over real HTTP
(tests/fakes/elevenlabs_server.py), faults included; voice casting from the library; sound cues from action;
and speech through the router, priced in the ledger."""

from __future__ import annotations

import numpy as np
import pytest

from moviegen.brain.local import LocalBrain
from moviegen.brain.providers.elevenlabs import ElevenLabsSound, ElevenLabsSpeech, speed_for
from moviegen.brain.providers.elevenlabs_voices import Voice, cast_voices, choose_voice, score_voice, wanted
from moviegen.brain.providers.registry import registry
from moviegen.core.brain import AudioResult, SoundRequest, SpeechRequest
from moviegen.core.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
    RateLimitedError,
)
from moviegen.core.settings import Price, RouterSettings, Settings
from moviegen.services.sound_cues import sound_cues
from tests.fakes.elevenlabs_server import KEY, LIBRARY, Drop, FakeElevenLabs, Malformed, Stall, Status

ADAM = "pNInz6obpgDQGcFmaJgB"  # male, middle aged, American, deep
LINE = "Fifty-nine minutes, Mira. Then the lamp goes dark."
BY_ID = {v["voice_id"]: v for v in LIBRARY}


@pytest.fixture
def fake():
    with FakeElevenLabs() as server:
        yield server


def settings_for(fake, tmp_path=None, **more) -> Settings:
    base = {"elevenlabs_api_key": KEY, "elevenlabs_base_url": fake.base_url,
            "router": RouterSettings(timeout=2.0, backoff=0.01, retries=0)}  # fmt: skip
    if tmp_path is not None:
        base |= {"projects_dir": tmp_path / "projects", "home": tmp_path / "home"}
    return Settings(**(base | more))


@pytest.fixture
def speech(fake):
    provider = ElevenLabsSpeech(settings_for(fake))
    yield provider
    provider.api.close()


def say(provider, text=LINE, voice=ADAM, **kw) -> AudioResult:
    return provider.generate(SpeechRequest(text=text, voice=voice, **kw))


# ---------------------------------------------------------------------------------------------- speech
def test_speech_comes_with_an_alignment_that_ends_where_the_audio_ends(fake, speech):
    result = say(speech)
    audio = np.frombuffer(result.pcm, np.float32)
    assert (result.provider, result.model, result.sample_rate, result.channels) == (
        "elevenlabs", "eleven_multilingual_v2", 24000, 1
    )  # fmt: skip
    a = result.alignment
    assert a.characters == list(LINE)
    assert len(a.start_seconds) == len(a.end_seconds) == len(LINE)
    assert all(s <= e for s, e in zip(a.start_seconds, a.end_seconds, strict=True))
    assert a.start_seconds == sorted(a.start_seconds) and a.start_seconds[0] == 0
    assert a.end_seconds[-1] == pytest.approx(len(audio) / result.sample_rate, abs=1 / 24000)
    assert result.usage.characters == len(LINE) and result.usage.cost_usd is None

    sent = fake.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"/v1/text-to-speech/{ADAM}/with-timestamps")
    assert sent.query == {"output_format": "pcm_24000"}
    assert sent.headers["xi-api-key"] == KEY and "authorization" not in sent.headers
    assert sent.body == {"text": LINE, "model_id": "eleven_multilingual_v2", "seed": 7}


def test_pcm_is_converted_to_float32_exactly(fake, speech):
    result = say(speech, "Hold the light.")
    audio = np.frombuffer(result.pcm, np.float32)
    sent = fake.last_pcm  # the int16 samples the server encoded
    assert len(result.pcm) == 4 * len(sent) and len(sent) > 0.5 * 24000
    np.testing.assert_array_equal(audio, sent.astype(np.float32) / 32768.0)
    assert np.abs(audio).max() > 0.1 and np.abs(audio).max() <= 1.0


def test_the_same_request_speaks_the_same_and_a_faster_rate_is_sent_as_speed(fake, speech):
    first, again = say(speech), say(speech)
    assert first.pcm == again.pcm and first.alignment == again.alignment
    quick = say(speech, rate=200)
    assert fake.requests[-1].body["voice_settings"] == {"speed": 1.2}  # 200/165 clamped to the API's 1.2
    assert quick.alignment.end_seconds[-1] < first.alignment.end_seconds[-1]
    assert (speed_for(165), speed_for(120), speed_for(100)) == (None, 0.73, 0.7)


def test_a_chain_entry_names_the_model(fake):
    provider = ElevenLabsSpeech(settings_for(fake), "eleven_flash_v2_5")
    assert say(provider).model == "eleven_flash_v2_5"
    assert fake.requests[-1].body["model_id"] == "eleven_flash_v2_5"


def test_a_voice_that_is_no_elevenlabs_id_is_refused_before_anything_is_sent(fake, speech):
    with pytest.raises(ProviderError, match="not an ElevenLabs voice id") as info:
        say(speech, voice="en-us+m3")
    assert "espeak-ng" in info.value.hint
    with pytest.raises(ProviderError, match="no text"):
        say(speech, text="   ")
    assert fake.requests == []


def test_an_unknown_voice_or_model_gets_the_services_own_words(fake, speech):
    with pytest.raises(ProviderError, match="voice_not_found") as info:
        say(speech, voice="ZZZZZZZZZZZZZZZZZZZZ")
    assert not isinstance(info.value, ProviderAuthError | ProviderUnavailableError)
    assert "library" in info.value.hint
    with pytest.raises(ProviderError, match="model_not_found"):
        say(ElevenLabsSpeech(settings_for(fake), "eleven_nonesuch"))


def test_a_422_carries_the_validation_detail(fake, speech):
    # the body the API refuses (no text), sent as it is, to see the server's own 422 come back whole
    with pytest.raises(ProviderError) as info:
        speech.api.speech(ADAM, {"model_id": "eleven_multilingual_v2"})
    assert type(info.value) is ProviderError
    assert info.value.message == "elevenlabs answered 422: text: Field required"
    assert fake.requests[-1].body == {"model_id": "eleven_multilingual_v2"}


# ---------------------------------------------------------------------------------------------- failures
def test_a_bad_key_is_one_error_that_names_the_variable_and_not_the_key(fake):
    wrong = "sk_wrong_0123456789abcdef0123456789abcdef01234567"
    provider = ElevenLabsSpeech(settings_for(fake, elevenlabs_api_key=wrong))
    with pytest.raises(ProviderAuthError) as info:
        say(provider)
    err = info.value
    assert err.message == "elevenlabs answered 401: invalid_api_key: Invalid API key"
    assert "ELEVENLABS_API_KEY" in err.hint
    assert wrong not in err.message + err.hint and wrong not in repr(provider) + repr(provider.api)
    assert len(fake.requests) == 1 and fake.requests[0].headers["xi-api-key"] == wrong


def test_no_key_is_refused_before_anything_is_sent(fake):
    with pytest.raises(ProviderAuthError) as info:
        ElevenLabsSpeech(settings_for(fake, elevenlabs_api_key=None))
    assert "ELEVENLABS_API_KEY" in info.value.hint
    assert fake.requests == []
    # the router passes over an ElevenLabs without a key: it is not configured
    assert registry().get("speech", "elevenlabs").needs == ("elevenlabs_api_key",)


def test_a_server_that_echoes_the_key_has_it_blanked_out(fake, speech):
    fake.faults = [Status(400, "bad_request", f"your key {KEY} cannot do that")]
    with pytest.raises(ProviderError) as info:
        say(speech)
    assert KEY not in info.value.message and "***" in info.value.message


def test_an_empty_account_says_it_is_out_of_credits(fake, speech):
    fake.quota = 10
    with pytest.raises(ProviderAuthError, match="quota_exceeded") as info:
        say(speech)
    assert "out of credits" in info.value.hint and "ELEVENLABS_API_KEY" in info.value.hint


def test_429_is_rate_limited_with_its_retry_after(fake, speech):
    fake.faults = [Status(429, "too_many_concurrent_requests", "Too many concurrent requests.", retry_after="3")]
    with pytest.raises(RateLimitedError, match="too_many_concurrent_requests") as info:
        say(speech)
    assert info.value.retry_after == 3.0


@pytest.mark.parametrize("fault", [Status(500, "internal_error", "Internal Server Error"), Status(503), Drop()])
def test_5xx_and_dropped_connections_are_unavailable(fake, speech, fault):
    fake.faults = [fault]
    with pytest.raises(ProviderUnavailableError):
        say(speech)


def test_a_stalled_server_times_out(fake):
    provider = ElevenLabsSpeech(settings_for(fake, router=RouterSettings(timeout=0.3)))
    fake.faults = [Stall(3)]
    with pytest.raises(ProviderUnavailableError, match=r"did not answer within 0\.3 s"):
        say(provider)


@pytest.mark.parametrize("what", ["not-json", "no-audio", "bad-base64", "odd-bytes", "bad-alignment"])
def test_a_malformed_answer_is_a_response_error(fake, speech, what):
    fake.faults = [Malformed(what)]
    with pytest.raises(ProviderResponseError):
        say(speech)
    assert say(speech).provider == "elevenlabs"  # the next answer is fine


# ---------------------------------------------------------------------------------------------- sound effects
def test_a_sound_effect_lasts_what_was_asked(fake):
    sound = ElevenLabsSound(settings_for(fake))
    result = sound.generate(SoundRequest(text="a heavy wooden door slams", duration=2.5))
    audio = np.frombuffer(result.pcm, np.float32)
    assert (result.provider, result.model, result.sample_rate) == ("elevenlabs", "eleven_text_to_sound_v2", 24000)
    assert len(audio) == 2.5 * 24000 and result.usage.seconds == 2.5
    np.testing.assert_array_equal(audio, fake.last_pcm.astype(np.float32) / 32768.0)
    sent = fake.requests[-1]
    assert (sent.method, sent.path, sent.query) == ("POST", "/v1/sound-generation", {"output_format": "pcm_24000"})
    assert sent.body == {"text": "a heavy wooden door slams", "model_id": "eleven_text_to_sound_v2",
                         "duration_seconds": 2.5}  # fmt: skip


def test_a_sound_without_a_duration_lets_elevenlabs_choose(fake):
    result = ElevenLabsSound(settings_for(fake)).generate(SoundRequest(text="distant thunder rolls"))
    assert "duration_seconds" not in fake.requests[-1].body
    assert result.usage.seconds == 1.3  # what the fake picks for three words


def test_a_sound_outside_what_elevenlabs_makes_is_refused_before_it_is_sent(fake):
    sound = ElevenLabsSound(settings_for(fake))
    for duration in (0.2, 31.0):
        with pytest.raises(ProviderError, match="outside what ElevenLabs makes"):
            sound.generate(SoundRequest(text="thunder", duration=duration))
    fake.faults = [Malformed("json")]
    with pytest.raises(ProviderResponseError, match="JSON instead of audio"):
        sound.generate(SoundRequest(text="thunder", duration=1.0))
    assert len(fake.requests) == 1


# ---------------------------------------------------------------------------------------------- the voice library
def test_the_voice_library_is_read_page_by_page_and_kept(fake, speech):
    fake.page_cap = 5
    voices = speech.voices()
    assert [v.voice_id for v in voices] == [v["voice_id"] for v in LIBRARY]
    pages = fake.calls("/v2/voices")
    assert len(pages) == 3 and pages[0].query == {"page_size": "100"}
    assert pages[1].query == {"page_size": "100", "next_page_token": "page-5"}
    assert speech.voices() == voices and len(fake.calls("/v2/voices")) == 3  # from the cache
    speech.voices(refresh=True)
    assert len(fake.calls("/v2/voices")) == 6


def test_labels_are_read_whatever_their_spelling():
    george = Voice.from_api(BY_ID["JBFqnCBsd6RMkjVDRZzb"])  # age 'middle aged', labels.description 'warm'
    alice = Voice.from_api(BY_ID["Xb7hH8MSUJpSbSDYk0k2"])  # labels.descriptive 'clear'
    assert (george.gender, george.age, george.accent, george.use_case) == ("male", "middle_aged", "british",
                                                                           "narrative_story")  # fmt: skip
    assert "warm" in george.tones and "bright" in alice.tones  # 'clear' is a bright voice
    bare = Voice.from_api({"voice_id": "a" * 20})
    assert (bare.gender, bare.age, bare.accent, bare.tones) == ("", "", "", frozenset())


def test_a_description_is_read_for_gender_age_accent_and_tone():
    keeper = wanted("A retired lighthouse keeper in his 70s, Norwegian. Voice: low, gravelly.")
    assert (keeper.gender, keeper.age, keeper.child, keeper.accents) == ("male", "old", False, ("norwegian",))
    assert keeper.tones == {"deep", "rough"}
    child = wanted("a child who follows her everywhere; bright and quick")
    assert (child.age, child.child, child.tones) == ("young", True, {"bright", "energetic"})
    assert wanted("She is 9 years old").child and wanted("aged 45, Scottish").age == "middle_aged"
    assert wanted("a courier").gender == "" and wanted("a courier").age == ""


def test_the_voice_is_chosen_by_gender_age_and_accent():
    assert choose_voice(LIBRARY, "an old woman, Irish, kind") == "Mq7RtY2uIo9PaS4dF6gH"  # Maeve
    assert choose_voice(LIBRARY, "a retired keeper in his 70s, Norwegian; low, gravelly") == "Hk3mNfR2sTq8Lw5ZpV1a"
    assert choose_voice(LIBRARY, "a young Australian surfer, he never sits still") == "IKne3meq5aSn9XLyUdCD"
    assert choose_voice(LIBRARY, "a little girl of six, playful") == "Pz4XcV8bN1mQw3Er6Ty7"  # Pip
    assert choose_voice(LIBRARY, "the man in charge, American, 50s, deep and firm") == ADAM
    # a voice of the other gender is all but ruled out, whatever else fits
    halvard = Voice.from_api(BY_ID["Hk3mNfR2sTq8Lw5ZpV1a"])
    score, reasons = score_voice(halvard, wanted("an old Swedish woman with a raspy voice"))
    assert "male, not female" in reasons and score < score_voice(halvard, wanted("an old Swedish man"))[0]


def test_a_cast_gets_distinct_voices_with_reasons_and_the_same_ones_every_time():
    cast = {
        "EDVARD": "Retired lighthouse keeper, 70s, Norwegian. He speaks low and gravelly.",
        "MIRA": "A young courier; she is quick and bright.",
        "INGRID": "Edvard's sister, in her 70s, warm and kind.",
        "TOMAS": "A boy, eight, playful.",
        "HARBOURMASTER": "He is a stern man in his fifties.",
    }
    chosen = cast_voices(LIBRARY, cast)
    assert list(chosen) == list(cast)
    ids = [c.voice_id for c in chosen.values()]
    assert len(set(ids)) == len(ids)  # nobody shares while the library lasts
    assert chosen["EDVARD"].voice_id == "Hk3mNfR2sTq8Lw5ZpV1a"
    assert chosen["EDVARD"].reasons == ("male", "old", "swedish accent, near norwegian", "tone: deep, rough")
    assert chosen["INGRID"].voice_id == "Mq7RtY2uIo9PaS4dF6gH"
    for name in ("MIRA", "INGRID"):
        assert BY_ID[chosen[name].voice_id]["labels"]["gender"] == "female"
    for name in ("EDVARD", "TOMAS", "HARBOURMASTER"):
        assert BY_ID[chosen[name].voice_id]["labels"]["gender"] == "male"
    assert cast_voices(LIBRARY, cast) == chosen  # deterministic
    assert cast_voices(list(reversed(LIBRARY)), cast) == chosen  # whatever order the library comes in


def test_two_characters_who_want_the_same_voice_do_not_get_it_both():
    cast = {"OLAF": "an old Swedish man, raspy", "NILS": "an old Swedish man, raspy too"}
    chosen = cast_voices(LIBRARY, cast)
    assert chosen["OLAF"].voice_id == "Hk3mNfR2sTq8Lw5ZpV1a"  # the first of equals keeps the best
    assert chosen["NILS"].voice_id != chosen["OLAF"].voice_id
    assert BY_ID[chosen["NILS"].voice_id]["labels"]["gender"] == "male"


def test_a_small_library_is_shared_and_says_so_and_a_named_voice_wins():
    two = [LIBRARY[1], LIBRARY[5]]  # Adam, Maeve
    chosen = cast_voices(two, {"A": "a man", "B": "an old woman", "C": "another man"})
    assert chosen["A"].voice_id == chosen["C"].voice_id == ADAM
    assert "shares A's voice: the library has 2 voices for 3 characters" in chosen["C"].reasons
    named = cast_voices(LIBRARY, {"MIRA": f"young woman; ElevenLabs voice {ADAM}", "B": "a deep American man"})
    assert named["MIRA"].voice_id == ADAM and named["MIRA"].reasons == ("named in the description",)
    assert named["B"].voice_id != ADAM
    with pytest.raises(ProviderError, match="no voices"):
        choose_voice([], "anyone")


def test_the_provider_casts_from_the_accounts_library(fake, speech):
    chosen = speech.cast({"EDVARD": "an old Norwegian man, low voice", "MIRA": "she is young"})
    assert chosen["EDVARD"].voice_id == "Hk3mNfR2sTq8Lw5ZpV1a"
    assert say(speech, "Hold the light.", chosen["MIRA"].voice_id).provider == "elevenlabs"
    assert len(fake.calls("/v2/voices")) == 1


# ---------------------------------------------------------------------------------------------- sound cues
def test_action_lines_that_name_a_sound_are_cues():
    action = (
        "Rain lashes the lighthouse windows. MIRA slams the door behind her.\n"
        "She waves goodbye to no one. Somewhere below, a dog barks. Glass shatters!\n"
        "She closes the hatch silently. A gunshot. The alarm goes off. Thunder.\n"
        "She storms out in alarm. The wind howls. Footsteps on the stairs. A bell rang twice."
    )
    assert sound_cues(action) == [
        "Rain lashes the lighthouse windows.",
        "MIRA slams the door behind her.",
        "Somewhere below, a dog barks.",
        "Glass shatters!",
        "A gunshot.",
        "The alarm goes off.",
        "Thunder.",
        "The wind howls.",
        "Footsteps on the stairs.",
        "A bell rang twice.",
    ]


@pytest.mark.parametrize(
    "line",
    ["The door SLAMS.", "The window breaks.", "A siren wails in the distance.", "The floorboards creaking.",
     "Glass breaks somewhere.", "The engine roars to life.", "The phone is ringing."],
)  # fmt: skip
def test_sounds_in_any_form_are_heard(line):
    assert sound_cues(line) == [line]


@pytest.mark.parametrize(
    "line",
    ["She looks at the ring on her finger.", "CLOSE SHOT on the lamp.", "He takes a break.",
     "She closes the door without a sound.", "They wait.", "She waves goodbye.", "He storms off."],
)  # fmt: skip
def test_lines_without_a_sound_are_not(line):
    assert sound_cues(line) == []


# ---------------------------------------------------------------------------------------------- through the router
@pytest.fixture
def brain(fake, tmp_path):
    settings = settings_for(fake, tmp_path, prices={"elevenlabs": Price(per_kchar=0.30)})
    settings.providers.speech = ["elevenlabs", "espeak-ng"]
    made = LocalBrain(settings, workers=1)
    made.project_create("A keeper races a storm to light the lamp", slug="p")
    yield made
    made.close()


def ledger(brain):
    return [(e["provider"], e["status"], e["units"], e["cost_usd"])
            for e in reversed(brain.cost_report("p", entries=50)["entries"])]  # fmt: skip


def test_speech_through_the_router_is_priced_by_characters_and_cached(fake, brain):
    request = SpeechRequest(project_id="p", text=LINE, voice=ADAM)
    first = brain.router.call("speech", request, AudioResult)
    assert first.provider == "elevenlabs" and first.alignment.characters == list(LINE)
    again = brain.router.call("speech", request, AudioResult)
    assert again == first and len(fake.requests) == 1  # the PCM and the alignment come back whole from the cache
    cost = len(LINE) * 0.30 / 1000
    assert ledger(brain) == [("elevenlabs", "ok", {"characters": len(LINE)}, pytest.approx(cost)),
                             ("elevenlabs", "cached", {}, 0)]  # fmt: skip
    assert brain.cost_report("p")["total_usd"] == pytest.approx(cost)


def test_a_500_is_in_the_ledger_and_the_retry_answers(fake, brain):
    brain.settings.router.retries = 1
    fake.faults = [Status(500, "internal_error", "Internal Server Error")]
    result = brain.router.call("speech", SpeechRequest(project_id="p", text=LINE, voice=ADAM), AudioResult)
    assert result.provider == "elevenlabs" and len(fake.requests) == 2
    assert [(p, s) for p, s, *_ in ledger(brain)] == [("elevenlabs", "timeout"), ("elevenlabs", "ok")]


def test_a_500_falls_back_down_the_chain_with_both_attempts_in_the_ledger(fake, brain):
    fake.faults = [Status(500, "internal_error", "Internal Server Error")]  # no retries in these settings
    with pytest.raises(ProviderError, match="no speech provider could answer") as info:
        brain.router.call("speech", SpeechRequest(project_id="p", text=LINE, voice=ADAM), AudioResult)
    # eSpeak was asked next, but a voice id of ElevenLabs is no eSpeak voice: each provider needs its own
    assert "eSpeak NG has no voice" in info.value.message
    assert [(p, s) for p, s, *_ in ledger(brain)] == [("elevenlabs", "timeout"), ("espeak-ng", "failed")]
    assert len(fake.requests) == 1


def test_a_line_cast_for_espeak_is_spoken_by_espeak_without_a_call_to_elevenlabs(fake, brain):
    request = SpeechRequest(project_id="p", text="Hold the light.", voice="en-us+m3")
    result = brain.router.call("speech", request, AudioResult)
    assert result.provider == "espeak-ng" and result.alignment is None and result.usage.characters == 0
    assert [(p, s) for p, s, *_ in ledger(brain)] == [("elevenlabs", "failed"), ("espeak-ng", "ok")]
    assert fake.requests == []


def test_a_malformed_answer_is_asked_once_more_through_the_router(fake, brain):
    fake.faults = [Malformed("bad-alignment")]
    result = brain.router.call("speech", SpeechRequest(project_id="p", text=LINE, voice=ADAM), AudioResult)
    assert result.provider == "elevenlabs" and len(fake.requests) == 2
    assert [(p, s) for p, s, *_ in ledger(brain)] == [("elevenlabs", "failed"), ("elevenlabs", "ok")]
