"""ElevenLabs (https://elevenlabs.io/docs): lifelike speech with timestamps, and sound effects from a description.

A real, paid, online provider: needs ``ELEVENLABS_API_KEY``; the line, the voice id and the sound's description
go to ElevenLabs. Two capabilities, one name:

- ``speech`` 'elevenlabs': ``SpeechRequest.voice`` is a voice id of the account's library (choose one with
  :func:`~moviegen.brain.providers.elevenlabs_voices.cast_voices`, or :meth:`ElevenLabsSpeech.cast`).
  ``ELEVENLABS_MODEL`` (or a chain entry ``elevenlabs:<model>``) names the model, ``eleven_multilingual_v2`` by
  default (ElevenLabs' recommendation for consistent long-form voices; ``eleven_flash_v2_5`` is faster and
  cheaper). The result carries the character alignment the service measured (subtitles and shot timing come
  from it, not from an estimate) and ``usage.characters`` (the ledger prices it with ``per_kchar``). ``seed``
  is sent (ElevenLabs samples deterministically on a best-effort basis); ``rate`` becomes the voice's ``speed``
  (165 words a minute is 1.0, clamped to the API's 0.7..1.2); ``pitch`` has no ElevenLabs counterpart — the
  voice is the pitch. A voice that cannot be an ElevenLabs id (an eSpeak voice such as 'en-us+m3') is refused
  before anything is sent, so a chain falls through to the next provider without a bill.
- ``sound`` 'elevenlabs': sound-generation (model ``eleven_text_to_sound_v2``, or ``elevenlabs:<model>``) of
  ``SoundRequest.duration`` seconds (0.5..30; None: ElevenLabs picks); ``usage.seconds`` is priced with
  ``per_second``. The API has no seed: a request's seed only makes a new take a new request.

Both ask for ``pcm_24000`` (16-bit mono at 24 kHz) and return float32 PCM, the AudioResult contract; the wire
format and the failures are in ``elevenlabs_api.py``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.brain import AudioResult, SoundRequest, SpeechRequest, Usage
from moviegen.core.errors import ProviderAuthError, ProviderError

NAME = "elevenlabs"
SOUND_MODEL = "eleven_text_to_sound_v2"
NORMAL_RATE = 165  # words a minute that speak at ElevenLabs' speed 1.0 (SpeechRequest's default rate)
SPEED_RANGE = (0.7, 1.2)
SOUND_SECONDS = (0.5, 30.0)
VOICES_TTL = 600.0  # seconds the voice library is kept before it is asked again
_VOICE_ID = re.compile(r"[A-Za-z0-9]{16,32}")  # ElevenLabs' ids are 20 letters and digits


def _api(settings: Any, client: Any = None):
    from moviegen.brain.providers.elevenlabs_api import ElevenLabsAPI  # httpx loads with the provider, not the registry

    key = settings.elevenlabs_api_key
    if key is None or not key.get_secret_value():
        raise ProviderAuthError(
            "ElevenLabs needs an API key", "set ELEVENLABS_API_KEY (https://elevenlabs.io/app/settings/api-keys)"
        )
    return ElevenLabsAPI(base_url=settings.elevenlabs_base_url, api_key=key.get_secret_value(),
                         timeout=settings.router.timeout, client=client)  # fmt: skip


def speed_for(rate: int) -> float | None:
    """ElevenLabs' voice speed for a rate in words a minute (None: the voice's own speed)."""
    speed = round(min(max(rate / NORMAL_RATE, SPEED_RANGE[0]), SPEED_RANGE[1]), 2)
    return None if speed == 1.0 else speed


class ElevenLabsSpeech:
    def __init__(self, settings: Any, model: str | None = None, *, client: Any = None) -> None:
        self.model = model or settings.elevenlabs_model
        self.api = _api(settings, client)
        self._voices: tuple[float, list[Any]] | None = None
        self._voices_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ElevenLabsSpeech(model={self.model!r})"

    def generate(self, request: SpeechRequest) -> AudioResult:
        text = " ".join(request.text.split())
        if not text:
            raise ProviderError("there is no text to speak", "give the line some words")
        voice = request.voices.get(NAME) or request.voice  # the character's ElevenLabs voice, if it has one
        if not _VOICE_ID.fullmatch(voice):
            raise ProviderError(
                f"'{voice}' is not an ElevenLabs voice id",
                "recast the character with a voice id of your ElevenLabs library, or use espeak-ng",
            )
        body = self.api.speech_body(text, self.model, seed=request.seed, speed=speed_for(request.rate))
        speech = self.api.speech(voice, body)
        return AudioResult(pcm=speech.pcm.tobytes(), sample_rate=speech.sample_rate, channels=1, provider=NAME,
                           model=self.model, alignment=speech.alignment, usage=Usage(characters=len(text)))  # fmt: skip

    def voices(self, *, refresh: bool = False) -> list[Any]:
        """The account's voice library (:class:`~moviegen.brain.providers.elevenlabs_voices.Voice`), asked once
        per ``VOICES_TTL`` seconds (casting a film reads it once per character otherwise)."""
        from moviegen.brain.providers.elevenlabs_voices import Voice

        with self._voices_lock:
            if refresh or self._voices is None or time.monotonic() - self._voices[0] > VOICES_TTL:
                self._voices = (time.monotonic(), [Voice.from_api(v) for v in self.api.voices()])
            return list(self._voices[1])

    def cast(self, cast: Mapping[str, str]) -> dict[str, Any]:
        """A distinct voice for each character (name -> role, look and voice text), with the reasons."""
        from moviegen.brain.providers.elevenlabs_voices import cast_voices

        return cast_voices(self.voices(), cast)


class ElevenLabsSound:
    def __init__(self, settings: Any, model: str | None = None, *, client: Any = None) -> None:
        self.model = model or SOUND_MODEL
        self.api = _api(settings, client)

    def __repr__(self) -> str:
        return f"ElevenLabsSound(model={self.model!r})"

    def generate(self, request: SoundRequest) -> AudioResult:
        from moviegen.brain.providers.elevenlabs_api import SAMPLE_RATE

        text = " ".join(request.text.split())
        if not text:
            raise ProviderError("there is no sound to make", "describe it: 'a door slams', 'distant thunder'")
        low, high = SOUND_SECONDS
        if request.duration is not None and not low <= request.duration <= high:
            raise ProviderError(
                f"a sound of {request.duration:g} s is outside what ElevenLabs makes ({low:g}..{high:g} s)",
                "ask for a length in that range, or none to let ElevenLabs choose",
            )
        pcm = self.api.sound(self.api.sound_body(text, self.model, duration=request.duration))
        return AudioResult(pcm=pcm.tobytes(), sample_rate=SAMPLE_RATE, channels=1, provider=NAME, model=self.model,
                           usage=Usage(seconds=round(len(pcm) / SAMPLE_RATE, 3)))  # fmt: skip


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(
            NAME,
            "speech",
            ElevenLabsSpeech,
            offline=False,
            description="lifelike voices with timestamps from ElevenLabs (online, paid; needs ELEVENLABS_API_KEY)",
            configurable=True,
            needs=("elevenlabs_api_key",),
        )
    )
    registry.add(
        ProviderSpec(
            NAME,
            "sound",
            ElevenLabsSound,
            offline=False,
            description="sound effects from a description, by ElevenLabs (online, paid; needs ELEVENLABS_API_KEY)",
            configurable=True,
            needs=("elevenlabs_api_key",),
        )
    )
