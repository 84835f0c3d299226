"""Where a project stands: story, shots, renders. One summary for every interface."""

from __future__ import annotations

from typing import Any

from moviegen.core import locations, shotlist
from moviegen.core.errors import ShotListError
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of


def project_status(project: Project, providers: dict[str, str], brain_mode: str = "in-process") -> dict[str, Any]:
    scenes = scenes_of(project.screenplay()) if project.has_screenplay() else []
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
        "cast": [c.name for c in project.cast()],
        "shots": len(shots),
        "shots_problem": shots_problem,
        "planned_seconds": round(sum(s.duration for s in shots), 2),
        "renders": renders,
        "format": project.info.format.model_dump(),
        "brain": {"mode": brain_mode, "providers": providers},
    }
