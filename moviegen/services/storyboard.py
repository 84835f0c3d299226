"""The storyboard: every shot's frame, painting another take of one shot, approving or rejecting a take.

A take is the same shot painted with another seed. Takes are recorded in the project index (candidate,
approved, rejected) and their stills are ordinary content-addressed assets, painted by the render's own frame
step under the render's own key; approving a take writes ``take = N`` into the shot's table in shots.toml, so
the next render uses exactly that still.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moviegen.core import locations, shotlist
from moviegen.core.brain import Brain
from moviegen.core.errors import MoviegenError, ShotListError, UsageError
from moviegen.core.index import ProjectIndex
from moviegen.core.models import Character, Shot
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of, speakers
from moviegen.services import casting
from moviegen.services.render.frames import action_text, frame_key, frame_request
from moviegen.services.render.timeline import ShotCut, Timeline, draft, effective_times, scene_mood


@dataclass
class Frames:
    """What the frame requests of a project need, read once from its files."""

    project: Project
    timeline: Timeline
    roles: dict[str, casting.Role]
    cast: list[Character]
    scene_text: dict[str, str]
    moods: dict[str, str]
    provider: str
    sheets: dict[str, str] = field(default_factory=dict)  # name -> sheet asset (an online image head's references)

    @classmethod
    def of(cls, project: Project, image_provider: str, shots: list[Shot] | None = None,
           sheets: dict[str, str] | None = None) -> Frames:  # fmt: skip
        scenes = scenes_of(project.screenplay())
        shots = shots if shots is not None else shotlist.load(locations.shots_file(project.path))
        cast = project.cast()
        roles = casting.cast_roles(cast, speakers(scenes))
        times = effective_times(scenes)
        return cls(
            project=project,
            timeline=draft(scenes, shots, roles, project.info.format, project.info.seed, project.info.premise),
            roles=roles,
            cast=cast,
            scene_text={s.id: action_text(s) for s in scenes},
            moods={s.id: scene_mood(s, times[s.id], i == len(scenes) - 1) for i, s in enumerate(scenes)},
            provider=image_provider,
            sheets=sheets or {},
        )

    def cut(self, shot_id: str) -> ShotCut:
        cut = next((c for c in self.timeline.shots if c.shot.id == shot_id), None)
        if cut is None:
            raise UsageError(f"{self.project.slug} has no shot '{shot_id}'", "see the shot ids in shots.toml")
        return cut

    def request(self, cut: ShotCut, take: int | None = None) -> dict[str, Any]:
        return frame_request(
            cut, self.timeline, self.roles, self.cast, self.project.info.seed, self.scene_text[cut.scene],
            self.moods[cut.scene], take,
        )  # fmt: skip

    def references(self, request: dict[str, Any]) -> list[str]:
        return [self.sheets[c["name"]] for c in request["characters"] if c["name"] in self.sheets]

    def key(self, request: dict[str, Any]) -> str:
        from moviegen.services.render.pipeline import RENDER_VERSION

        refs = self.references(request)  # as the render keys a still (media_steps.references)
        return frame_key(self.provider, {**request, "references": refs} if refs else request, RENDER_VERSION)

    def paint(self, brain: Brain, index: ProjectIndex, request: dict[str, Any]) -> tuple[str, str]:
        """Paint one still with the render's own frame step (the project's image chain, its ledger and budget,
        the characters' sheets) and record it under the render's key, so a render reuses it. Returns (key,
        asset)."""
        from moviegen.services.render.steps import run_step

        key = self.key(request)
        job = {"project": str(self.project.path), "request": {**request, "project_id": self.project.slug},
               "references": self.references(request)}  # fmt: skip
        result = run_step("frame", job, brain)
        meta = {k: v for k, v in result.items() if k != "asset"}
        if result.get("provider") and result["provider"] != self.provider.partition(":")[0]:
            meta["fallback"] = True  # as the render records it: the next render asks the online provider again
        index.record(key, "frame", result["asset"], meta)
        return key, result["asset"]


def board(
    project: Project, image_provider: str, sheets: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The shot list with each shot's still (if painted) and takes, and what is wrong with it, if anything:
    a shot list out of step with the screenplay still lists, it just cannot be painted until it is fixed."""
    path = locations.shots_file(project.path)
    try:
        shots = shotlist.load(path)
    except ShotListError as exc:
        return [], exc.summary() if path.exists() else None
    try:
        painted, problem = _frames(project, image_provider, shots, sheets), None
    except MoviegenError as exc:
        painted, problem = {}, exc.summary()
    return [{"frame": None, "takes": [], **s.model_dump(mode="json"), **painted.get(s.id, {})} for s in shots], problem


