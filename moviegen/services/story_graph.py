"""The story graph: what the screenplay, the bible and the shot list say, as
nodes (characters, places, props, scenes, shots), links and documents.

Pure extraction, no storage: the brain's knowledge store swaps it in whenever
the source files change. Props and who holds or wears them come from the action
text, only where it says so ("Mara lifts the lantern", "she wears a red coat").
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from moviegen.core import locations, shotlist
from moviegen.core.knowledge import DocumentIn, Edge, Node
from moviegen.core.models import Character, Scene, Shot
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of
from moviegen.core.slug import slugify
from moviegen.services.planner import present_characters

SOURCE = "story"
_CARRY = (
    r"carries|carrying|holds|holding|clutches|clutching|grips|gripping|grabs|picks up|takes|lifts|raises|"
    r"wields|cradles|hugs|clasps|brandishes|swings|snatches|pockets|hoists"
)
_WEAR = r"wears|wearing|puts on|pulls on|dons|ties on|buttons up|zips up"
_RELEASE = r"drops|puts down|sets down|lays down|throws|tosses|hands over|loses|leaves behind|abandons|gives away"
_DET = r"(?:a|an|the|his|her|their|its|one|two|some)"
_PHRASE = r"((?:[a-z][a-z'-]*\s+){0,2}[a-z][a-z'-]*)"
# where the prop's phrase ends: conjunctions, prepositions and particles, articles ("a lantern along the dyke")
_STOP = {"and", "or", "but", "with", "to", "from", "in", "on", "at", "as", "into", "onto", "over", "under", "of",
         "for", "while", "along", "across", "through", "toward", "towards", "past", "up", "down", "behind",
         "beside", "around", "round", "out", "off", "back", "away", "against", "near", "by", "inside",
         "outside", "beneath", "below", "above", "between", "among", "upon", "aside", "forward", "again",
         "a", "an", "the", "his", "her", "their", "its", "then", "so", "before", "after", "until"}  # fmt: skip


@dataclass
class StoryGraph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    documents: list[DocumentIn] = field(default_factory=list)


def _sources(project: Project) -> tuple[Path, ...]:
    return _sources_at(project.path)


@functools.lru_cache(maxsize=512)
def _sources_at(root: Path) -> tuple[Path, ...]:
    return (
        locations.screenplay_file(root),
        locations.shots_file(root),
        locations.story_dir(root) / "bible.md",
        locations.story_dir(root) / "logline.md",
        locations.story_dir(root) / "outline.md",
        locations.models_3d_file(root),
        locations.shared_file(root),
    )


@functools.lru_cache(maxsize=512)
def _source_names(root: Path) -> tuple[str, ...]:
    return tuple(map(str, _sources_at(root)))


def sources_signature(project: Project) -> tuple:
    """Cheap (stat only) stand-in for the digest, to skip re-hashing files that were not touched. Every call of
    a project's memory checks it (twice for a quick call): the paths are made once per project folder."""
    out = []
    for name in _source_names(project.path):
        try:
            st = os.stat(name)
            out.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


def sources_digest(project: Project) -> str:
    """Changes whenever a file the graph is extracted from changes."""
    h = hashlib.sha256()
    for path in _sources(project):
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.exists() else b"\0missing")
    return h.hexdigest()


def character_key(name: str) -> str:
    return f"character:{slugify(name)}"


def place_key(name: str) -> str:
    return f"place:{slugify(name)}"


def prop_key(name: str) -> str:
    return f"prop:{slugify(name)}"


def scene_key(scene_id: str) -> str:
    return f"scene:{scene_id}"


def shot_key(shot_id: str) -> str:
    return f"shot:{shot_id}"


