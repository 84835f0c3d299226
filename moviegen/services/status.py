"""Where a project stands: story, shots, renders. One summary for every interface."""

from __future__ import annotations

from typing import Any

from moviegen.core import locations, shotlist
from moviegen.core.errors import ShotListError
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of


def project_status(project: Project, providers: dict[str, str], brain_mode: str = "in-process") -> dict[str, Any]:
    screenplay = project.screenplay() if project.has_screenplay() else None  # parsed once: scenes and cast
    scenes = scenes_of(screenplay) if screenplay is not None else []
    shots_problem = None
    try:
        shots = shotlist.load(locations.shots_file(project.path))
    except ShotListError as exc:
        shots = []
        if locations.shots_file(project.path).exists():
            shots_problem = exc.message  # a broken shot list is reported, not shown as "no shots"
    renders = sorted(p.name for p in locations.renders_dir(project.path).glob("*.mp4"))
    return {
        "slug": project.slug,
        "title": project.info.title,
        "stage": project.info.stage.value,
        "premise": project.info.premise,
        "path": str(project.path),
        "scenes": len(scenes),
        "dialogue_lines": sum(len(s.dialogue) for s in scenes),
        "cast": [c.name for c in project.cast(screenplay)],
        "shots": len(shots),
        "shots_problem": shots_problem,
        "planned_seconds": round(sum(s.duration for s in shots), 2),
        "renders": renders,
        "transcodes": _transcodes(project),
        "models_3d": _models(project),
        "last_render": last_render(project),
        "format": project.info.format.model_dump(),
        "brain": {"mode": brain_mode, "providers": providers},
    }


def _transcodes(project: Project) -> list[str]:
    """The presets the last render was transcoded into (folders of exports/transcodes/)."""
    folder = locations.exports_dir(project.path) / "transcodes"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _models(project: Project) -> list[dict[str, Any]]:
    """The 3D models models.toml names (kind, name, node, asset, provider, bytes); none when it cannot be read."""
    from moviegen.core.errors import MoviegenError
    from moviegen.services.assets3d import list_models

    try:
        return list_models(project)
    except MoviegenError:
        return []


def _made(entry: dict[str, Any] | None) -> str:
    if not entry:
        return ""
    if "missing" in entry:
        return f"none ({entry['missing']})"
    name = f"{entry['provider']}:{entry['model']}" if entry.get("model") else entry.get("provider", "")
    refs = f" with the sheets of {', '.join(entry['references'])}" if entry.get("references") else ""
    return name + refs + (" (fallback)" if entry.get("fallback") else "")


def last_render(project: Project) -> dict[str, Any] | None:
    """The newest render's report, summarised: per shot, what made its picture, its clip and each voice."""
    import json

    reports = sorted(locations.renders_dir(project.path).glob("*.json"), key=lambda p: p.stat().st_mtime)
    for path in reversed(reports):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(report, dict) or "shots" not in report:
            continue
        shots = []
        for shot in report["shots"]:
            row = {"id": shot["id"], "picture": _made(shot.get("picture")) or "storyboard-painter",
                   "voices": [f"{ln['character']}: {_made(ln.get('made_by')) or 'espeak-ng'}" for ln in shot["lines"]]}  # fmt: skip
            if shot.get("clip"):
                row["clip"] = _made(shot["clip"])
            shots.append(row)
        effects = [f"{e['shot']}: {_made(e) if 'provider' in e else _made({'missing': e.get('missing', '')})}"
                   for e in report.get("effects", [])]  # fmt: skip
        return {"film": path.with_suffix(".mp4").name, "shots": shots, "effects": effects}
    return None
