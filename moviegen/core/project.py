"""The project folder store: a project is a folder a person can read, diff and commit."""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import tomlkit

from moviegen.core import atomic, locations, shotlist
from moviegen.core.errors import ProjectExistsError, ProjectNotFoundError, StorageError, UsageError
from moviegen.core.fountain import Screenplay, parse
from moviegen.core.models import Character, FilmFormat, ProjectInfo, Stage, Story
from moviegen.core.scenes import cast_of
from moviegen.core.slug import validate_slug

_HEADER = """\
# moviegen project settings. Edit freely: moviegen keeps your comments and order.
# The screenplay (screenplay.fountain) and the shot list (shots.toml) are the
# source of truth; .moviegen/ holds derived state and can be deleted.
"""
MAX_PREMISE = 4000


@dataclass
class Project:
    path: Path
    info: ProjectInfo

    @property
    def slug(self) -> str:
        return self.info.slug

    # --- settings file -------------------------------------------------
    def update(self, **changes: object) -> None:
        """Change top-level keys of moviegen.toml, keeping comments and order. The read and the write are one
        step (``atomic.update_text``), so two writers changing different keys both keep their change."""
        cfg = locations.project_config(self.path)

        def edit(text: str | None) -> str:
            if text is None:
                raise ProjectNotFoundError(f"{cfg} is gone", "the project folder was moved or deleted; reopen it")
            try:
                doc = tomlkit.parse(text)
            except tomlkit.exceptions.ParseError as exc:
                raise UsageError(f"{cfg} is not valid TOML: {exc}", "fix the file, then try again") from None
            for key, value in changes.items():
                if isinstance(value, FilmFormat):
                    table = doc.get("format") or tomlkit.table()
                    for k, v in value.model_dump().items():
                        table[k] = v
                    doc["format"] = table
                else:
                    doc[key] = value.value if isinstance(value, Stage) else value
            return tomlkit.dumps(doc)

        atomic.update_text(cfg, edit)
        self.info = _read_info(self.path)

    def set_stage(self, stage: Stage) -> None:
        order = list(Stage)
        if order.index(stage) > order.index(self.info.stage) or stage is Stage.NEW:
            self.update(stage=stage)

    # --- screenplay ----------------------------------------------------
    def has_screenplay(self) -> bool:
        return locations.screenplay_file(self.path).exists()

    def screenplay_text(self) -> str:
        path = locations.screenplay_file(self.path)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise self._no_screenplay() from None

    def screenplay(self) -> Screenplay:
        return parse(self.screenplay_text())

    def screenplay_with_digest(self) -> tuple[str, str]:
        """The screenplay and the digest of exactly that text (one read), to pass to ``write_screenplay``."""
        text, digest = atomic.read_text(locations.screenplay_file(self.path))
        if text is None:
            raise self._no_screenplay()
        return text, digest

    def _no_screenplay(self) -> UsageError:
        return UsageError(
            f"{self.slug} has no screenplay yet", f"run 'moviegen develop {self.slug}' or 'moviegen import FILE'"
        )

    def write_screenplay(self, text: str, *, expect_digest: str | None = None) -> str:
        """Replace the screenplay and return its digest; with ``expect_digest`` (from ``screenplay_with_digest``)
        it is refused with ConflictError if the file changed since then. Unparseable text is never stored."""
        parse(text)
        return atomic.write_text(locations.screenplay_file(self.path), text, expect_digest=expect_digest)

    # --- shot list -----------------------------------------------------
    def write_shots(self, text: str, *, expect_digest: str | None = None) -> str:
        """Replace shots.toml with ``text`` (checked to be a valid shot list first) and return its digest; with
        ``expect_digest`` it is refused with ConflictError if the file changed since it was read."""
        shotlist.parse_shots(text)
        return atomic.write_text(locations.shots_file(self.path), text, expect_digest=expect_digest)

    # --- story files ---------------------------------------------------
    def write_story(self, story: Story) -> None:
        """Write story/logline.md, bible.md and outline.md afresh from ``story`` (each file atomically)."""
        beats = "\n".join(f"{i}. {beat}" for i, beat in enumerate(story.outline, 1))
        self.write_story_file("logline", f"# {story.title}\n\n{story.logline}\n")
        self.write_story_file("bible", render_bible(story))
        self.write_story_file("outline", f"# Outline — {story.title}\n\n{beats}\n")

    def story_file(self, name: str) -> tuple[str, str]:
        """One of the story files (logline, bible, outline) and the digest of exactly that text; a file that
        does not exist yet reads as ``("", atomic.ABSENT)``, and that digest refuses a write if it appears."""
        text, digest = atomic.read_text(_story_path(self.path, name))
        return text or "", digest

    def write_story_file(self, name: str, text: str, *, expect_digest: str | None = None) -> str:
        """Replace story/<name>.md (logline, bible or outline) and return its digest; with ``expect_digest``
        (from ``story_file``) it is refused with ConflictError if the file changed since it was read."""
        return atomic.write_text(_story_path(self.path, name), text, expect_digest=expect_digest)

    def set_character(self, name: str, *, expect_digest: str | None = None, **fields: str) -> str:
        """Change fields of one character in story/bible.md (other lines, edits and order are kept); a character
        the bible does not list yet (a speaker found only in the screenplay) gets its own entry. The read and the
        write are one step, so edits to other characters made meanwhile are kept; with ``expect_digest`` the
        edit is refused (ConflictError) if the bible changed at all since it was read."""
        title = self.info.title
        return atomic.update_text(
            _story_path(self.path, "bible"),
            lambda text: _with_character(text or f"# Story bible — {title}\n", name, fields),
            expect_digest=expect_digest,
        )

    def cast(self, screenplay: Screenplay | None = None) -> list[Character]:
        """The cast: the bible's entries, then anyone else the screenplay gives lines to (``screenplay``: the
        project's, already parsed, to spare parsing it again)."""
        bible = locations.story_dir(self.path) / "bible.md"
        known = parse_bible(bible.read_text(encoding="utf-8")) if bible.exists() else []
        names = {c.name for c in known}
        if screenplay is None and self.has_screenplay():
            screenplay = self.screenplay()
        extra = [c for c in cast_of(screenplay) if c.name not in names] if screenplay is not None else []
        return known + extra


