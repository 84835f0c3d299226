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
    return check_screenplay(data, path.name)


def check_screenplay(data: bytes | str, name: str = "the screenplay") -> str:
    """The screenplay's text, if it is one we can film: size, encoding, syntax (with the line) and scenes."""
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > MAX_BYTES:
        raise UsageError(f"{name} is {size:,} bytes; screenplays over {MAX_BYTES:,} are refused", None)
    screenplay = parse(data)  # raises ScreenplayParseError with a line number
    if not scenes_of(screenplay):
        raise ScreenplayParseError(
            "the screenplay has no scene headings, so there is nothing to film",
            1,
            "start each scene with a heading such as 'INT. KITCHEN - NIGHT' (or force one with a leading '.')",
        )
    return data if isinstance(data, str) else data.decode("utf-8-sig")


def import_screenplay(
    store: ProjectStore, path: Path, *, slug: str | None = None, title: str | None = None, fmt: FilmFormat | None = None
) -> Project:
    return import_screenplay_text(
        store, read_screenplay_file(path), filename=path.name, slug=slug, title=title, fmt=fmt
    )


def import_screenplay_text(
    store: ProjectStore, text: str, *, filename: str = "screenplay.fountain", slug: str | None = None,
    title: str | None = None, fmt: FilmFormat | None = None,
) -> Project:  # fmt: skip
    """A new project from a screenplay's text (sent by a client that read the file on its own machine)."""
    text = check_screenplay(text, filename)
    path = Path(filename)
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
