"""Estimates: what a render, or a film from a premise, would call, cost and reuse — sending nothing, writing
nothing, creating nothing (moviegen.brain.estimate)."""

from __future__ import annotations

from typing import Any

from moviegen.core.errors import ProjectExistsError, ProjectStateError


class EstimateOps:
    def render_estimate(
        self,
        project_id: str,
        resolution: str | None = None,
        fps: int | None = None,
        aspect: str | None = None,
        burn_subtitles: bool = False,
    ) -> dict[str, Any]:
        from moviegen.core import locations, shotlist
        from moviegen.core.scenes import scenes_of
        from moviegen.services.render.estimate import StepCache, render_steps
        from moviegen.services.render.pipeline import RenderOptions

        project = self.project(project_id)
        if not locations.shots_file(project.path).exists():  # what render_start says
            raise ProjectStateError(f"{project_id} has no shot list yet", f"run 'moviegen plan {project_id}' first")
        options = RenderOptions.for_project(
            project, self.settings, resolution=resolution, fps=fps, aspect=aspect, burn_subtitles=burn_subtitles
        )
        scenes = scenes_of(project.screenplay())
        shots = shotlist.load(locations.shots_file(project.path))
        film = locations.renders_dir(project.path) / f"{options.stem(project)}.mp4"
        with StepCache(project.path) as cache:
            steps = render_steps(
                scenes,
                shots,
                project.cast(),
                options=options,
                seed=project.info.seed,
                premise=project.info.premise,
                narration=project.info.narration,
                providers=self.chain_heads(project_id),
                cache=cache,
                film=film,
                unsheeted=self._unsheeted(project, shots),
            )
        return self._estimate("render", project, True, options, [], True, steps, [])

    def _unsheeted(self, project, shots) -> list[str]:
        """With an online image head: the characters on screen that have no sheet yet (the render paints one)."""
        from moviegen.services import sheets

        head = self.chain_heads(project.slug)["image"]
        if head == "none configured" or self.offline("image", head):
            return []
        known = sheets.load(project)
        cast = {c.name for c in project.cast()}
        shown = dict.fromkeys(n for s in shots for n in s.characters if n in cast)
        return [n for n in shown if sheets.reference(known, n, project.path) is None]

    def make_estimate(
        self,
        premise: str,
        title: str | None = None,
        slug: str | None = None,
        seed: int | None = None,
        narration: bool = False,
        reuse: bool = False,
        resolution: str | None = None,
        fps: int | None = None,
        aspect: str | None = None,
        burn_subtitles: bool = False,
    ) -> dict[str, Any]:
        from moviegen.brain.estimate import draft_story, story_requests
        from moviegen.brain.providers.story_writer import NAME as WRITER
        from moviegen.core import locations
        from moviegen.core.models import ProjectInfo
        from moviegen.core.project import Project
        from moviegen.core.scenes import scenes_of
        from moviegen.core.slug import slugify, validate_slug
        from moviegen.services.render.estimate import StepCache, planned_shots, render_steps
        from moviegen.services.render.pipeline import RenderOptions
        from moviegen.services.story import validate_premise

        # the project film_make would make, or (with reuse) the one it would take up — in memory only
        clean = validate_premise(premise)
        name = title or " ".join(clean.split()[:6])
        slug = validate_slug(slug or slugify(title or " ".join(clean.split()[:6])))
        exists = reuse and self.store.exists(slug)
        if exists:
            project = self.project(slug)
        elif self.store.path_of(slug).exists():  # what project_create says
            raise ProjectExistsError(
                f"a project named '{slug}' already exists in {self.store.root}",
                "pick another --title, or open it with 'moviegen status " + slug + "'",
            )
        else:
            info = ProjectInfo(
                slug=slug,
                title=name,
                premise=clean,
                seed=self.settings.seed if seed is None else seed,
                format=self.settings.default_format(),
                narration=narration,
            )
            project = Project(path=self.store.path_of(slug), info=info)  # nothing on disk: reads find nothing
        options = RenderOptions.for_project(
            project, self.settings, resolution=resolution, fps=fps, aspect=aspect, burn_subtitles=burn_subtitles
        )
        notes: list[str] = []
        if not exists:
            notes.append(
                f"{slug} does not exist yet: nothing is cached, and it has no budget until you set "
                "budget_usd in its moviegen.toml"
            )
        chain = self.router.chain("text", slug if exists else "")
        requests, exact = ([], True)
        if project.has_screenplay():
            scenes, cast = scenes_of(project.screenplay()), project.cast()
            path = locations.shots_file(project.path)
            shots = planned_shots(
                scenes,
                cast,
                style=project.info.style,
                narration=project.info.narration,
                existing=path.read_text(encoding="utf-8") if path.exists() else None,
            )
            drafted = False
        else:
            requests, exact = story_requests(project)
            scenes, cast = draft_story(project)
            shots = planned_shots(scenes, cast, style=project.info.style, narration=project.info.narration)
            drafted = not (chain and chain[0][0] == WRITER)
            notes.append(
                "scenes, shots and lines come from the offline story writer's draft of the premise (free, "
                "deterministic, nothing sent): "
                + (
                    "an approximation, since a language model writes the story"
                    if drafted
                    else "exact, since the offline writer writes the story"
                )
            )
        film = locations.renders_dir(project.path) / f"{options.stem(project)}.mp4"
        with StepCache(project.path) as cache:
            steps = render_steps(
                scenes,
                shots,
                cast,
                options=options,
                seed=project.info.seed,
                premise=project.info.premise,
                narration=project.info.narration,
                providers=self.providers(),
                cache=cache,
                film=film,
            )
        if drafted:  # the note above says why
            for step in steps:
                step.exact = False
        return self._estimate("make", project, exists, options, requests, exact, steps, notes)

    def _estimate(self, run, project, exists, options, requests, exact, steps, notes) -> dict[str, Any]:
        from moviegen.brain.estimate import step_rows, summary, text_rows
        from moviegen.core import locations

        # the ledger only of a project that has an index: an estimate creates nothing
        ledger = self.ledger(project.slug) if exists and locations.index_db(project.path).exists() else None
        rows = []
        if requests:
            chain = self.router.chain("text", project.slug if exists else "")
            rows += text_rows(self.router, chain, requests, not exact, ledger)
        rows += step_rows(self.router, steps)
        budget = project.info.budget_usd if exists else None
        spent = ledger.spent() if ledger is not None else 0.0
        return summary(run, project.slug, exists, options, rows, budget, spent, notes)