STORY_FILES = ("logline", "bible", "outline")


def _story_path(path: Path, name: str) -> Path:
    stem = name.removesuffix(".md")
    if stem not in STORY_FILES:
        raise UsageError(f"'{name}' is not a story file", f"use one of: {', '.join(STORY_FILES)}")
    return locations.story_dir(path) / f"{stem}.md"


def _with_character(text: str, name: str, fields: dict[str, str]) -> str:
    """The bible ``text`` with ``fields`` set on character ``name`` (added under Characters if missing)."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.startswith("### ") and ln[4:].strip().upper() == name), None)
    if start is None:
        at = next((i for i, ln in enumerate(lines) if ln.startswith("## ") and "places" in ln.lower()), len(lines))
        if not any(ln.strip().lower() == "## characters" for ln in lines):
            lines[at:at] = ["## Characters", ""]
            at += 2
        lines[at:at] = [f"### {name}", ""]
        start = at
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("#")), len(lines))
    for key, value in fields.items():
        label = key.replace("_", " ")
        row = f"- {label}: {' '.join(str(value).split())}"
        found = next((i for i in range(start + 1, end) if _field_of(lines[i]) == label), None)
        if found is None:
            last = max([i for i in range(start + 1, end) if lines[i].startswith("- ")], default=start)
            lines.insert(last + 1, row)
            end += 1
        else:
            lines[found] = row
    return "\n".join(lines) + "\n"


def render_bible(story: Story) -> str:
    out = [f"# Story bible — {story.title}", "", "## Characters", ""]
    for c in story.characters:
        out += [
            f"### {c.name}",
            f"- full name: {c.full_name}",
            f"- role: {c.role}",
            f"- want: {c.want}",
            f"- look: {c.look}",
            f"- voice: {c.voice}",
            "",
        ]
    out += ["## Places", ""]
    for loc in story.locations:
        out += [f"### {loc.name}", loc.description, ""]
    return "\n".join(out)


_FIELD_RE = re.compile(r"^- (full name|role|want|look|voice|elevenlabs voice):\s*(.*)$")


def _field_of(line: str) -> str | None:
    m = _FIELD_RE.match(line.strip())
    return m.group(1) if m else None


def parse_bible(text: str) -> list[Character]:
    """Read the characters back from bible.md (a person may have edited it)."""
    cast: list[Character] = []
    section = ""
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip().lower()
        elif line.startswith("### ") and section == "characters":
            cast.append(Character(name=line[4:].strip().upper()))
        elif cast and section == "characters" and (m := _FIELD_RE.match(line.strip())):
            setattr(cast[-1], m.group(1).replace(" ", "_"), m.group(2).strip())
    return cast


class ProjectStore:
    """Creates, finds and lists projects under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, slug: str) -> Path:
        return locations.project_dir(self.root, validate_slug(slug))

    def exists(self, slug: str) -> bool:
        return locations.project_config(self.path_of(slug)).exists()

    def create(self, info: ProjectInfo) -> Project:
        path = self.path_of(info.slug)
        if path.exists():
            raise ProjectExistsError(
                f"a project named '{info.slug}' already exists in {self.root}",
                "pick another --title, or open it with 'moviegen status " + info.slug + "'",
            )
        if len(info.premise) > MAX_PREMISE:
            raise UsageError(
                f"the premise is {len(info.premise):,} characters; the limit is {MAX_PREMISE:,}",
                "a premise is a sentence or a paragraph; put longer material in story/ after 'moviegen new'",
            )
        staging = self.root / f".{info.slug}.creating-{os.getpid()}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            for sub in ("story", "assets", "renders", ".moviegen"):
                (staging / sub).mkdir(parents=True, exist_ok=True)
            doc = tomlkit.parse(_HEADER)
            doc["title"] = info.title
            doc["premise"] = info.premise
            doc["seed"] = info.seed
            doc["stage"] = info.stage.value
            doc["style"] = info.style
            doc["narration"] = info.narration
            fmt = tomlkit.table()
            for k, v in info.format.model_dump().items():
                fmt[k] = v
            doc["format"] = fmt
            atomic.write_text(locations.project_config(staging), tomlkit.dumps(doc))
            (staging / ".moviegen" / ".gitignore").write_text("*\n", encoding="utf-8")
            os.rename(staging, path)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise StorageError(
                f"cannot create {path}: {exc.strerror or exc}",
                f"check that {self.root} is writable, or set MOVIEGEN_PROJECTS_DIR",
            ) from exc
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.open(info.slug)

    def open(self, slug: str) -> Project:
        path = self.path_of(slug)
        if not locations.project_config(path).exists():
            # names nothing else (no path, no other projects): the same words reach a brain's remote callers
            raise ProjectNotFoundError(
                f"no project '{slug}'",
                "see 'moviegen list' for the projects there are, or create one with 'moviegen new \"PREMISE\"'",
            )
        return Project(path=path, info=_read_info(path))

    def slugs(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if not p.name.startswith(".") and locations.project_config(p).exists()
        )

    def list(self) -> list[Project]:
        return [self.open(slug) for slug in self.slugs()]

    def delete(self, slug: str) -> Path:
        """Move a project to MOVIEGEN_HOME/trash (nothing is destroyed); returns where it went."""
        import time

        path = self.open(slug).path
        trash = locations.home_dir() / "trash" / f"{slug}-{time.strftime('%Y%m%d-%H%M%S')}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.move(str(path), str(trash))
        except OSError as exc:
            raise StorageError(f"cannot move {path} to the trash: {exc.strerror or exc}") from exc
        return trash


def _read_info(path: Path) -> ProjectInfo:
    cfg = locations.project_config(path)
    try:
        data = tomlkit.parse(cfg.read_text(encoding="utf-8")).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        raise UsageError(
            f"{cfg} is not valid TOML: {exc}", "fix the file (moviegen keeps your other settings)"
        ) from None
    try:
        return ProjectInfo(slug=path.name, **{k: v for k, v in data.items() if k in ProjectInfo.model_fields})
    except ValueError as exc:
        first = str(exc).splitlines()
        raise UsageError(
            f"{cfg} has a bad value: {' '.join(first[1:3]).strip()}", "fix that key in moviegen.toml"
        ) from None
