"""The Brain protocol: the one door through which services reach AI.

Services are handed a Brain and never import a provider. ``LocalBrain``
(moviegen.brain.local) runs providers in-process; ``RemoteBrain`` speaks the
same requests over MCP. Frontends hold the wider ``StudioAPI`` (moviegen.core.api),
which both implement too.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field


class TextRequest(BaseModel):
    project_id: str = ""  # whose budget and ledger the call serves (required over the wire)
    task: str  # e.g. 'story.develop'; lets non-LLM providers (the story writer) do the task directly
    prompt: str  # what an LLM would be sent (the user message)
    seed: int = 7
    params: dict[str, Any] = Field(default_factory=dict)
    system: str = ""  # an LLM's system message
    json_schema: dict[str, Any] | None = None  # structured output: the answer must be JSON of this schema
    max_tokens: int | None = None
    temperature: float | None = None


class Usage(BaseModel):
    """What a call used and cost, as the provider reported it (cost None: not reported; the ledger prices it)."""

    input_tokens: int = 0
    output_tokens: int = 0
    characters: int = 0
    images: int = 0
    seconds: float = 0.0
    cost_usd: float | None = None


class TextResult(BaseModel):
    text: str
    provider: str
    model: str = ""
    usage: Usage = Field(default_factory=Usage)


class CharacterLook(BaseModel):
    name: str
    look: str = ""
    color: str = "#c0c0c0"  # stable per character for the whole film
    slot: int = 0  # stable stage position


class ImageRequest(BaseModel):
    """A picture to make. ``prompt`` is for image models; the hints let a
    procedural painter draw the same shot without understanding prose.
    ``references``: PNG character sheets of the shot's characters, in the order of ``characters``, for models
    that keep a face and costume from a reference image (base64 in JSON, like every bytes field here)."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    prompt: str
    project_id: str = ""
    width: int
    height: int
    seed: int = 7
    location: str = ""
    setting: str = "INT"
    time_of_day: str = "DAY"
    framing: str = "wide"
    characters: list[CharacterLook] = Field(default_factory=list)
    speaker: str | None = None
    caption: str = ""  # the action this shot shows
    draw_caption: bool = True  # False when the caller overlays captions itself (video)
    scene_text: str = ""  # the whole scene's action, so every shot of a scene shares one backdrop
    mood: str = ""
    references: list[bytes] = Field(default_factory=list)


class ImageResult(BaseModel):
    """A PNG at the requested size. ``usage``: what an online provider billed for (the router's ledger prices it)."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    png: bytes
    width: int
    height: int
    provider: str
    model: str = ""
    usage: Usage = Field(default_factory=Usage)


class VideoRequest(BaseModel):
    """A clip to make from a still (image-to-video): ``image`` is the shot's PNG, ``prompt`` the motion.
    ``duration`` is what the shot wants; a model offers only some lengths and the result says what it made."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    project_id: str = ""
    prompt: str
    image: bytes
    duration: float  # seconds
    width: int
    height: int
    seed: int = 7


class VideoResult(BaseModel):
    """An MP4, as the provider made it: its own length and size (the render fits it to the shot)."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    mp4: bytes
    duration: float  # seconds, as measured in the file
    width: int
    height: int
    provider: str
    model: str = ""
    usage: Usage = Field(default_factory=Usage)


class Model3DRequest(BaseModel):
    """A 3D model from a picture (image-to-3D): ``image`` is a PNG, e.g. a character's sheet."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    project_id: str = ""
    image: bytes
    seed: int = 7


class Model3DResult(BaseModel):
    """A binary glTF (GLB), as the provider made it."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    glb: bytes
    provider: str
    model: str = ""
    usage: Usage = Field(default_factory=Usage)


class SpeechRequest(BaseModel):
    text: str
    project_id: str = ""
    voice: str  # a provider-specific voice id, e.g. 'en-us+m3'
    # the same character's voice at other providers (name -> voice id, e.g. {'elevenlabs': '21m00Tcm4TlvDq8ikWAM'}):
    # a chain's providers each speak with their own, so a fallback keeps one character one voice
    voices: dict[str, str] = Field(default_factory=dict)
    pitch: int = 50  # 0..100
    rate: int = 165  # words per minute
    seed: int = 7


class Alignment(BaseModel):
    """When each character of the spoken text starts and ends, in seconds from the start of the audio (as the
    provider measured it: subtitles and shot timing come from here, not from an estimate)."""

    characters: list[str] = Field(default_factory=list)
    start_seconds: list[float] = Field(default_factory=list)
    end_seconds: list[float] = Field(default_factory=list)


class AudioResult(BaseModel):
    """PCM float32 little-endian, interleaved when channels > 1. ``alignment``: speech providers that report
    timing; ``usage``: what an online provider billed for (the router's ledger prices it)."""

    # bytes travel as base64 in JSON, so the router's cache (JSON) keeps the PCM exactly
    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    pcm: bytes
    sample_rate: int
    channels: int = 1
    provider: str
    model: str = ""
    alignment: Alignment | None = None
    usage: Usage = Field(default_factory=Usage)


class SoundRequest(BaseModel):
    """A sound effect for an action line ('a door slams'). ``duration`` None: the provider picks the length.
    ``seed`` is part of the request's address (a new seed is a new take), even where the provider has none."""

    text: str
    project_id: str = ""
    duration: float | None = None  # seconds
    seed: int = 7


class MusicRequest(BaseModel):
    duration: float
    project_id: str = ""
    mood: str  # 'tense', 'warm', 'melancholy', 'triumphant', 'mysterious'
    key: str = "D"  # tonic, stable across the film
    tempo: int = 84
    seed: int = 7
    sample_rate: int = 48000


@runtime_checkable
class Brain(Protocol):
    def generate_text(self, request: TextRequest, *, check: Any = None, on_text: Any = None) -> TextResult:
        """``check(result)`` raises ProviderResponseError for an answer the caller cannot use (in the brain: it
        is repaired once, then the next provider is asked); ``on_text(piece)`` receives the answer as it comes."""
        ...

    def generate_image(self, request: ImageRequest) -> ImageResult: ...

    def generate_speech(self, request: SpeechRequest) -> AudioResult: ...

    def generate_music(self, request: MusicRequest) -> AudioResult: ...

    def store_workflow_data(self, workflow_id: str, data: dict[str, Any], project_id: str) -> Any:
        """Remember a finished workflow run (inputs, choices, timings, outcome) in the project's memory."""
        ...

    def providers(self) -> dict[str, str]:
        """Capability -> the provider that will serve it (for status displays)."""
        ...
