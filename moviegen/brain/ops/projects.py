"""Projects: list, create, import, status, delete; who is calling; premise to film."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from moviegen import __version__


class ProjectOps:
    def whoami(self) -> dict[str, Any]:
        return {"name": "local user", "role": "admin", "projects": ["*"], "version": __version__,
                "providers": self.providers(), "pid": os.getpid()}  # fmt: skip

    def project_list(self) -> list[dict[str, Any]]:
        from moviegen.services.status import project_status

        rows = []
        for slug in self.project_slugs():
            s = project_status(self.project(slug), {}, "")
            rows.append({k: s[k] for k in ("slug", "title", "stage", "scenes", "shots")}
                        | {"last_render": Path(s["renders"][-1]).name if s["renders"] else None})  # fmt: skip
        return rows

    def project_create(self, premise: str, title: str | None = None, slug: str | None = None, seed: int | None = None,
                       narration: bool = False, *, reuse: bool = False) -> dict[str, Any]:  # fmt: skip
        from moviegen.services.story import start_project

        s = self.settings
        existed = reuse and slug is not None and self.store.exists(slug)
        project = start_project(self.store, premise, fmt=s.default_format(), seed=s.seed if seed is None else seed,
                                title=title, slug=slug, narration=narration, reuse=reuse)  # fmt: skip
        self.identity(project.slug)
        if not existed:
            self.bus.publish("project.created", project=project.slug, title=project.info.title)
        return self._summary(project.slug)

    def project_import(self, text: str, title: str | None = None, slug: str | None = None,
                       filename: str = "screenplay.fountain") -> dict[str, Any]:  # fmt: skip
        from moviegen.core.slug import validate_slug
        from moviegen.services.screenplay import import_screenplay_text

        project = import_screenplay_text(self.store, text, filename=Path(filename).name or "screenplay.fountain",
                                         slug=validate_slug(slug) if slug else None, title=title,
                                         fmt=self.settings.default_format())  # fmt: skip
        self.identity(project.slug)
        self.bus.publish("project.created", project=project.slug, title=project.info.title)
        return self._summary(project.slug)

    def project_status(self, project_id: str) -> dict[str, Any]:
        return self._summary(project_id)

    def project_delete(self, project_id: str, purge: bool = False, *, actor: str | None = None) -> dict[str, Any]:
        """``actor``: who asked (the brain server names its caller), for a purge's tombstone."""
        if purge:
            return self._purge(project_id, actor)  # ops/upkeep.py
        self.project(project_id)  # a clear error when there is none
        self.forget(project_id)
        trash = self.store.delete(project_id)
        self.bus.publish("project.deleted", project=project_id)
        return {"slug": project_id, "trash": str(trash)}

    def film_make(self, premise: str, title: str | None = None, slug: str | None = None, seed: int | None = None,
                  narration: bool = False, reuse: bool = False, resolution: str | None = None,
                  fps: int | None = None, aspect: str | None = None, burn_subtitles: bool = False) -> dict[str, Any]:  # fmt: skip
        from moviegen.core.slug import slugify
        from moviegen.services.story import validate_premise

        slug = slug or slugify(title or " ".join(validate_premise(premise).split()[:6]))
        made = self.project_create(premise, title=title, slug=slug, seed=seed, narration=narration, reuse=reuse)
        return self._start_job(made["slug"], "make", resolution, fps, aspect, burn_subtitles)

    def _summary(self, project_id: str) -> dict[str, Any]:
        from moviegen.services.status import project_status

        return project_status(self.project(project_id), self.providers(), self.mode)
