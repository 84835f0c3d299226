"""Media made from a project: transcodes of the last render (a job, followed like a render) and 3D models of
the cast and props (made at once: a model takes milliseconds)."""

from __future__ import annotations

from typing import Any


class MediaOps:
    def transcode(self, project_id: str, presets: list[str]) -> dict[str, Any]:
        from moviegen.services.transcode import TranscodeOptions, source

        source(self.project(project_id))  # no render, or a film that cannot be read: say so now, not in the job
        return self.jobs.start(project_id, "transcode", TranscodeOptions(presets=list(dict.fromkeys(presets)))).view()

    def assets_3d(self, project_id: str, targets: list[str] | None = None) -> dict[str, Any]:
        from moviegen.services.assets3d import make_models

        models = make_models(self.project(project_id), targets, self._model3d_maker(project_id))
        self.bus.publish("assets3d.written", project=project_id, models=[m["node"] for m in models])
        return {"project_id": project_id, "models": models}

    def _model3d_maker(self, project_id: str):
        """When the project's image-to-3D chain has an online head: a function making a character's GLB from
        their sheet (painting one first if they have none); None offline."""
        head = self.chain_heads(project_id)["model3d"]
        if head == "none configured" or self.offline("model3d", head):
            return None

        def make(character) -> dict[str, Any]:
            from moviegen.core.brain import Model3DRequest
            from moviegen.core.errors import ProviderError
            from moviegen.services import sheets

            project = self.project(project_id)
            try:
                sheet = sheets.reference(sheets.load(project), character.name, project.path)
                if sheet is None:
                    sheet = self.sheet_paint(project_id, character.name)["asset"]
                result = self.generate_model3d(Model3DRequest(image=(project.path / sheet).read_bytes(),
                                                              project_id=project_id, seed=project.info.seed))  # fmt: skip
            except ProviderError as exc:
                return {"fallback": exc.message}
            return {"glb": result.glb, "provider": result.provider, "model": result.model, "sheet": sheet}

        return make

    def assets_3d_list(self, project_id: str) -> list[dict[str, Any]]:
        from moviegen.services.assets3d import list_models

        return list_models(self.project(project_id))
