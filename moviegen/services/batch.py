"""Batch renders: a TOML manifest of films (existing projects, premises or Fountain files) × formats, checked
whole before anything starts, planned into a (film, format) matrix, with a state file beside the manifest so a
re-run skips what it finished.

This module never talks to a brain: the CLI reads the manifest and its Fountain files on its own machine (the
brain may run on another), plans here, and does the work through the brain's operations (moviegen.cli.batch).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from moviegen.core import atomic
from moviegen.core.errors import UsageError
from moviegen.core.models import normalize_resolution
from moviegen.core.slug import slugify, validate_slug

STATE_VERSION = 1
SOURCES = ("project", "premise", "fountain")


class FormatSpec(BaseModel):
    """One output format, as the manifest writes it: ``{aspect = "9:16", resolution = "1080p"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    aspect: Literal["16:9", "9:16", "1:1"] = "16:9"
    resolution: str = "720p"
    fps: int | None = Field(None, ge=1, le=60)

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, v: str) -> str:
        normalize_resolution(v)  # refuses what is not one, with what to write instead; the label keeps "720p"
        return v.strip()

    @property
    def label(self) -> str:
        return f"{self.aspect} {self.resolution}"


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    formats: list[FormatSpec] = Field(default_factory=lambda: [FormatSpec()], min_length=1)
    fps: int | None = Field(None, ge=1, le=60)
    burn_subtitles: bool = False