def _frames(project: Project, image_provider: str, shots: list[Shot],
            sheets: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Per shot: its approved take, that take's still if painted, and every take painted so far."""
    plan = Frames.of(project, image_provider, shots, sheets)
    index = ProjectIndex(project.path)
    try:
        takes: dict[str, list[dict]] = {}
        for t in index.takes():
            if (project.path / t["asset"]).exists():
                takes.setdefault(t["shot"], []).append({**t, "frame": str(project.path / t["asset"])})
        out = {}
        for cut in plan.timeline.shots:
            hit = index.lookup(plan.key(plan.request(cut)))
            out[cut.shot.id] = {
                "take": cut.shot.take,
                "frame": str(project.path / hit["asset"]) if hit else None,
                "takes": takes.get(cut.shot.id, []),
            }
        return out
    finally:
        index.close()


def paint_take(project: Project, brain: Brain, image_provider: str, shot_id: str,
               sheets: dict[str, str] | None = None) -> dict[str, Any]:  # fmt: skip
    """Paint the next take of one shot; it waits as a candidate until approved or rejected."""
    plan = Frames.of(project, image_provider, sheets=sheets)
    cut = plan.cut(shot_id)
    index = ProjectIndex(project.path)
    try:
        take = max([cut.shot.take] + [t["take"] for t in index.takes() if t["shot"] == shot_id]) + 1
        key, asset = plan.paint(brain, index, plan.request(cut, take))
        index.record_take(shot_id, take, key, asset, "candidate")
        return {
            "shot": shot_id,
            "take": take,
            "asset": asset,
            "frame": str(project.path / asset),
            "status": "candidate",
        }
    finally:
        index.close()


def approve_take(project: Project, shot_id: str, take: int) -> None:
    """Use this take in the film: shots.toml records it; the previously approved take stays on record."""
    index = ProjectIndex(project.path)
    try:
        takes = [t for t in index.takes() if t["shot"] == shot_id]
        if take not in {t["take"] for t in takes} | {1}:
            raise UsageError(f"shot {shot_id} has no take {take}", "paint one first (regenerate the shot)")
        shotlist.set_fields(locations.shots_file(project.path), shot_id, take=take)
        for t in takes:
            if t["status"] == "approved" and t["take"] != take:
                index.set_take_status(shot_id, t["take"], "candidate")
        index.set_take_status(shot_id, take, "approved")
    finally:
        index.close()


def reject_take(project: Project, shot_id: str, take: int) -> None:
    """Put a candidate aside (its still stays in assets/, nothing is deleted); the approved take cannot be."""
    shots = {s.id: s for s in shotlist.load(locations.shots_file(project.path))}
    if shot_id in shots and shots[shot_id].take == take:
        raise UsageError(f"take {take} is the approved take of shot {shot_id}", "approve another take first")
    index = ProjectIndex(project.path)
    try:
        if not index.set_take_status(shot_id, take, "rejected"):
            raise UsageError(f"shot {shot_id} has no take {take}", "paint one first (regenerate the shot)")
    finally:
        index.close()


def paint_storyboard(project: Project, brain: Brain, image_provider: str, progress=None,
                     sheets: dict[str, str] | None = None) -> int:  # fmt: skip
    """Paint every shot's approved take that is not painted yet (a storyboard before any render); the render
    reuses these stills. Returns how many were painted."""
    plan = Frames.of(project, image_provider, sheets=sheets)
    index = ProjectIndex(project.path)
    painted = 0
    try:
        cuts = plan.timeline.shots
        for n, cut in enumerate(cuts, 1):
            request = plan.request(cut)
            if index.lookup(plan.key(request)) is None:
                plan.paint(brain, index, request)
                painted += 1
            if progress is not None:
                progress(n, len(cuts))
        return painted
    finally:
        index.close()
