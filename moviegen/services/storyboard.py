"""The storyboard: every shot's frame, painting another take of one shot, approving or rejecting a take.

A take is the same shot painted with another seed. Takes are recorded in the project index (candidate,
approved, rejected) and their stills are ordinary content-addressed assets; approving a take writes
``take = N`` into the shot's table in shots.toml, so the next render paints (or reuses) exactly that still.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moviegen.core import locations, shotlist
from moviegen.core.brain import Brain, ImageRequest
from moviegen.core.errors import UsageError
from moviegen.core.index import ProjectIndex
from moviegen.core.project import Project
from moviegen.core.scenes import scenes_of
from moviegen.services import casting
from moviegen.services.render.frames import frame_key, frame_request
from moviegen.services.render.timeline import Timeline, draft, effective_times, scene_mood


@dataclass
class Frames:
    """What a frame request needs, built once per call from the project's files."""

    timeline: Timeline
    roles: dict[str, casting.Role]
    project: Project
    scene_text: dict[str, str]
    moods: dict[str, str]

    @classmethod
    def of(cls, project: Project) -> Frames:
        scenes = scenes_of(project.screenplay())
        shots = shotlist.load(locations.shots_file(project.path))
        roles = casting.cast_roles(project.cast(), [b.character for s in scenes for b in s.dialogue if b.character])
        tl = draft(scenes, shots, roles, project.info.format, project.info.seed, project.info.premise)
        times = effective_times(scenes)
        return cls(
            timeline=tl,
            roles=roles,
            project=project,
            scene_text={s.id: " ".join(b.text for b in s.beats if b.kind == "action") for s in scenes},
            moods={s.id: scene_mood(s, times[s.id], i == len(scenes) - 1) for i, s in enumerate(scenes)},
        )

    def request(self, shot_id: str, take: int | None = None) -> dict[str, Any]:
        cut = next((c for c in self.timeline.shots if c.shot.id == shot_id), None)
        if cut is None:
            raise UsageError(f"{self.project.slug} has no shot '{shot_id}'", "see the shot ids in shots.toml")
        cast = self.project.cast()
        return frame_request(
            cut, self.timeline, self.roles, cast, self.project.info.seed, self.scene_text[cut.scene],
            self.moods[cut.scene], take,
        )  # fmt: skip


def frames(project: Project, image_provider: str) -> dict[str, dict[str, Any]]:
    """Per shot: its approved take, that take's still if painted, and every take painted so far."""
    from moviegen.services.render.pipeline import RENDER_VERSION

    if not locations.shots_file(project.path).exists() or not project.has_screenplay():
        return {}
    plan = Frames.of(project)
    index = ProjectIndex(project.path)
    try:
        takes: dict[str, list[dict]] = {}
        for t in index.takes():
            if (project.path / t["asset"]).exists():
                takes.setdefault(t["shot"], []).append(t)
        out = {}
        for cut in plan.timeline.shots:
            hit = index.lookup(frame_key(image_provider, plan.request(cut.shot.id), RENDER_VERSION))
            out[cut.shot.id] = {
                "take": cut.shot.take,
                "frame": str(project.path / hit["asset"]) if hit else None,
                "takes": takes.get(cut.shot.id, []),
            }
        return out
    finally:
        index.close()


def paint_take(project: Project, brain: Brain, image_provider: str, shot_id: str) -> dict[str, Any]:
    """Paint the next take of one shot; it waits as a candidate until approved or rejected."""
    from moviegen.services.render.pipeline import RENDER_VERSION
    from moviegen.services.render.steps import write_asset

    plan = Frames.of(project)
    index = ProjectIndex(project.path)
    try:
        cut = next((c for c in plan.timeline.shots if c.shot.id == shot_id), None)
        if cut is None:
            raise UsageError(f"{project.slug} has no shot '{shot_id}'", "see the shot ids in shots.toml")
        take = max([cut.shot.take] + [t["take"] for t in index.takes() if t["shot"] == shot_id]) + 1
        request = plan.request(shot_id, take)
        result = brain.generate_image(ImageRequest(**request))
        asset, sha = write_asset(project.path, result.png, "png")
        key = frame_key(image_provider, request, RENDER_VERSION)
        meta = {"sha": sha, "width": result.width, "height": result.height, "provider": result.provider}
        index.record(key, "frame", asset, meta)  # the render reuses this still once the take is approved
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
        known = {t["take"] for t in index.takes() if t["shot"] == shot_id} | {1}
        if take not in known:
            raise UsageError(f"shot {shot_id} has no take {take}", "paint one first (regenerate the shot)")
        shotlist.set_fields(locations.shots_file(project.path), shot_id, take=take)
        for t in index.takes():
            if t["shot"] == shot_id and t["status"] == "approved" and t["take"] != take:
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


def paint_storyboard(project: Project, brain: Brain, image_provider: str, progress=None) -> int:
    """Paint every shot's approved take that is not painted yet (a storyboard before any render); the render
    reuses these stills. Returns how many were painted."""
    from moviegen.services.render.pipeline import RENDER_VERSION
    from moviegen.services.render.steps import write_asset

    plan = Frames.of(project)
    index = ProjectIndex(project.path)
    painted = 0
    try:
        cuts = plan.timeline.shots
        for n, cut in enumerate(cuts, 1):
            request = plan.request(cut.shot.id)
            key = frame_key(image_provider, request, RENDER_VERSION)
            if index.lookup(key) is None:
                result = brain.generate_image(ImageRequest(**request))
                asset, sha = write_asset(project.path, result.png, "png")
                meta = {"sha": sha, "width": result.width, "height": result.height, "provider": result.provider}
                index.record(key, "frame", asset, meta)
                painted += 1
            if progress is not None:
                progress(n, len(cuts))
        return painted
    finally:
        index.close()
