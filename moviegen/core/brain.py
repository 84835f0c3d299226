"""The Brain protocol: the one door through which services reach AI.

Services are handed a Brain and never import a provider. ``LocalBrain``
(moviegen.brain.local) runs providers in-process; ``RemoteBrain`` speaks the
same requests over MCP. Frontends hold the wider ``StudioAPI`` (moviegen.core.api),
which both implement too.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field


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
    procedural painter draw the same shot without understanding prose."""

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


class ImageResult(BaseModel):
    png: bytes
    width: int
    height: int
    provider: str


class SpeechRequest(BaseModel):
    text: str
    project_id: str = ""
    voice: str  # a provider-specific voice id, e.g. 'en-us+m3'
    pitch: int = 50  # 0..100
    rate: int = 165  # words per minute
    seed: int = 7


class AudioResult(BaseModel):
    """PCM float32 little-endian, interleaved when channels > 1."""

    pcm: bytes
    sample_rate: int
    channels: int = 1
    provider: str


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
