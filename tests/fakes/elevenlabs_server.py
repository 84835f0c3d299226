"""A local stand-in for the ElevenLabs API, over real HTTP on 127.0.0.1.

It follows the documented shapes (the API reference and the official SDK, elevenlabs-python: ``text_to_speech``,
``text_to_sound_effects`` and ``voices`` raw clients, the ``AudioWithTimestampsResponse``,
``CharacterAlignmentResponseModel``, ``GetVoicesV2Response`` and ``Voice`` types):

- Auth: the ``xi-api-key`` header. None: 401 ``needs_authorization``; another key: 401 ``invalid_api_key``.
- ``POST /v1/text-to-speech/{voice_id}/with-timestamps?output_format=…`` with JSON ``{"text", "model_id"?,
  "voice_settings"?: {"stability", "similarity_boost", "style" (0..1), "speed" (0.7..1.2), "use_speaker_boost"},
  "seed"? (0..4294967295), "previous_text"?, "next_text"?, "language_code"?}`` → ``{"audio_base64",
  "alignment": {"characters", "character_start_times_seconds", "character_end_times_seconds"},
  "normalized_alignment": {...}}`` with the ``request-id`` and ``character-cost`` headers.
- ``POST /v1/sound-generation?output_format=…`` with ``{"text", "model_id"?, "duration_seconds"? (0.5..30),
  "prompt_influence"? (0..1), "loop"?}`` → the audio bytes.
- ``GET /v2/voices?page_size=…&next_page_token=…`` → ``{"voices": [{"voice_id", "name", "category", "labels",
  "description", "preview_url", …}], "has_more", "total_count", "next_page_token"}``.
- Errors: ``{"detail": {"status", "message"}}`` (400 ``voice_not_found``, ``model_not_found``,
  ``max_character_limit_exceeded``; 401 ``quota_exceeded``; 429 ``too_many_concurrent_requests``) and FastAPI's
  422 ``{"detail": [{"loc", "msg", "type"}]}`` for a body or query that breaks the schema.

The audio is real PCM (16-bit little-endian mono at the format's rate): a voiced buzz per letter at a pitch set
by the voice's gender, silence for spaces and punctuation, its length set by the characters (a letter 60 ms, a
comma 150 ms, a full stop 300 ms) over ``voice_settings.speed``; the alignment gives each character the span its
sound fills, so the last character ends where the audio ends. Sound effects are a decaying noise burst of the
requested duration (without one: a length guessed from the prompt). Everything is deterministic per request.
The fake makes ``pcm_*`` only: other valid formats get a 400 that says so (moviegen never asks for them).

Per test: ``faults`` (in order, one per authorised request: :class:`Status`, :class:`Stall`, :class:`Drop`,
:class:`Malformed`), ``voices`` (the library), ``page_cap`` (the most voices a page holds, to make pages),
``quota`` (characters left; None: no limit). Every request is recorded (``requests``), and ``last_pcm`` holds
the int16 samples of the last audio sent.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np

from tests.fakes._http import handler, send_bytes, send_json

KEY = "sk_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978"
FORMATS = {"mp3_22050_32", "mp3_24000_48", "mp3_44100_32", "mp3_44100_64", "mp3_44100_96", "mp3_44100_128",
           "mp3_44100_192", "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_32000", "pcm_44100", "pcm_48000",
           "ulaw_8000", "alaw_8000", "opus_48000_32", "opus_48000_64", "opus_48000_96", "opus_48000_128",
           "opus_48000_192"}  # fmt: skip
TTS_MODELS = {"eleven_multilingual_v2": 10_000, "eleven_v3": 5_000, "eleven_flash_v2_5": 40_000,
              "eleven_turbo_v2_5": 40_000, "eleven_flash_v2": 30_000, "eleven_turbo_v2": 30_000}  # fmt: skip
SOUND_MODELS = {"eleven_text_to_sound_v2", "eleven_text_to_sound_v1"}
PITCH = {"female": 210.0, "male": 115.0, "neutral": 160.0}


def _voice(voice_id: str, name: str, about: str, **labels: str) -> dict[str, Any]:
    return {
        "voice_id": voice_id, "name": name, "samples": None, "category": "premade",
        "fine_tuning": {"is_allowed_to_fine_tune": False}, "labels": labels, "description": about,
        "preview_url": f"https://storage.example.invalid/premade/voices/{voice_id}/preview.mp3",
        "available_for_tiers": [], "settings": None, "sharing": None,
        "high_quality_base_model_ids": ["eleven_multilingual_v2", "eleven_flash_v2_5"],
    }  # fmt: skip


# A library like an account's: premade voices with the label spellings ElevenLabs uses ('middle_aged' and
# 'middle aged'; 'description' and 'descriptive'), tone words in names and descriptions.
LIBRARY = [
    _voice("Xb7hH8MSUJpSbSDYk0k2", "Alice - Clear, Engaging Educator", "A clear young voice for teaching.",
           accent="british", descriptive="clear", age="young", gender="female", use_case="informative_educational"),
    _voice("pNInz6obpgDQGcFmaJgB", "Adam - Dominant, Firm", "A deep, firm American man.",
           accent="american", description="deep", age="middle_aged", gender="male", use_case="social_media"),
    _voice("JBFqnCBsd6RMkjVDRZzb", "George - Warm, Captivating Storyteller", "Warm resonance for stories.",
           accent="british", description="warm", age="middle aged", gender="male", use_case="narrative_story"),
    _voice("N2lVS1w4EtoT3dr4eOWO", "Callum - Husky Trickster", "A gravelly, unsettling edge.",
           accent="transatlantic", description="husky", age="middle_aged", gender="male", use_case="characters"),
    _voice("Hk3mNfR2sTq8Lw5ZpV1a", "Halvard - Deep, Weathered Nordic", "An old Swedish fisherman, low and raspy.",
           accent="swedish", description="raspy", age="old", gender="male", use_case="characters"),
    _voice("Mq7RtY2uIo9PaS4dF6gH", "Maeve - Warm Grandmother", "A kind old Irish woman.",
           accent="irish", descriptive="warm", age="old", gender="female", use_case="narrative_story"),
    _voice("Pz4XcV8bN1mQw3Er6Ty7", "Pip - Playful Kid", "A bright, playful child's voice for animation.",
           accent="american", descriptive="playful", age="young", gender="female", use_case="characters_animation"),
    _voice("cgSgspJ2msm6clMCkdW9", "Jessica - Playful, Bright, Warm", "Young and expressive.",
           accent="american", description="expressive", age="young", gender="female", use_case="conversational"),
    _voice("IKne3meq5aSn9XLyUdCD", "Charlie - Deep, Confident, Energetic", "A natural Australian voice.",
           accent="australian", description="confident", age="young", gender="male", use_case="conversational"),
    _voice("XrExE9yKIg1WjnnlVkGX", "Matilda - Knowledgeable, Professional", "Upbeat and crisp.",
           accent="american", description="upbeat", age="middle_aged", gender="female", use_case="informative_educational"),
    _voice("SAz9YHcvj6GT2YYXdXww", "River - Relaxed, Neutral, Informative", "Calm and even.",
           accent="american", descriptive="calm", age="middle_aged", gender="neutral", use_case="conversational"),
    _voice("Wd5Ty8Ui2Op4As6Df8Gh", "Priya - Bright, Quick", "A quick, bright young Indian voice.",
           accent="indian", descriptive="bright", age="young", gender="female", use_case="conversational"),
]  # fmt: skip


@dataclass
class Status:
    """Answer ``code`` with ``{"detail": {"status": status, "message": message}}`` (and ``Retry-After``)."""

    code: int
    status: str = "scripted_failure"
    message: str = "scripted failure"
    retry_after: str | None = None


@dataclass
class Stall:
    """Say nothing for ``seconds`` before answering."""

    seconds: float


@dataclass
class Drop:
    """Close the connection without an answer."""


@dataclass
class Malformed:
    """200 with a body that is not what the endpoint answers: ``not-json``, ``no-audio``, ``bad-base64``,
    ``odd-bytes`` (PCM cut mid-sample), ``bad-alignment`` (lists of different lengths), ``json`` (sound: JSON
    instead of audio)."""

    what: str = "not-json"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names in lower case
    raw: bytes
    body: Any = None  # the parsed JSON, None when there was none or it was not JSON


class _Server(ThreadingHTTPServer):
    request_queue_size = 64

    def handle_error(self, request, client_address) -> None:  # a client that went away mid-answer
        pass


class FakeElevenLabs:
    def __init__(self, *, key: str = KEY) -> None:
        self.key = key
        self.faults: list[Any] = []
        self.voices: list[dict[str, Any]] = [dict(v) for v in LIBRARY]
        self.page_cap = 100
        self.quota: int | None = None
        self.requests: list[Recorded] = []
        self.last_pcm: np.ndarray | None = None
        self._stop = threading.Event()
        outer = self

        Handler = handler(lambda req: outer.handle(req, req.command))

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> FakeElevenLabs:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def calls(self, path_part: str) -> list[Recorded]:
        return [r for r in self.requests if path_part in r.path]

    # ------------------------------------------------------------------ one request
    def handle(self, req: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(req.path)
        raw = req.rfile.read(int(req.headers.get("Content-Length", 0) or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.requests.append(
            Recorded(method, url.path, query, {k.lower(): v for k, v in req.headers.items()}, raw, body)
        )
        try:
            self._answer(req, method, unquote(url.path), query, raw, body)
        except OSError:  # the client hung up (its timeout, or a scripted drop)
            req.close_connection = True

    def _answer(self, req, method: str, path: str, query: dict, raw: bytes, body: Any) -> None:
        tts = re.fullmatch(r"/v1/text-to-speech/([^/]+)/with-timestamps", path)
        posted = method == "POST" and (tts or path == "/v1/sound-generation")
        if not posted and (method, path) != ("GET", "/v2/voices"):
            return send_json(req, 404, {"detail": "Not Found"})
        key = req.headers.get("xi-api-key")
        if not key:
            return self._detail(req, 401, "needs_authorization",
                                "Neither authorization header nor xi-api-key received, please provide one.")  # fmt: skip
        if key != self.key:
            return self._detail(req, 401, "invalid_api_key", "Invalid API key")
        fault = self.faults.pop(0) if self.faults else None
        if isinstance(fault, Status):
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return self._detail(req, fault.code, fault.status, fault.message, headers)
        if isinstance(fault, Stall):
            self._stop.wait(fault.seconds)
        if isinstance(fault, Drop):
            req.wfile.flush()
            req.close_connection = True
            req.connection.shutdown(socket.SHUT_RDWR)
            return None
        if path == "/v2/voices":
            return self._voices(req, query, fault)
        rate = self._format(req, query)
        if rate is None:
            return None
        if not isinstance(body, dict):
            return self._invalid(req, ["body"], "Input should be a valid dictionary or object to extract fields from",
                                 "model_attributes_type")  # fmt: skip
        if tts:
            return self._speech(req, tts.group(1), body, rate, fault)
        return self._sound(req, body, rate, fault)

    # ------------------------------------------------------------------ the endpoints
    def _speech(self, req, voice_id: str, body: dict, rate: int, fault: Any) -> None:
        problem = _check(body, {"text": str, "model_id": str, "seed": int, "previous_text": str, "next_text": str,
                                "language_code": str, "voice_settings": dict}, required=("text",))  # fmt: skip
        if problem:
            return self._invalid(req, *problem)
        if not 0 <= body.get("seed", 0) <= 4294967295:
            return self._invalid(
                req, ["body", "seed"], "Input should be less than or equal to 4294967295", "less_than_equal"
            )
        settings = body.get("voice_settings") or {}
        bounds = {"stability": (0, 1), "similarity_boost": (0, 1), "style": (0, 1), "speed": (0.7, 1.2)}
        for name, (low, high) in bounds.items():
            value = settings.get(name)
            if value is not None and (not _number(value) or not low <= value <= high):
                return self._invalid(req, ["body", "voice_settings", name], f"Input should be between {low} and {high}",
                                     "value_error")  # fmt: skip
        model = body.get("model_id", "eleven_multilingual_v2")
        if model not in TTS_MODELS:
            return self._detail(req, 400, "model_not_found", f"A model with model ID {model} does not exist.")
        voice = next((v for v in self.voices if v["voice_id"] == voice_id), None)
        if voice is None:
            return self._detail(req, 400, "voice_not_found", f"A voice with the voice_id {voice_id} was not found.")
        text = body["text"]
        if not text.strip():
            return self._detail(req, 400, "invalid_text", "The text must contain at least one character.")
        if len(text) > TTS_MODELS[model]:
            return self._detail(req, 400, "max_character_limit_exceeded",
                                f"This request's text has {len(text)} characters and exceeds the character limit of "
                                f"{TTS_MODELS[model]} characters.")  # fmt: skip
        if self.quota is not None and len(text) > self.quota:
            return self._detail(req, 401, "quota_exceeded",
                                f"This request exceeds your quota. You have {self.quota} credits remaining, while "
                                f"{len(text)} credits are required for this request.")  # fmt: skip
        if self.quota is not None:
            self.quota -= len(text)
        samples, starts, ends = speak(text, voice["labels"].get("gender", "neutral"), rate,
                                      float(settings.get("speed", 1.0)), body.get("seed", 0))  # fmt: skip
        self.last_pcm = samples
        pcm = samples.astype("<i2").tobytes()
        alignment = {"characters": list(text), "character_start_times_seconds": starts,
                     "character_end_times_seconds": ends}  # fmt: skip
        what = fault.what if isinstance(fault, Malformed) else None
        if what == "not-json":
            return send_bytes(req, 200, b'{"audio_base64": "UklGR', "application/json")
        if what == "odd-bytes":
            pcm = pcm[:-1]
        if what == "bad-alignment":
            alignment = {**alignment, "character_end_times_seconds": ends[:-1]}
        answer: dict[str, Any] = {"audio_base64": base64.b64encode(pcm).decode(), "alignment": alignment,
                                  "normalized_alignment": alignment}  # fmt: skip
        if what == "no-audio":
            del answer["audio_base64"]
        if what == "bad-base64":
            answer["audio_base64"] = "not base64 at all!"
        headers = {"request-id": uuid.uuid4().hex[:20], "character-cost": str(len(text))}
        send_json(req, 200, answer, headers)

    def _sound(self, req, body: dict, rate: int, fault: Any) -> None:
        problem = _check(body, {"text": str, "model_id": str, "duration_seconds": float, "prompt_influence": float,
                                "loop": bool}, required=("text",))  # fmt: skip
        if problem:
            return self._invalid(req, *problem)
        duration = body.get("duration_seconds")
        if duration is not None and not 0.5 <= duration <= 30:
            return self._invalid(req, ["body", "duration_seconds"], "Duration must be between 0.5 and 30 seconds",
                                 "value_error")  # fmt: skip
        influence = body.get("prompt_influence")
        if influence is not None and not 0 <= influence <= 1:
            return self._invalid(req, ["body", "prompt_influence"], "Input should be between 0 and 1", "value_error")
        model = body.get("model_id", "eleven_text_to_sound_v2")
        if model not in SOUND_MODELS:
            return self._detail(req, 400, "model_not_found", f"A model with model ID {model} does not exist.")
        if not body["text"].strip():
            return self._detail(req, 400, "invalid_text", "The text must contain at least one character.")
        if duration is None:
            duration = guessed_duration(body["text"])
        samples = burst(body["text"], duration, rate)
        self.last_pcm = samples
        pcm = samples.astype("<i2").tobytes()
        what = fault.what if isinstance(fault, Malformed) else None
        if what == "json":
            return send_json(req, 200, {"status": "ok"})
        if what is not None:
            pcm = pcm[:-1]
        send_bytes(req, 200, pcm, "audio/pcm", {"request-id": uuid.uuid4().hex[:20]})

    def _voices(self, req, query: dict, fault: Any) -> None:
        if isinstance(fault, Malformed):
            return send_bytes(req, 200, b'{"voices": [', "application/json")
        try:
            size = int(query.get("page_size", 10))
        except ValueError:
            return self._invalid(req, ["query", "page_size"], "Input should be a valid integer", "int_parsing")
        if not 1 <= size <= 100:
            return self._invalid(req, ["query", "page_size"], "Input should be between 1 and 100", "value_error")
        token = query.get("next_page_token")
        start = int(token.removeprefix("page-")) if token and token.startswith("page-") else 0
        end = start + min(size, self.page_cap)
        more = end < len(self.voices)
        send_json(req, 200, {"voices": self.voices[start:end], "has_more": more, "total_count": len(self.voices),
                              "next_page_token": f"page-{end}" if more else None})  # fmt: skip

    # ------------------------------------------------------------------ writing
    def _format(self, req, query: dict) -> int | None:
        fmt = query.get("output_format", "mp3_44100_128")
        if fmt not in FORMATS:
            self._invalid(req, ["query", "output_format"], f"Input should be one of {sorted(FORMATS)}", "enum")
            return None
        if not fmt.startswith("pcm_"):
            self._detail(req, 400, "fake_pcm_only", f"this fake server makes pcm_* audio only, not {fmt}")
            return None
        return int(fmt.removeprefix("pcm_"))

    def _detail(self, req, code: int, status: str, message: str, headers: dict | None = None) -> None:
        send_json(req, code, {"detail": {"status": status, "message": message}}, headers)

    def _invalid(self, req, loc: list, msg: str, kind: str) -> None:
        send_json(req, 422, {"detail": [{"loc": loc, "msg": msg, "type": kind}]})


# ---------------------------------------------------------------------------------------------- the audio
def char_seconds(ch: str) -> float:
    """How long the fake takes over one character at speed 1.0."""
    if ch in ".!?":
        return 0.30
    if ch in ",;:":
        return 0.15
    if ch.isspace():
        return 0.04
    return 0.06


def speak(text: str, gender: str, rate: int, speed: float, seed: int) -> tuple[np.ndarray, list[float], list[float]]:
    """int16 samples and each character's start and end (seconds, to the millisecond as the service sends them);
    the audio lasts exactly until the last character ends."""
    bounds = np.round(np.cumsum([0.0] + [char_seconds(c) / speed for c in text]), 3)
    starts, ends = bounds[:-1].tolist(), bounds[1:].tolist()
    edges = np.round(bounds * rate).astype(int)
    out = np.zeros(edges[-1], np.float32)
    rng = np.random.default_rng([seed, int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")])
    f0 = PITCH.get(gender, PITCH["neutral"])
    for ch, a, b in zip(text, edges[:-1], edges[1:], strict=True):
        if b <= a or not ch.isalnum():
            continue
        t = np.arange(b - a) / rate
        tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3))
        out[a:b] = 0.3 * np.hanning(b - a) * tone + 0.01 * rng.standard_normal(b - a)
    return np.round(np.clip(out, -1, 1) * 32767).astype(np.int16), starts, ends


def guessed_duration(prompt: str) -> float:
    """What the fake picks when no duration is asked: a second, and a tenth more per word (at most 30)."""
    return round(min(30.0, 1.0 + 0.1 * len(prompt.split())), 1)


def burst(prompt: str, duration: float, rate: int) -> np.ndarray:
    n = int(round(duration * rate))
    rng = np.random.default_rng(int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:8], "little"))
    envelope = np.exp(-np.arange(n) / (0.25 * rate))
    return np.round(np.clip(0.5 * envelope * rng.standard_normal(n), -1, 1) * 32767).astype(np.int16)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check(body: dict, fields: dict[str, type], required: tuple[str, ...]) -> tuple[list, str, str] | None:
    """FastAPI's first complaint about ``body``: (loc, msg, type), or None."""
    for name in required:
        if name not in body:
            return ["body", name], "Field required", "missing"
    for name, kind in fields.items():
        value = body.get(name)
        if value is None:
            continue
        if kind is float and not _number(value):
            return ["body", name], "Input should be a valid number", "float_parsing"
        if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
            return ["body", name], "Input should be a valid integer", "int_parsing"
        if kind in (str, dict, bool) and not isinstance(value, kind):
            return ["body", name], f"Input should be a valid {kind.__name__}", f"{kind.__name__}_type"
    return None
