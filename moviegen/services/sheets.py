"""Character sheets: one reference picture per character, made from the bible's look, so that a reference-
conditioned image model keeps each face and costume the same in every still.

Takes live in ``sheets.toml`` beside the shot list (a person can read and diff it; the pictures are
content-addressed assets)::

    [MIRA]
    approved = 2          # the take the stills use; 0 until someone approves one (the newest is used)
    [[MIRA.takes]]
    asset = "assets/<sha256>.png"
    provider = "fal"
    model = "fal-ai/flux/dev"
    seed = 7

Painting a take spends (an online image model); approving one is free. A render with an online image
provider paints a first take for every character a shot shows who has none, and feeds the shot's characters'
sheets (approved, else newest) to the still.
"""

from __future__ import annotations

from typing import Any

import tomlkit

from moviegen.core import atomic, locations
from moviegen.core.errors import UsageError
from moviegen.core.models import Character
from moviegen.core.project import Project

WIDTH, HEIGHT = 768, 1024  # portrait: the whole figure, head to shoes
_HEADER = """\
# Character sheets: reference pictures the stills keep each character's face and costume from.
# 'approved' is the take the render uses (0: none approved yet, the newest is used).
"""


def load(project: Project) -> dict[str, dict[str, Any]]:
    """name -> {"approved": int, "takes": [{asset, provider, model, seed}, ...]}."""
    path = locations.sheets_file(project.path)
    if not path.exists():
        return {}
    try:
        data = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        raise UsageError(f"sheets.toml is not valid TOML: {exc}", "fix the file, or delete it to paint anew") from None
    return {str(k).upper(): {"approved": int(v.get("approved", 0)), "takes": list(v.get("takes", []))}
            for k, v in data.items() if isinstance(v, dict)}  # fmt: skip


def reference(sheets: dict[str, dict[str, Any]], name: str, root=None) -> str | None:
    """The asset of the take a still uses for ``name``: the approved one, else the newest; None without takes
    (or, given the project's ``root``, when that take's picture is no longer on disk)."""
    entry = sheets.get(name)
    if not entry or not entry["takes"]:
        return None
    n = entry["approved"]
    asset = entry["takes"][n - 1]["asset"] if 1 <= n <= len(entry["takes"]) else entry["takes"][-1]["asset"]
    return None if root is not None and not (root / asset).exists() else asset


def request(character: Character, color: str, seed: int) -> dict[str, Any]:
    """The ImageRequest fields of a character's sheet."""
    look = character.look or "an ordinary person in everyday clothes"
    prompt = (f"Character reference sheet of {character.name.title()}: {look}. Full body, standing, facing the "
              f"camera, neutral expression, plain light grey background, even studio light, no text.")  # fmt: skip
    return {"prompt": prompt, "width": WIDTH, "height": HEIGHT, "seed": seed, "framing": "wide",
            "characters": [{"name": character.name, "look": character.look, "color": color, "slot": 0}],
            "speaker": character.name, "caption": "", "draw_caption": False, "location": "studio",
            "setting": "INT", "time_of_day": "DAY"}  # fmt: skip


def add_take(project: Project, name: str, made: dict[str, Any], seed: int) -> int:
    """Record a painted take for ``name`` (its asset and who made it); returns its number."""
    number = 0

    def edit(text: str | None) -> str:
        nonlocal number
        doc = tomlkit.parse(text or _HEADER)
        if name not in doc:
            table = tomlkit.table()
            table["approved"] = 0
            table["takes"] = tomlkit.aot()
            doc[name] = table
        take = tomlkit.table()
        take.update({"asset": made["asset"], "provider": made.get("provider", ""), "model": made.get("model", ""),
                     "seed": seed})  # fmt: skip
        doc[name]["takes"].append(take)
        number = len(doc[name]["takes"])
        return tomlkit.dumps(doc)

    atomic.update_text(locations.sheets_file(project.path), edit)
    return number


def approve(project: Project, name: str, take: int) -> None:
    """Make take ``take`` of ``name`` the one the stills use (the next render re-makes that character's stills)."""
    sheets = load(project)
    count = len(sheets.get(name, {}).get("takes", []))
    if not 1 <= take <= count:
        raise UsageError(f"{name} has no sheet take {take} ({count} painted)",
                         f"paint one with 'moviegen cast sheet {project.slug} {name}'")  # fmt: skip

    def edit(text: str | None) -> str:
        doc = tomlkit.parse(text or _HEADER)
        doc[name]["approved"] = take
        return tomlkit.dumps(doc)

    atomic.update_text(locations.sheets_file(project.path), edit)


def next_seed(sheets: dict[str, dict[str, Any]], name: str, seed: int) -> int:
    """A new take's seed: the project's, moved on by the takes already painted."""
    return seed + 7919 * len(sheets.get(name, {}).get("takes", []))
