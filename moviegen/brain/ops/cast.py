"""Character sheets: paint a reference picture of a character (through the image chain: FAL when configured,
else the offline painter) and approve the take the stills keep the character's face and costume from."""

from __future__ import annotations

from typing import Any

from moviegen.core.brain import ImageRequest
from moviegen.core.errors import UsageError


class CastOps:
    def sheet_paint(self, project_id: str, name: str) -> dict[str, Any]:
        from moviegen.core.scenes import speakers
        from moviegen.services import casting, sheets
        from moviegen.services.cast import _scenes
        from moviegen.services.render.steps import write_asset

        project = self.project(project_id)
        cast = project.cast()
        character = next((c for c in cast if c.name == name.upper()), None)
        if character is None:
            raise UsageError(f"{project_id} has no character '{name}'", "pick one from 'moviegen cast list'")
        roles = casting.cast_roles(cast, speakers(_scenes(project)))
        seed = sheets.next_seed(sheets.load(project), character.name, project.info.seed)
        request = ImageRequest(**sheets.request(character, roles[character.name].color, seed), project_id=project_id)
        result = self.generate_image(request)
        asset, sha = write_asset(project.path, result.png, "png")
        made = {"asset": asset, "provider": result.provider, "model": result.model}
        take = sheets.add_take(project, character.name, made, seed)
        self.bus.publish("cast.sheet", project=project_id, name=character.name, take=take)
        return {"name": character.name, "take": take, "sha256": sha, **made}

    def sheet_approve(self, project_id: str, name: str, take: int) -> dict[str, Any]:
        from moviegen.services import sheets

        project = self.project(project_id)
        sheets.approve(project, name.upper(), take)
        self.bus.publish("cast.sheet", project=project_id, name=name.upper(), approved=take)
        return {"name": name.upper(), "approved": take}
