"""One client for the ElevenLabs HTTP API, over httpx: speech with timestamps, sound effects, the voice library.

httpx rather than the official ``elevenlabs`` SDK, for the reasons ``chat_api.py`` gives: what is sent is exactly
what the fake server (tests/fakes/elevenlabs_server.py) records and the tests assert, every failure becomes one
of our error kinds at one place, and no dependency is added (the SDK pulls in its own pydantic models, websockets
and requests). The wire format follows the API reference and the official Python SDK (elevenlabs-python,
``text_to_speech/raw_client.py``, ``text_to_sound_effects/raw_client.py``, ``voices/raw_client.py``):

- every call carries the key in the ``xi-api-key`` header (never in a URL, a repr, an error or a log);
- speech: ``POST {base}/v1/text-to-speech/{voice_id}/with-timestamps?output_format=pcm_24000`` with JSON
  ``{"text", "model_id", "seed"?, "voice_settings"?: {"speed", ...}, "previous_text"?, "next_text"?}``, answered
  ``{"audio_base64", "alignment": {"characters", "character_start_times_seconds",
  "character_end_times_seconds"}, "normalized_alignment": {...}}``;
- sound effects: ``POST {base}/v1/sound-generation?output_format=pcm_24000`` with ``{"text", "model_id",
  "duration_seconds"? (0.5..30), "prompt_influence"? (0..1)}``, answered with the audio bytes themselves;
- voices: ``GET {base}/v2/voices?page_size=100[&next_page_token=…]`` → ``{"voices": [{"voice_id", "name",
  "category", "labels": {...}, "description"}], "has_more", "next_page_token"}``, page after page (v2 and not
  ``/v1/voices``, which stops working once a workspace has more than 500 voices).

``pcm_24000`` is raw 16-bit little-endian mono at 24 kHz, on every plan and for both endpoints: no decoder (and no
FFmpeg) is needed, and it becomes float32 here.

Failures, each one kind: 401 ProviderAuthError (``invalid_api_key`` → check ELEVENLABS_API_KEY;
``quota_exceeded`` → the account is out of credits), 403 ProviderAuthError, 429 RateLimitedError with Retry-After
(``too_many_concurrent_requests``, ``system_busy``), 408/5xx/timeouts/broken connections ProviderUnavailableError,
a body that is not what the endpoint answers (not JSON, no audio, bad base64, odd PCM, an alignment whose lists
disagree) ProviderResponseError, other 4xx (422 validation, 400 ``voice_not_found``) a plain ProviderError with
the server's own words: ``{"detail": {"status", "message"}}`` or FastAPI's ``{"detail": [{"loc", "msg"}]}``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np
from pydantic import SecretStr

from moviegen.brain.providers.chat_api import retry_after
from moviegen.core.brain import Alignment
from moviegen.core.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
    RateLimitedError,
)

NAME = "elevenlabs"
KEY_ENV = "ELEVENLABS_API_KEY"
OUTPUT_FORMAT = "pcm_24000"
SAMPLE_RATE = 24000
VOICES_PAGE = 100  # the most /v2/voices gives per page
MAX_PAGES = 100  # a server that always says has_more does not keep us forever
MAX_DETAIL = 200


@dataclass(frozen=True)
class Speech:
    pcm: np.ndarray  # float32 mono
    sample_rate: int
    alignment: Alignment


class ElevenLabsAPI:
    """The ElevenLabs endpoints moviegen uses. One instance serves many threads (httpx pools connections)."""

    def __init__(self, *, base_url: str, api_key: str, timeout: float = 60.0, client: httpx.Client | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._key = SecretStr(api_key)
        self._client = client or httpx.Client(timeout=timeout)

    def __repr__(self) -> str:
        return f"ElevenLabsAPI(base_url={self.base_url!r}, key='set')"

    def close(self) -> None:
        self._client.close()

    # ------------------------------------------------------------------ bodies (what is sent, without the key)
    @staticmethod
    def speech_body(text: str, model_id: str, *, seed: int | None = None, speed: float | None = None,
                    previous_text: str | None = None, next_text: str | None = None) -> dict[str, Any]:  # fmt: skip
        body: dict[str, Any] = {"text": text, "model_id": model_id}
        if seed is not None:
            body["seed"] = seed % 2**32  # the API takes 0..4294967295
        if speed is not None:
            body["voice_settings"] = {"speed": speed}
        if previous_text:
            body["previous_text"] = previous_text
        if next_text:
            body["next_text"] = next_text
        return body

    @staticmethod
    def sound_body(text: str, model_id: str, *, duration: float | None = None,
                   prompt_influence: float | None = None) -> dict[str, Any]:  # fmt: skip
        body: dict[str, Any] = {"text": text, "model_id": model_id}
        if duration is not None:
            body["duration_seconds"] = duration
        if prompt_influence is not None:
            body["prompt_influence"] = prompt_influence
        return body

    # ------------------------------------------------------------------ calls
    def speech(self, voice_id: str, body: dict[str, Any]) -> Speech:
        """Speech for ``body`` (see :meth:`speech_body`) in ``voice_id``, with when each character is spoken."""
        path = f"/v1/text-to-speech/{voice_id}/with-timestamps"
        response = self._send("POST", path, params={"output_format": OUTPUT_FORMAT}, json=body)
        payload = self._json(response)
        audio = payload.get("audio_base64")
        if not isinstance(audio, str):
            raise self._bad_body("an answer without audio_base64", response.text)
        try:
            raw = base64.b64decode(audio, validate=True)
        except (binascii.Error, ValueError):
            raise self._bad_body("audio_base64 that is not base64", audio) from None
        pcm = self._pcm(raw)
        alignment = payload.get("alignment") or payload.get("normalized_alignment")
        return Speech(pcm, SAMPLE_RATE, self._alignment(alignment, len(pcm) / SAMPLE_RATE))

    def sound(self, body: dict[str, Any]) -> np.ndarray:
        """A sound effect for ``body`` (see :meth:`sound_body`): float32 mono at SAMPLE_RATE."""
        response = self._send("POST", "/v1/sound-generation", params={"output_format": OUTPUT_FORMAT}, json=body)
        if response.headers.get("content-type", "").startswith("application/json"):
            raise self._bad_body("JSON instead of audio", response.text)
        return self._pcm(response.content)

    def voices(self) -> list[dict[str, Any]]:
        """Every voice of the account (its own, the premade ones, those saved from the library), as sent."""
        found: list[dict[str, Any]] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"page_size": VOICES_PAGE}
            if token:
                params["next_page_token"] = token
            response = self._send("GET", "/v2/voices", params=params)
            payload = self._json(response)
            voices = payload.get("voices")
            if not isinstance(voices, list):
                raise self._bad_body("a voice list without voices", response.text)
            found += [v for v in voices if isinstance(v, dict) and isinstance(v.get("voice_id"), str)]
            token = payload.get("next_page_token")
            if not payload.get("has_more") or not isinstance(token, str) or not token:
                return found
        raise ProviderResponseError(
            f"{NAME}'s voice list did not end after {MAX_PAGES} pages", "try again; report it if it persists"
        )

    # ------------------------------------------------------------------ the answer
    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"xi-api-key": self._key.get_secret_value(), "Accept": "application/json, audio/*"}
        try:
            response = self._client.request(method, self.base_url + path, headers=headers, **kw)
        except httpx.TimeoutException as exc:
            raise ProviderUnavailableError(
                f"{NAME} did not answer within {self.timeout:g} s ({type(exc).__name__})",
                "try again, or raise MOVIEGEN_ROUTER__TIMEOUT",
            ) from None
        except httpx.ConnectError as exc:
            raise ProviderUnavailableError(
                f"could not reach {NAME} at {self.base_url}: {type(exc).__name__}",
                "check the network and ELEVENLABS_BASE_URL, or try again",
            ) from None
        except httpx.HTTPError as exc:
            raise ProviderUnavailableError(
                f"the connection to {NAME} broke off ({type(exc).__name__})", "try again"
            ) from None
        if response.status_code != 200:
            raise self._status_error(response)
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError:
            raise self._bad_body("an answer that is not JSON", response.text) from None
        if not isinstance(payload, dict):
            raise self._bad_body("an answer that is not a JSON object", response.text)
        return payload

    def _pcm(self, raw: bytes) -> np.ndarray:
        if len(raw) % 2:
            raise ProviderResponseError(
                f"{NAME} sent {len(raw)} bytes of 16-bit PCM (an odd count: cut off or not PCM)", "try again"
            )
        return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0

    def _alignment(self, data: Any, seconds: float) -> Alignment:
        """The character alignment, checked: three lists of one length, times that do not run backwards or
        past the audio's end (with a quarter second of slack: the check is for nonsense, not for rounding)."""
        if not isinstance(data, dict):
            raise ProviderResponseError(f"{NAME} sent speech without its character alignment", "try again")
        chars = data.get("characters")
        starts = data.get("character_start_times_seconds")
        ends = data.get("character_end_times_seconds")
        lists = (chars, starts, ends)
        if not all(isinstance(x, list) for x in lists) or len({len(x) for x in lists}) != 1:
            raise ProviderResponseError(f"{NAME} sent an alignment whose lists disagree", "try again")
        if not all(isinstance(c, str) for c in chars) or not all(_number(t) for t in starts + ends):
            raise ProviderResponseError(f"{NAME} sent an alignment that is not characters and seconds", "try again")
        slack = 0.25
        previous = 0.0
        for start, end in zip(starts, ends, strict=True):
            if start < previous - slack or end < start - slack or end > seconds + slack:
                raise ProviderResponseError(
                    f"{NAME} sent an alignment that does not fit its {seconds:.2f} s of audio", "try again"
                )
            previous = start
        return Alignment(characters=chars, start_seconds=[float(t) for t in starts],
                         end_seconds=[float(t) for t in ends])  # fmt: skip

    # ------------------------------------------------------------------ failures
    def _bad_body(self, what: str, text: str) -> ProviderResponseError:
        return ProviderResponseError(
            f"{NAME} sent {what}: {self._line(text, 80)}", "try again; report it if it persists"
        )

    def _status_error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        kind, detail = self._detail(response.content)
        said = f"{NAME} answered {status}" + (f": {detail}" if detail else "")
        if status == 401 and kind == "quota_exceeded":
            return ProviderAuthError(
                said, f"the account behind {KEY_ENV} is out of credits: add some, or wait for the next period"
            )
        if status in (401, 403):
            what = "is set to a valid key" if status == 401 else "may use this endpoint (the key's permissions)"
            return ProviderAuthError(said, f"check that {KEY_ENV} {what} (https://elevenlabs.io/app/settings/api-keys)")
        if status == 429:
            return RateLimitedError(said, "wait, or send fewer requests at once (the plan's concurrency limit)",
                                    retry_after(response.headers.get("Retry-After")))  # fmt: skip
        if status == 408 or status >= 500:
            return ProviderUnavailableError(said, "try again")
        if kind == "voice_not_found":
            return ProviderError(said, "cast the character with a voice of this account's library")
        return ProviderError(said, "check the request (model ELEVENLABS_MODEL, voice, text) and ELEVENLABS_BASE_URL")

    def _detail(self, content: bytes) -> tuple[str, str]:
        """(status, message) from an error body: ``{"detail": {"status", "message"}}``, FastAPI's validation
        ``{"detail": [{"loc", "msg"}]}``, or a plain ``{"detail": "..."}``; else the body's first words."""
        try:
            payload = json.loads(content)
        except ValueError:
            return "", self._line(content.decode("utf-8", "replace"), MAX_DETAIL)
        detail = payload.get("detail") if isinstance(payload, dict) else None
        if isinstance(detail, dict):
            kind = str(detail.get("status") or "")
            message = str(detail.get("message") or "")
            return kind, self._line(f"{kind}: {message}" if kind and message else kind or message, MAX_DETAIL)
        if isinstance(detail, list):
            parts = []
            for item in detail[:3]:
                if isinstance(item, dict):
                    loc = ".".join(str(p) for p in item.get("loc") or [] if p != "body")
                    parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", "")))
            return "validation", self._line("; ".join(parts), MAX_DETAIL)
        return "", self._line(str(detail or ""), MAX_DETAIL)

    def _line(self, text: str, limit: int) -> str:
        """One line, at most ``limit`` characters, with the key (if a server echoed it) blanked out."""
        key = self._key.get_secret_value()
        if key:
            text = text.replace(key, "***")
        text = " ".join(text.split())
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
