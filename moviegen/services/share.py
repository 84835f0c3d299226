"""Sharing a character or a place from one project into another (a series): the look, the voice and the
approved reference picture go across, and both projects keep a record of it in ``shared.toml`` (human-
readable, beside sheets.toml), which the story graph turns into ``SHARED_WITH`` / ``SHARED_FROM`` edges to a
node for the other project — so each project's graph says what it gave and what it took, and from whom::

    [[given]]                    # in the source project
    node = "character:mira"
    project = "episode-2"        # the slug, and the identity the project had then
    project_id = "4f1c..."
    at = "2026-12-01T10:02:11Z"

    [[taken]]                    # in the receiving project
    node = "character:mira"
    project = "lantern-road"
    project_id = "9a0b..."
    sheet = "assets/<sha256>.png"
    at = "2026-12-01T10:02:11Z"

Sharing again is an update: the receiving bible's entry is overwritten with the source's fields, the record is
replaced, nothing else in either project changes. The receiving project's own lines, scenes and other
characters are left alone.
"""

from __future__ import annotations

import time
from typing import Any

import tomlkit

from moviegen.core import atomic, locations
from moviegen.core.errors import UsageError
from moviegen.core.project import Project, parse_bible
from moviegen.core.slug import slugify

_HEADER = "# What this project shared with others (given) and took from them (taken): moviegen share.\n"
FIELDS = ("full_name", "role", "want", "look", "voice", "elevenlabs_voice")


def share(source: Project, target: Project, node: str) -> dict[str, Any]:
    """Copy ``node`` ('character:NAME' or 'place:NAME') from ``source`` into ``target`` and record it in both."""
    if source.path == target.path:
        raise UsageError("a project cannot share with itself", "name another project to share into")
    kind, _, key = node.partition(":")
    if kind == "character":
        moved = _character(source, target, key)
    elif kind == "place":
        moved = _place(source, target, key)
    else:
        raise UsageError(f"'{node}' cannot be shared", "share a character:NAME or a place:NAME")
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    _record(source, "given", {"node": node, "project": target.slug, "project_id": target.info.id, "at": at})
    taken = {"node": node, "project": source.slug, "project_id": source.info.id, "at": at}
    if moved.get("sheet"):
        taken["sheet"] = moved["sheet"]
    _record(target, "taken", taken)
    return {"node": node, "from": source.slug, "into": target.slug, **moved}


def records(project: Project) -> dict[str, list[dict[str, Any]]]:
    """{'given': [...], 'taken': [...]} from shared.toml (empty lists when there is none)."""
    path = locations.shared_file(project.path)
    if not path.exists():
        return {"given": [], "taken": []}
    try:
        data = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        raise UsageError(
            f"shared.toml is not valid TOML: {exc}", "fix the file (or delete it) and share again"
        ) from None
    return {side: [dict(r) for r in data.get(side, []) if isinstance(r, dict)] for side in ("given", "taken")}


def _character(source: Project, target: Project, key: str) -> dict[str, Any]:
    from moviegen.services import sheets

    bible = _bible(source)
    found = next((c for c in parse_bible(bible) if slugify(c.name) == key), None)
    if found is None:
        raise UsageError(f"{source.slug}'s bible has no character '{key}'",
                         f"see the characters with 'moviegen story {source.slug} bible'")  # fmt: skip
    fields = {f: getattr(found, f) for f in FIELDS if getattr(found, f, "")}
    target.set_character(found.name, **fields)
    moved: dict[str, Any] = {"name": found.name, "fields": sorted(fields)}
    asset = sheets.reference(sheets.load(source), found.name, source.path)
    if asset:  # the picture every still of theirs is painted from: copied (same content, same name), approved
        if not (target.path / asset).exists():  # content-addressed: the same name holds the same bytes
            atomic.write_bytes(target.path / asset, (source.path / asset).read_bytes())
        held = sheets.load(target).get(found.name, {}).get("takes", [])
        number = next((i for i, t in enumerate(held, 1) if t["asset"] == asset), None)
        if number is None:
            number = sheets.add_take(target, found.name, {"asset": asset, "provider": f"shared from {source.slug}",
                                                          "model": ""}, seed=0)  # fmt: skip
        sheets.approve(target, found.name, number)
        moved["sheet"] = asset
    return moved


def _place(source: Project, target: Project, key: str) -> dict[str, Any]:
    places = _places(_bible(source))
    name = next((n for n in places if slugify(n) == key), None)
    if name is None:
        raise UsageError(f"{source.slug}'s bible describes no place '{key}'",
                         "describe it under '## Places' in the bible (### NAME, then a paragraph), then share it")  # fmt: skip
    title = target.info.title

    def edit(text: str | None) -> str:
        return _with_place(text or f"# Story bible — {title}\n", name, places[name])

    atomic.update_text(locations.story_dir(target.path) / "bible.md", edit)
    return {"name": name, "fields": ["description"]}


def _bible(project: Project) -> str:
    text, _ = project.story_file("bible")
    return text


def _places(text: str) -> dict[str, str]:
    """Place name -> its description, from the bible's '## Places' section."""
    out: dict[str, list[str]] = {}
    section, current = "", None
    for line in text.splitlines():
        if line.startswith("## "):
            section, current = line[3:].strip().lower(), None
        elif line.startswith("### ") and section == "places":
            current = line[4:].strip()
            out[current] = []
        elif current is not None and section == "places":
            out[current].append(line)
    return {name: "\n".join(lines).strip() for name, lines in out.items()}


def _with_place(text: str, name: str, description: str) -> str:
    """The bible with place ``name`` described as ``description`` (replaced if there, else added under Places)."""
    lines = text.rstrip("\n").splitlines()
    places = next((i for i, ln in enumerate(lines) if ln.strip().lower() == "## places"), None)
    if places is None:
        lines += ["", "## Places"]
        places = len(lines) - 1
    end = next((i for i in range(places + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    start = next((i for i in range(places + 1, end) if lines[i].startswith("### ")
                  and lines[i][4:].strip().lower() == name.lower()), None)  # fmt: skip
    block = [f"### {name}", description, ""]
    if start is None:
        while end > places + 1 and not lines[end - 1].strip():
            end -= 1
        lines[end:end] = ["", *block[:-1]]
    else:
        stop = next((i for i in range(start + 1, end) if lines[i].startswith("#")), end)
        lines[start:stop] = block
    return "\n".join(lines).rstrip("\n") + "\n"


def _record(project: Project, side: str, entry: dict[str, Any]) -> None:
    def edit(text: str | None) -> str:
        doc = tomlkit.parse(text or _HEADER)
        rows = doc.get(side) or tomlkit.aot()
        kept = tomlkit.aot()
        for row in rows:  # sharing the same node with the same project again replaces its record
            if not (row.get("node") == entry["node"] and row.get("project_id") == entry["project_id"]):
                kept.append(row)
        table = tomlkit.table()
        table.update(entry)
        kept.append(table)
        doc[side] = kept
        return tomlkit.dumps(doc)

    atomic.update_text(locations.shared_file(project.path), edit)