class FilmEntry(BaseModel):
    """A ``[[film]]``: exactly one source, and what to call and make of it."""

    model_config = ConfigDict(extra="forbid")

    project: str | None = None
    premise: str | None = None
    fountain: str | None = None
    slug: str | None = None
    title: str | None = None
    seed: int | None = None
    narration: bool = False
    formats: list[FormatSpec] | None = Field(None, min_length=1)
    fps: int | None = Field(None, ge=1, le=60)
    burn_subtitles: bool | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FilmEntry:
        given = [name for name in SOURCES if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of project, premise, fountain (found {', '.join(given) or 'none'})")
        if self.project is not None and (self.slug or self.title):
            raise ValueError("a project film is named by 'project'; drop slug and title")
        if self.premise is None and (self.seed is not None or self.narration):
            raise ValueError("seed and narration belong to a premise film")
        if self.premise is not None:
            from moviegen.services.story import validate_premise

            try:
                validate_premise(self.premise)
            except UsageError as exc:
                raise ValueError(f"premise: {exc.message}") from None
        for slug in (self.project, self.slug):
            if slug is not None:
                try:
                    validate_slug(slug)
                except UsageError as exc:
                    raise ValueError(exc.message + " (lowercase letters, digits and dashes)") from None
        return self


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: Defaults = Field(default_factory=Defaults)
    film: list[FilmEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Film:
    """A manifest film made concrete: its slug, its source (and the source's text for a Fountain file)."""

    number: int  # as the manifest counts, from 1
    slug: str
    kind: str  # project | premise | fountain
    source: str  # the project's slug, the premise, or the Fountain file's path
    title: str | None
    seed: int | None
    narration: bool
    formats: tuple[FormatSpec, ...]
    fps: int | None
    burn_subtitles: bool
    digest: str  # of everything that decides its films: a changed premise or screenplay is not a finished one

    def tasks(self) -> list[Task]:
        return [Task(self, fmt) for fmt in self.formats]


@dataclass(frozen=True)
class Task:
    """One cell of the matrix: a film in a format (one render job, one JUnit test case)."""

    film: Film
    fmt: FormatSpec

    @property
    def name(self) -> str:
        return f"{self.film.slug} [{self.fmt.label}]"

    @property
    def fps(self) -> int | None:
        return self.fmt.fps or self.film.fps

    @property
    def key(self) -> str:
        """What a finished render of this cell is recorded under in the state file."""
        fmt = {"aspect": self.fmt.aspect, "resolution": normalize_resolution(self.fmt.resolution), "fps": self.fps}
        return _digest(self.film.digest, fmt, self.film.burn_subtitles)


def load(path: Path) -> list[Film]:
    """The manifest at ``path``, checked whole and planned; any problem is one UsageError (exit code 2) that
    names the file, the entry and the field, raised before anything has started."""
    manifest = load_manifest(path)
    try:
        return plan(manifest, path.parent)
    except UsageError as exc:
        raise UsageError(f"{path.name}: {exc.message}", exc.hint) from None


def load_manifest(path: Path) -> Manifest:
    """The manifest, or one UsageError naming the entry and the field (exit code 2; nothing has started)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no such manifest: {path}", "check the path to the .toml file") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise UsageError(f"{path} is not a TOML manifest", "name a .toml file with [[film]] entries") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path.name}: {exc}", "fix the TOML syntax (see docs/batch.example.toml)") from None
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise UsageError(f"{path.name}: {describe(exc)}", "see docs/batch.example.toml for every field") from None


def describe(exc: ValidationError) -> str:
    """Pydantic's first complaint as one line: 'film #3: give exactly one of project, premise, fountain'."""
    first = exc.errors()[0]
    loc = list(first["loc"])
    where = []
    while loc:
        part = loc.pop(0)
        if isinstance(part, int):
            where[-1] = f"{where[-1]} #{part + 1}" if where else f"#{part + 1}"
        else:
            where.append(str(part))
    if first["type"] == "extra_forbidden":
        field = where.pop() if where else "?"
        return f"{': '.join(where) or 'manifest'}: unknown field '{field}'"
    if first["type"] == "missing" and where == ["film"]:
        return "no [[film]] entries: add at least one"
    message = first["msg"].removeprefix("Value error, ")
    return f"{': '.join(where)}: {message}" if where else message


def plan(manifest: Manifest, base: Path) -> list[Film]:
    """The manifest's films with their slugs settled, Fountain paths resolved against ``base`` (the manifest's
    folder) and checked to exist, and no slug or format given twice."""
    films: list[Film] = []
    seen: dict[str, int] = {}
    d = manifest.defaults
    for number, entry in enumerate(manifest.film, 1):
        kind = next(name for name in SOURCES if getattr(entry, name) is not None)
        text = ""
        if kind == "fountain":
            path = (base / entry.fountain).resolve()
            if not path.is_file():
                raise UsageError(f"film #{number}: fountain: no such file {path}", "paths are relative to the manifest")
            source, text = str(path), path.read_bytes().decode("utf-8", "replace")
            slug = entry.slug or slugify(entry.title or path.stem)
        elif kind == "premise":
            source = " ".join(entry.premise.split())
            slug = entry.slug or slugify(entry.title or " ".join(source.split()[:6]))
        else:
            source = slug = entry.project
        if slug in seen:
            raise UsageError(f"film #{number}: slug '{slug}' is film #{seen[slug]}'s too", "give one of them a slug")
        seen[slug] = number
        formats = tuple(entry.formats or d.formats)
        labels = [f.label for f in formats]
        twice = next((label for label in labels if labels.count(label) > 1), None)
        if twice:
            raise UsageError(f"film #{number}: formats: '{twice}' is listed twice", "list each format once")
        burn = d.burn_subtitles if entry.burn_subtitles is None else entry.burn_subtitles
        fps = entry.fps or d.fps
        digest = _digest(kind, source, text, slug, entry.title, entry.seed, entry.narration)
        films.append(Film(number, slug, kind, source, entry.title, entry.seed, entry.narration, formats, fps, burn,
                          digest))  # fmt: skip
    return films


def state_path(manifest: Path) -> Path:
    """Where a manifest's batch remembers its finished renders: ``.NAME.batch.json`` beside it."""
    return manifest.with_name(f".{manifest.stem}.batch.json")


class BatchState:
    """The finished (film, format) cells of earlier runs, each with its film's path and sha256. A cell is kept
    only while its film is still on disk with that digest and its inputs (source, format) are unchanged."""

    def __init__(self, path: Path, *, fresh: bool = False) -> None:
        self.path = path
        self.done: dict[str, dict[str, Any]] = {} if fresh else _read_state(path)

    def kept(self, task: Task) -> dict[str, Any] | None:
        entry = self.done.get(task.name)
        if not entry or entry.get("key") != task.key or not entry.get("sha256"):
            return None
        if atomic.file_digest(Path(entry["output"])) != entry["sha256"]:
            return None
        return entry

    def record(self, task: Task, output: str, sha256: str | None, duration: float | None) -> None:
        self.done[task.name] = {"key": task.key, "output": output, "sha256": sha256, "duration": duration}
        atomic.write_text(self.path, json.dumps({"version": STATE_VERSION, "done": self.done}, indent=2) + "\n")


def _read_state(path: Path) -> dict[str, dict[str, Any]]:
    """An earlier run's record; a missing, unreadable or foreign one is no record (the renders' own step cache
    still saves their work)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION or not isinstance(data.get("done"), dict):
        return {}
    return {k: v for k, v in data["done"].items() if isinstance(v, dict)}


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