def prop_actions(text: str, cast_names: list[str], last_named: str | None) -> list[tuple[str, str, str]]:
    """(character, verb class CARRIES|WEARS|RELEASES, prop) stated in one action paragraph."""
    found: list[tuple[str, str, str]] = []
    names = {n.split()[0].lower(): n for n in cast_names}
    subject_re = "|".join([re.escape(k) for k in names] + ["he", "she", "they"])
    for sentence in re.split(r"(?<=[.!?;])\s+", text):
        for m in re.finditer(
            rf"\b({subject_re})\b[^.!?;]*?\b({_CARRY}|{_WEAR}|{_RELEASE})\s+{_DET}\s+{_PHRASE}",
            sentence,
            re.I,
        ):
            who = m.group(1).lower()
            who = names.get(who, last_named) if who not in ("he", "she", "they") else last_named
            if who is None:
                continue
            verb = m.group(2).lower()
            kind = "WEARS" if re.fullmatch(_WEAR, verb) else "RELEASES" if re.fullmatch(_RELEASE, verb) else "CARRIES"
            words = []
            for w in m.group(3).lower().split():
                if w in _STOP:
                    break
                words.append(w)
            if words:
                found.append((who, kind, " ".join(words)))
        for word in re.findall(r"\b[\w'-]+\b", sentence):
            if word.lower() in names:
                last_named = names[word.lower()]
    return found


def extract(project: Project) -> StoryGraph:
    g = StoryGraph()
    cast: list[Character] = project.cast() if project.has_screenplay() or _has_bible(project) else []
    scenes: list[Scene] = scenes_of(project.screenplay()) if project.has_screenplay() else []
    shots: list[Shot] = []
    if locations.shots_file(project.path).exists():
        try:
            shots = shotlist.load(locations.shots_file(project.path))
        except Exception:  # noqa: BLE001 - a broken shot list is reported by plan/render; the graph skips it
            shots = []
    nodes: dict[str, Node] = {}

    def node(key: str, kind: str, name: str, **props) -> str:
        if key not in nodes:
            nodes[key] = Node(key=key, kind=kind, name=name, props={k: v for k, v in props.items() if v != ""})
        return key

    def edge(src: str, dst: str, type_: str, **props) -> None:
        g.edges.append(Edge(src=src, dst=dst, type=type_, props=props))

    for c in cast:
        key = node(
            character_key(c.name),
            "character",
            c.name.title(),
            full_name=c.full_name,
            role=c.role,
            look=c.look,
            voice=c.voice,
        )
        text = "; ".join(p for p in (c.full_name, c.role, f"wants {c.want}" if c.want else "", c.look, c.voice) if p)
        g.documents.append(
            DocumentIn(
                id=key,
                kind="character",
                title=c.name.title(),
                text=f"{c.name.title()}: {text or 'a character'}",
                node=key,
            )
        )
    previous: str | None = None
    for scene in scenes:
        skey = node(scene_key(scene.id), "scene", scene.heading, number=scene.id, setting=scene.setting,
                    time_of_day=scene.time_of_day, continuous=scene.continuous, line=scene.line)  # fmt: skip
        if scene.location:
            pkey = node(place_key(scene.location), "place", scene.location.title())
            edge(skey, pkey, "SET_IN")
        if previous:
            edge(skey, previous, "FOLLOWS")
        previous = skey
        present = present_characters(scene, cast)
        for name in present:
            edge(node(character_key(name), "character", name.title()), skey, "APPEARS_IN")
        for name in scene.speakers():
            edge(node(character_key(name), "character", name.title()), skey, "SPEAKS_IN")
        last_named: str | None = None
        for beat in scene.beats:
            if beat.kind != "action":
                continue
            for who, verb, prop in prop_actions(beat.text, [c.name for c in cast], last_named):
                pk = node(
                    prop_key(prop.split()[-1]), "prop", prop
                )  # "the brass lantern" and "the lantern" are one prop
                edge(pk, skey, "APPEARS_IN")
                ckey = node(character_key(who), "character", who.title())
                edge(ckey, pk, verb, scene=scene.id, beat=beat.index)
            for c in cast:
                if re.search(rf"\b{re.escape(c.name.split()[0])}\b", beat.text, re.I):
                    last_named = c.name
        body = []
        for beat in scene.beats:
            body.append(
                f"{beat.character.title()}: {beat.text}" if beat.kind == "dialogue" and beat.character else beat.text
            )
        g.documents.append(
            DocumentIn(
                id=skey,
                kind="scene",
                title=f"Scene {scene.id}: {scene.heading}",
                text="\n".join(body) or scene.heading,
                node=skey,
                metadata={"scene": scene.id, "line": scene.line},
            )  # fmt: skip
        )
    prev_shot: str | None = None
    for shot in shots:
        key = node(shot_key(shot.id), "shot", shot.id, framing=shot.framing.value, camera=shot.camera.value,
                   duration=shot.duration, scene=shot.scene)  # fmt: skip
        if scene_key(shot.scene) in nodes:
            edge(scene_key(shot.scene), key, "HAS_SHOT")
        if prev_shot:
            edge(key, prev_shot, "FOLLOWS")
        prev_shot = key
        for name in shot.characters:
            edge(node(character_key(name), "character", name.title()), key, "APPEARS_IN")
        text = shot.prompt or shot.subject
        if text:
            g.documents.append(
                DocumentIn(
                    id=key,
                    kind="shot",
                    title=f"Shot {shot.id} ({shot.framing.value})",
                    text=text,
                    node=key,
                    metadata={"scene": shot.scene, "shot": shot.id},
                )  # fmt: skip
            )
    for name, kind in (("logline.md", "logline"), ("outline.md", "outline")):
        path = locations.story_dir(project.path) / name
        if path.exists() and path.read_text(encoding="utf-8").strip():
            g.documents.append(
                DocumentIn(id=kind, kind=kind, title=kind.title(), text=path.read_text(encoding="utf-8"))
            )
    _link_models(project, node, nodes)
    _link_shared(project, node, edge)
    g.nodes = list(nodes.values())
    seen: set[tuple[str, str, str]] = set()
    g.edges = [e for e in g.edges if (e.src, e.type, e.dst) not in seen and not seen.add((e.src, e.type, e.dst))]
    return g


