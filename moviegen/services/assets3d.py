"""3D models of the cast and the props: a GLB per character or prop, for previs, a game engine or a 3D
storyboard.

With an online image-to-3D provider (FAL, fed the character's sheet), a character's model comes from there;
offline (and for props, or when the service fails), a procedural low-poly model (assets3d_shapes): a figure from the bible's
build and look and the character's colour, or a primitive chosen by the prop's noun. Each GLB is stored
content-addressed (``assets/<sha256>.glb``: the same model is the same file, written once) and named in
``models.toml`` at the project's root, which people can read and edit (delete an entry to drop it). The story
graph reads that file like the bible, so the character's or prop's node carries ``model3d`` (the asset) and
``model3d_provider``; a prop no action names yet gets a node of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moviegen.core import atomic, locations
from moviegen.core.errors import UsageError
from moviegen.core.models import Character
from moviegen.core.project import Project
from moviegen.core.slug import slugify

PROVIDER = "procedural"
KINDS = ("character", "prop")
HEADER = ("# 3D models made by 'moviegen assets 3d': each is a GLB in assets/, named by its content hash.\n"
          "# The story graph links them to their nodes (model3d); delete an entry to drop the link.\n")  # fmt: skip


def make_models(project: Project, targets: list[str] | None = None, online=None) -> list[dict[str, Any]]:
    """Make the models asked for ('character:NAME', 'prop:NOUN', or a bare character name; none: every
    character) and record them in models.toml. All targets are checked before anything is written.
    ``online(character)``, when given, makes a character's model from their sheet (image-to-3D) and returns
    {glb, provider, model}, or None to fall back to the procedural figure (the entry then says why)."""
    from moviegen.services import assets3d_shapes as shapes
    from moviegen.services.casting import cast_roles

    cast = project.cast()
    wanted = [_target(project, cast, t) for t in targets] if targets else [("character", c) for c in cast]
    if not wanted:
        raise UsageError(f"{project.slug} has no characters yet",
                         f"write the bible first ('moviegen develop {project.slug}'), or name a prop:NOUN")  # fmt: skip
    roles = cast_roles(cast)
    made = []
    seen: set[str] = set()
    for kind, what in wanted:
        if f"{kind}:{what if kind == 'prop' else what.name}" in seen:
            continue
        seen.add(f"{kind}:{what if kind == 'prop' else what.name}")
        made_online = online(what) if online is not None and kind == "character" else None
        provider = PROVIDER
        if made_online is not None and made_online.get("glb"):
            data, key, name = made_online["glb"], slugify(what.name), what.name
            provider = made_online["provider"]
            about = {"model": made_online.get("model", ""), "from_sheet": made_online.get("sheet", "")}
        elif kind == "character":
            figure = shapes.figure_of(what.name, what.look, what.role, roles[what.name].color)
            data, key, name = shapes.figure_glb(figure), slugify(what.name), what.name
            about = {"height_m": figure.height, "colour": roles[what.name].color}
            if made_online is not None and made_online.get("fallback"):
                about["fallback"] = made_online["fallback"]
        else:
            data, key, name = shapes.prop_glb(what), slugify(what.split()[-1]), what
            about = {"shape": shapes.prop_kind(what)}
        asset = _write_asset(project.path, data)
        made.append({"kind": kind, "key": key, "name": name, "node": f"{kind}:{key}", "asset": asset,
                     "provider": provider, "bytes": len(data), **about})  # fmt: skip
    _record(project, made)
    return made


def list_models(project: Project) -> list[dict[str, Any]]:
    """The models models.toml names, characters first, each with whether its GLB is there (and its size)."""
    import tomlkit

    path = locations.models_3d_file(project.path)
    text, _ = atomic.read_text(path)
    if not text:
        return []
    try:
        doc = tomlkit.parse(text).unwrap()
    except tomlkit.exceptions.TOMLKitError as exc:
        raise UsageError(
            f"models.toml cannot be read: {exc}", "fix it by hand, or delete it and make the models again"
        ) from None
    out = []
    for kind in KINDS:
        for key, entry in (doc.get(kind) or {}).items():
            if not isinstance(entry, dict) or not isinstance(entry.get("asset"), str):
                continue
            asset = project.path / entry["asset"]
            out.append({"kind": kind, "key": key, "name": str(entry.get("name") or key), "node": f"{kind}:{key}",
                        "asset": entry["asset"], "provider": str(entry.get("provider") or PROVIDER),
                        "bytes": asset.stat().st_size if asset.is_file() else None})  # fmt: skip
    return out


def _target(project: Project, cast: list[Character], target: str) -> tuple[str, Any]:
    kind, sep, name = target.strip().partition(":")
    if not sep:
        kind, name = "character", kind
    kind, name = kind.strip().lower(), name.strip()
    if kind not in KINDS or not name:
        raise UsageError(f"'{target}' is not a 3D target", "name one as character:NAME or prop:NOUN")
    if kind == "prop":
        return kind, _prop_phrase(project, name)
    wanted = slugify(name)
    for c in cast:
        if wanted in (slugify(c.name), slugify(c.name.split()[0]), slugify(c.full_name or "-")):
            return kind, c
    names = ", ".join(c.name.lower() for c in cast) or "none yet"
    raise UsageError(f"no character '{name}' in {project.slug}'s bible", f"characters: {names}")


def _prop_phrase(project: Project, noun: str) -> str:
    """The story's own phrase for a prop ("brass lantern" for prop:lantern), else the noun as given."""
    from moviegen.services.story_graph import extract, prop_key

    key = prop_key(noun.split()[-1])
    for node in extract(project).nodes if project.has_screenplay() else []:
        if node.key == key and node.kind == "prop":
            return node.name.lower() if len(node.name.split()) >= len(noun.split()) else noun.lower()
    return noun.lower()


def _write_asset(project: Path, data: bytes) -> str:
    """``assets/<sha256>.glb``, written once (the render's convention: an existing file holds these bytes)."""
    import hashlib

    rel = f"assets/{hashlib.sha256(data).hexdigest()}.glb"
    if not (project / rel).exists():
        atomic.write_bytes(project / rel, data)
    return rel


def _record(project: Project, made: list[dict[str, Any]]) -> None:
    """Name the new models in models.toml, keeping everything else in it as people left it."""
    import tomlkit

    def edit(text: str | None) -> str:
        doc = tomlkit.parse(text) if text else tomlkit.parse(HEADER)
        for m in made:
            table = doc.setdefault(m["kind"], tomlkit.table(is_super_table=True))
            entry = tomlkit.table()
            entry.update({"name": m["name"], "asset": m["asset"], "provider": m["provider"]})
            table[m["key"]] = entry
        return tomlkit.dumps(doc)

    atomic.update_text(locations.models_3d_file(project.path), edit)
