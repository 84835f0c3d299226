"""Story, screenplay, story files, shot plan, storyboard and cast: each change publishes an event."""

from __future__ import annotations

import base64
from typing import Any

from moviegen.core import atomic


class StoryOps:
    def story_develop(self, project_id: str, force: bool = False, step: bool = False) -> dict[str, Any]:
        from moviegen.services import story_flow

        where = story_flow.develop(self.project(project_id), *self._story_hooks(project_id), force=force, step=step)
        return self._story_told(project_id, where)

    def story_review(self, project_id: str) -> dict[str, Any]:
        from moviegen.services import story_flow

        return story_flow.status(self.project(project_id))

    def story_approve(self, project_id: str, step: bool | None = None) -> dict[str, Any]:
        from moviegen.services import story_flow

        where = story_flow.resume(self.project(project_id), *self._story_hooks(project_id), step=step)
        return self._story_told(project_id, where)

    def story_redo(self, project_id: str, note: str = "") -> dict[str, Any]:
        from moviegen.services import story_flow

        project = self.project(project_id)
        where = story_flow.resume(project, *self._story_hooks(project_id), action="redo", note=note or None)
        return self._story_told(project_id, where)

    def _story_hooks(self, project_id: str):
        from moviegen.services.story import writer

        return writer(self), lambda kind, fields: self.bus.publish(kind, project=project_id, **fields)

    def _story_told(self, project_id: str, where: dict[str, Any]) -> dict[str, Any]:
        if where["state"] == "done" and where.get("title"):
            self.bus.publish("story.developed", project=project_id, title=where["title"])
        elif where["state"] == "paused":  # announced once the pause is stored: a reader sees it waiting
            self.bus.publish("story.paused", project=project_id, stage=where["stage"], by=where.get("by"))
        return where

    def screenplay_get(self, project_id: str) -> dict[str, Any]:
        project = self.project(project_id)
        if not project.has_screenplay():
            return {"project_id": project_id, "text": "", "digest": None}
        text, digest = project.screenplay_with_digest()  # one read: the digest is of exactly this text
        return {"project_id": project_id, "text": text, "digest": digest}

    def screenplay_update(self, project_id: str, text: str, expect_digest: str | None) -> dict[str, Any]:
        digest = self.project(project_id).write_screenplay(text, expect_digest=_expected(expect_digest))
        self.bus.publish("screenplay.updated", project=project_id, digest=digest)
        return {"project_id": project_id, "digest": digest}

    def story_file_get(self, project_id: str, name: str) -> dict[str, Any]:
        text, digest = self.project(project_id).story_file(name)
        return {"project_id": project_id, "name": name, "text": text, "digest": digest or None}

    def story_file_update(self, project_id: str, name: str, text: str, expect_digest: str | None
                          ) -> dict[str, Any]:  # fmt: skip
        digest = self.project(project_id).write_story_file(name, text, expect_digest=_expected(expect_digest))
        self.bus.publish("story.updated", project=project_id, name=name, digest=digest)
        return {"project_id": project_id, "name": name, "digest": digest}

    def story_share(self, project_id: str, node: str, into: str) -> dict[str, Any]:
        from moviegen.services.share import share

        result = share(self.project(project_id), self.project(into), node)
        self.bus.publish("story.shared", project=project_id, node=node, into=into)
        self.bus.publish("story.updated", project=into, name="bible", node=node, shared_from=project_id)
        return result

    def shots_plan(self, project_id: str, fresh: bool = False) -> dict[str, Any]:
        from moviegen.services.planner import plan

        summary = plan(self.project(project_id), fresh=fresh)
        self.bus.publish("shots.planned", project=project_id, **summary)
        return summary

    # ------------------------------------------------------------------ storyboard
    def _stills_by(self, project_id: str, paint_sheets: bool = False) -> tuple[str, dict[str, str]]:
        """The image chain's head for the project and, when it is online, the characters' sheets the stills are
        given (``paint_sheets``: a first take for every character on screen that has none, as a render would)."""
        from moviegen.core import locations, shotlist
        from moviegen.core.errors import ShotListError
        from moviegen.services import sheets

        head = self.chain_heads(project_id)["image"]
        if head == "none configured" or self.offline("image", head):
            return head, {}
        project = self.project(project_id)
        try:
            shown = list(dict.fromkeys(n for s in shotlist.load(locations.shots_file(project.path))
                                       for n in s.characters))  # fmt: skip
        except ShotListError:
            shown = []
        cast = {c.name for c in project.cast()}
        if paint_sheets:
            known = sheets.load(project)
            for name in shown:
                if name in cast and sheets.reference(known, name, project.path) is None:
                    self.sheet_paint(project_id, name)
        known = sheets.load(project)
        refs = {n: ref for n in shown if (ref := sheets.reference(known, n, project.path)) is not None}
        return head, refs

    def storyboard(self, project_id: str) -> dict[str, Any]:
        from moviegen.services.storyboard import board

        head, refs = self._stills_by(project_id)
        shots, problem = board(self.project(project_id), head, refs)
        return {"shots": shots, "problem": problem}

    def storyboard_paint(self, project_id: str) -> dict[str, Any]:
        from moviegen.services.storyboard import paint_storyboard

        def progress(done: int, total: int) -> None:
            self.bus.publish("storyboard.progress", project=project_id, done=done, total=total)

        head, refs = self._stills_by(project_id, paint_sheets=True)
        painted = paint_storyboard(self.project(project_id), self, head, progress, refs)
        self.bus.publish("storyboard.painted", project=project_id, painted=painted)
        return {"painted": painted}

    def take_new(self, project_id: str, shot_id: str) -> dict[str, Any]:
        from moviegen.services.storyboard import paint_take

        head, refs = self._stills_by(project_id, paint_sheets=True)
        take = paint_take(self.project(project_id), self, head, shot_id, refs)
        self.bus.publish("take.painted", project=project_id, shot=shot_id, take=take["take"])
        return take

    def take_approve(self, project_id: str, shot_id: str, take: int) -> dict[str, Any]:
        from moviegen.services.storyboard import approve_take

        approve_take(self.project(project_id), shot_id, take)
        self.bus.publish("take.approved", project=project_id, shot=shot_id, take=take)
        return {"shot": shot_id, "take": take, "status": "approved"}

    def take_reject(self, project_id: str, shot_id: str, take: int) -> dict[str, Any]:
        from moviegen.services.storyboard import reject_take

        reject_take(self.project(project_id), shot_id, take)
        self.bus.publish("take.rejected", project=project_id, shot=shot_id, take=take)
        return {"shot": shot_id, "take": take, "status": "rejected"}

    # ------------------------------------------------------------------ cast
    def cast_list(self, project_id: str) -> list[dict[str, Any]]:
        from moviegen.services.cast import cast_sheet

        return cast_sheet(self.project(project_id))

    def voice_sample(self, project_id: str, name: str) -> dict[str, Any]:
        from moviegen.services.cast import voice_sample

        project = self.project(project_id)
        path = voice_sample(project, self, name)
        return {"name": name, "file": str(path.relative_to(project.path)),
                "wav_base64": base64.b64encode(path.read_bytes()).decode()}  # fmt: skip

    def recast(self, project_id: str, name: str, voice: str) -> dict[str, Any]:
        from moviegen.services.cast import set_voice

        shots = set_voice(self.project(project_id), name, voice)
        self.bus.publish("cast.recast", project=project_id, name=name, voice=voice)
        return {"name": name, "voice": voice, "shots": shots}


def _expected(digest: str | None) -> str:
    """The digest a save must find on disk: the one the client read, or none (atomic.ABSENT) when there was no
    file — a file someone created meanwhile refuses the save."""
    return digest if digest is not None else atomic.ABSENT