def _link_shared(project: Project, node, edge) -> None:
    """What was shared with other projects (SHARED_WITH) and taken from them (SHARED_FROM), as edges from the
    character or place to a node for the other project (services/share.py keeps the records)."""
    from moviegen.core.errors import MoviegenError
    from moviegen.services.share import records

    try:
        shared = records(project)
    except MoviegenError:
        return  # a broken shared.toml is reported by 'moviegen share'; the graph goes on without it
    for side, rel in (("given", "SHARED_WITH"), ("taken", "SHARED_FROM")):
        for row in shared[side]:
            kind, _, name = str(row.get("node", "")).partition(":")
            if kind not in ("character", "place") or not name or not row.get("project"):
                continue
            src = node(row["node"], kind, name.replace("-", " ").title())
            other = node(f"project:{row['project']}", "project", row["project"], identity=row.get("project_id", ""))
            edge(src, other, rel, at=row.get("at", ""))


def _link_models(project: Project, node, nodes: dict[str, Node]) -> None:
    """A 3D model named in models.toml on its character's or prop's node (``model3d``: the GLB in assets/)."""
    from moviegen.core.errors import MoviegenError
    from moviegen.services.assets3d import list_models

    try:
        models = list_models(project)
    except MoviegenError:
        return  # a broken models.toml is reported by 'moviegen assets 3d'; the graph goes on without it
    for m in models:
        key = node(m["node"], m["kind"], m["name"].title() if m["kind"] == "character" else m["name"])
        nodes[key].props.update(model3d=m["asset"], model3d_provider=m["provider"])


def _has_bible(project: Project) -> bool:
    return (locations.story_dir(project.path) / "bible.md").exists()
