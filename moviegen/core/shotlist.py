"""shots.toml: the shot list, a file people edit. Re-planning keeps their edits.

Each scene's shots carry the hash of the scene text they were planned from; when
the plan is redone, a scene whose text has not changed keeps its shot tables
exactly as they are on disk (values, comments, order). Only changed or new
scenes get fresh shots.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import tomlkit
from pydantic import ValidationError
from tomlkit.items import AoT, Table

from moviegen.core import atomic
from moviegen.core.errors import ShotListError
from moviegen.core.models import Scene, Shot

_HEADER = """\
# Shot list. Edit freely: framing (wide|medium|close|insert), camera
# (push-in|pull-out|pan-left|pan-right|hold), duration (seconds), subject, prompt;
# motion = "video" animates the shot's still with an image-to-video model (FAL).
# 'beats' are positions of the scene's action paragraphs and dialogue lines
# (0-based) that the shot covers. Re-running 'moviegen plan' keeps the shots of
# every scene whose text has not changed, with your edits and comments.
"""


def scene_hash(scene: Scene) -> str:
    payload = json.dumps([scene.heading, [b.model_dump(exclude={"line"}) for b in scene.beats]], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def load(path: Path) -> list[Shot]:
    if not path.exists():
        raise ShotListError(f"{path.name} does not exist yet", "run 'moviegen plan PROJECT' to make the shot list")
    return parse_shots(path.read_text(encoding="utf-8"), path.name)


def parse_shots(text: str, name: str = "shots.toml") -> list[Shot]:
    """The shots of a shot list's text; ShotListError names the first bad shot and field (``name`` is the file's)."""
    try:  # the standard library's reader: ~10x faster than tomlkit, which only the writer needs (comments kept)
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ShotListError(f"{name} is not valid TOML: {exc}", "fix the file, or delete it and re-plan") from None
    tables = doc.get("shot", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ShotListError(f"{name}: 'shot' must be a list of tables ([[shot]])", "fix the file, or re-plan")
    shots: list[Shot] = []
    for n, table in enumerate(tables, 1):
        data = {k: v for k, v in table.items() if k in Shot.model_fields}
        try:
            shots.append(Shot(**data))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"])
            raise ShotListError(
                f"{name}: shot #{n} ({data.get('id', '?')}): {field}: {err['msg']}",
                "fix that value in shots.toml",
            ) from None
    return shots


def save(path: Path, planned: dict[str, tuple[Scene, list[Shot]]], *, fresh: bool = False) -> dict[str, int]:
    """Write the plan, keeping on-disk shots of unchanged scenes (unless ``fresh``). Returns counts.

    The read of the shots on disk and the write are one step (``atomic.update_text``), so an edit saved while
    the plan is written cannot be lost between the two: it lands either before the read (and is kept) or after
    the write (and applies to the new plan, or is refused if it carries the old digest)."""
    counts: dict[str, int] = {}
    atomic.update_text(path, lambda text: _planned_text(None if fresh else text, planned, counts))
    return counts


def _planned_text(text: str | None, planned: dict[str, tuple[Scene, list[Shot]]], counts: dict[str, int]) -> str:
    old_tables: dict[str, list[Table]] = {}
    header = _HEADER
    if text is not None:
        try:
            old = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError:
            old = None
        if old is not None:
            header = _leading_comments(text) or _HEADER
            for table in old.get("shot", []):
                old_tables.setdefault(str(table.get("scene")), []).append(table)
    doc = tomlkit.parse(header)
    aot = AoT([])
    kept = replanned = 0
    for scene_id, (scene, shots) in planned.items():
        digest = scene_hash(scene)
        previous = old_tables.get(scene_id, [])
        if previous and all(t.get("scene_hash") == digest for t in previous):
            for table in previous:
                aot.append(table)
            kept += 1
            continue
        replanned += 1
        for shot in shots:
            table = tomlkit.table()
            table["id"] = shot.id
            table["scene"] = shot.scene
            table["scene_hash"] = digest
            table["framing"] = shot.framing.value
            table["camera"] = shot.camera.value
            table["duration"] = round(shot.duration, 2)
            table["subject"] = shot.subject
            table["characters"] = shot.characters
            table["beats"] = shot.beats
            table["prompt"] = shot.prompt
            aot.append(table)
    doc.append("shot", aot)
    counts.update(scenes_kept=kept, scenes_planned=replanned)
    return tomlkit.dumps(doc)


def set_fields(path: Path, shot_id: str, **values: object) -> None:
    """Change fields of one shot in shots.toml, keeping every other value and comment as it is (the read and
    the write are one step, so another shot's edit saved meanwhile is kept too)."""

    def edit(text: str | None) -> str:
        if text is None:
            raise ShotListError(f"{path.name} does not exist yet", "run 'moviegen plan PROJECT' to make the shot list")
        try:
            doc = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise ShotListError(
                f"{path.name} is not valid TOML: {exc}", "fix the file, or delete it and re-plan"
            ) from None
        table = next((t for t in doc.get("shot", []) if str(t.get("id")) == shot_id), None)
        if table is None:
            raise ShotListError(f"{path.name} has no shot '{shot_id}'", "see the shot ids with 'moviegen status'")
        for key, value in values.items():
            table[key] = value
        return tomlkit.dumps(doc)

    atomic.update_text(path, edit)


def _leading_comments(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            lines.append(line)
        else:
            break
    return "\n".join(lines).strip() + "\n" if any(ln.strip() for ln in lines) else ""
