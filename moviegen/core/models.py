"""Domain models shared by every layer."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator


class Stage(StrEnum):
    NEW = "new"
    DEVELOPED = "developed"
    PLANNED = "planned"
    RENDERED = "rendered"


class Framing(StrEnum):
    WIDE = "wide"
    MEDIUM = "medium"
    CLOSE = "close"
    INSERT = "insert"


class CameraMove(StrEnum):
    PUSH_IN = "push-in"
    PULL_OUT = "pull-out"
    PAN_LEFT = "pan-left"
    PAN_RIGHT = "pan-right"
    HOLD = "hold"


NAMED_RESOLUTIONS = {"480p": "854x480", "720p": "1280x720", "1080p": "1920x1080", "1440p": "2560x1440"}
_RESOLUTION = re.compile(r"(\d{2,4})x(\d{2,4})")


def normalize_resolution(value: str) -> str:
    """'720p' or '1280X720' -> '1280x720'; anything else is refused with what to write instead.
    The one check every door (CLI, brain tools, studio) goes through."""
    res = NAMED_RESOLUTIONS.get(str(value).strip().lower(), str(value).strip().lower())
    m = _RESOLUTION.fullmatch(res)
    if not m or not all(16 <= int(v) <= 4096 for v in m.groups()):
        raise ValueError(
            f"'{value}' is not a resolution: use WIDTHxHEIGHT (16..4096 each) such as 1280x720, or 720p/1080p"
        )
    return res


class FilmFormat(BaseModel):
    resolution: str = "1280x720"
    fps: int = Field(24, ge=1, le=120)
    aspect: Literal["16:9", "9:16", "1:1"] = "16:9"

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, v: str) -> str:
        return normalize_resolution(v)

    def size(self) -> tuple[int, int]:
        """Frame size in pixels: the resolution's long side fitted to the aspect."""
        w, h = (int(v) for v in self.resolution.lower().split("x"))
        short = min(w, h)
        if self.aspect == "16:9":
            return _even(short * 16 / 9), _even(short)
        if self.aspect == "9:16":
            return _even(short), _even(short * 16 / 9)
        return _even(short), _even(short)


def _even(v: float) -> int:
    return int(round(v / 2)) * 2


class Character(BaseModel):
    name: str  # the cue name used in the screenplay, e.g. 'MIRA'
    full_name: str = ""
    role: str = ""
    want: str = ""
    look: str = ""
    voice: str = ""  # a description ("low and slow") or an eSpeak voice ("en-us+f3 pitch 60")
    elevenlabs_voice: str = ""  # "Name (voice id)" from the ElevenLabs library, chosen at the first online render


class Location(BaseModel):
    name: str
    description: str = ""


class Beat(BaseModel):
    """One action paragraph or one dialogue line of a scene, in order."""

    kind: Literal["action", "dialogue"]
    index: int  # position among the scene's beats
    text: str
    character: str | None = None  # dialogue: the speaker's name without extensions
    extension: str | None = None  # dialogue: 'V.O.', 'O.S.', ...
    parenthetical: str | None = None
    line: int = 0  # source line in screenplay.fountain


class Scene(BaseModel):
    id: str  # '1', '2', ... or the screenplay's own scene number
    heading: str
    setting: Literal["INT", "EXT", "INT/EXT"] = "INT"
    location: str = ""
    time_of_day: str = ""
    continuous: bool = False
    beats: list[Beat] = Field(default_factory=list)
    line: int = 0

    @property
    def dialogue(self) -> list[Beat]:
        return [b for b in self.beats if b.kind == "dialogue"]

    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for beat in self.dialogue:
            if beat.character:
                seen.setdefault(beat.character)
        return list(seen)


class DialogueLine(BaseModel):
    character: str
    text: str
    parenthetical: str | None = None


class Shot(BaseModel):
    id: str  # '<scene>.<n>'
    scene: str
    framing: Framing
    camera: CameraMove = CameraMove.HOLD
    subject: str = ""
    characters: list[str] = Field(default_factory=list)
    beats: list[int] = Field(default_factory=list)  # indices into the scene's beats
    duration: float = Field(gt=0, le=120)
    prompt: str = ""
    take: int = Field(1, ge=1, le=999)  # the approved storyboard take (1 = the first painting)
    # "video": an image-to-video model animates the still (when a video provider is configured)
    motion: Literal["still", "video"] = "still"


class Asset(BaseModel):
    sha256: str
    kind: str  # frame, voice, music, segment, mix, render, subtitles
    path: str  # relative to the project folder
    meta: dict[str, object] = Field(default_factory=dict)


class Story(BaseModel):
    """What story development produces, before it becomes files."""

    title: str
    logline: str
    characters: list[Character]
    locations: list[Location]
    outline: list[str]
    screenplay: str  # Fountain text


class Retention(BaseModel):
    """What ``moviegen gc`` lets go (the ``[retention]`` table of moviegen.toml); unset keeps everything."""

    keep_renders: int | None = Field(None, ge=1)  # the newest N render reports (and their films) are kept
    preview_days: float | None = Field(None, ge=0)  # renders in another format than the project's go after D days


class ProjectInfo(BaseModel):
    slug: str
    title: str
    id: str = ""  # the project's identity (a UUID): tokens are bound to it, not to the reusable slug
    premise: str = ""
    seed: int = 7
    stage: Stage = Stage.NEW
    format: FilmFormat = Field(default_factory=FilmFormat)
    style: str = "storyboard"
    narration: bool = False
    budget_usd: float | None = Field(None, ge=0)  # provider calls that would pass it are refused before they are sent
    providers: dict[str, list[str]] = Field(default_factory=dict)  # capability -> chain, over the settings' chain
    retention: Retention = Field(default_factory=Retention)
    nightly: bool = False  # re-rendered every night by the scheduled jobs (moviegen schedule)
