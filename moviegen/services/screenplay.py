"""Bringing an existing screenplay into a project."""

from __future__ import annotations

from pathlib import Path

from moviegen.core.errors import ScreenplayParseError, UsageError
from moviegen.core.fountain import parse
from moviegen.core.models import FilmFormat, Location, ProjectInfo, Stage, Story
from moviegen.core.project import Project, ProjectStore
from moviegen.core.scenes import cast_of, scenes_of
from moviegen.core.slug import slugify

MAX_BYTES = 5_000_000


def read_screenplay_file(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}", "check the path to the .fountain file") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a screenplay", "name a .fountain file") from None
    if len(data) > MAX_BYTES:
        raise UsageError(f"{path.name} is {len(data):,} bytes; screenplays over {MAX_BYTES:,} are refused", None)
    screenplay = parse(data)  # raises ScreenplayParseError with a line number
    if not scenes_of(screenplay):
        raise ScreenplayParseError(
            "the screenplay has no scene headings, so there is nothing to film",
            1,
            "start each scene with a heading such as 'INT. KITCHEN - NIGHT' (or force one with a leading '.')",
        )
    return data.decode("utf-8-sig")


def import_screenplay(
    store: ProjectStore, path: Path, *, slug: str | None = None, title: str | None = None, fmt: FilmFormat | None = None
) -> Project:
    text = read_screenplay_file(path)
    screenplay = parse(text)
    title = title or screenplay.title() or path.stem.replace("_", " ").title()
    synopsis = next((e.text for e in screenplay.elements if e.type.value == "synopsis"), "")
    project = store.create(
        ProjectInfo(
            slug=slug or slugify(title), title=title, premise=synopsis, stage=Stage.NEW, format=fmt or FilmFormat()
        )
    )
    project.write_screenplay(text)
    scenes = scenes_of(screenplay)
    project.write_story(
        Story(
            title=title,
            logline=synopsis or f"{title}, imported from {path.name}.",
            characters=cast_of(screenplay, scenes),
            locations=[Location(name=n) for n in dict.fromkeys(f"{s.setting}. {s.location}" for s in scenes)],
            outline=[f"{s.heading}" for s in scenes],
            screenplay=text,
        )
    )
    project.update(stage=Stage.DEVELOPED)
    return project
