"""The TUI's one handle on projects, services and the brain — the same calls the CLI makes, no logic of its
own. Every method is synchronous; screens call them from thread workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moviegen.core import atomic, locations
from moviegen.core.project import Project, ProjectStore
from moviegen.core.settings import Settings, get_settings


@dataclass
class Studio:
    settings: Settings
    brain: Any  # LocalBrain: memory and generation in this process
    remote: Any = None  # RemoteBrain when a brain server is up
    jobs: Any = field(default=None)  # LocalJobs or RemoteJobs

    @classmethod
    def open(cls, settings: Settings | None = None, *, use_server: bool = True) -> Studio:
        from moviegen.brain.local import LocalBrain
        from moviegen.tui.jobs import LocalJobs, RemoteJobs

        settings = settings or get_settings()
        brain = LocalBrain(settings)
        remote = None
        if use_server:
            from moviegen.brain.daemon import brain_url

            url, token = brain_url()
            if url:
                from moviegen.brain.remote import RemoteBrain

                remote = RemoteBrain(url, token)
        jobs = RemoteJobs(remote) if remote else LocalJobs(brain, settings.render.workers)
        return cls(settings=settings, brain=brain, remote=remote, jobs=jobs)

    @property
    def store(self) -> ProjectStore:
        return ProjectStore(self.settings.projects_dir)

    @property
    def mode(self) -> str:
        return f"brain server at {self.remote.url}" if self.remote else "in-process"

    def project(self, slug: str) -> Project:
        return self.brain.project(slug)  # re-read only when its moviegen.toml changes

    # ------------------------------------------------------------------ projects
    def projects(self) -> list[dict[str, Any]]:
        from moviegen.services.status import project_status

        rows = []
        for p in self.store.list():
            s = project_status(p, {}, self.mode)
            rows.append({**s, "last_render": Path(s["renders"][-1]).name if s["renders"] else "—"})
        return rows

    def create(self, premise: str) -> Project:
        from moviegen.services.story import start_project

        s = self.settings
        return start_project(self.store, premise, fmt=s.default_format(), seed=s.seed)

    def import_file(self, path: str) -> Project:
        from moviegen.services.screenplay import import_screenplay

        return import_screenplay(self.store, Path(path).expanduser(), fmt=self.settings.default_format())

    def delete(self, slug: str) -> Path:
        return self.store.delete(slug)

    # ------------------------------------------------------------------ story
    def develop(self, slug: str) -> None:
        from moviegen.services.story import develop

        develop(self.project(slug), self.brain, force=False)

    def plan(self, slug: str) -> dict[str, Any]:
        from moviegen.services.planner import plan

        return plan(self.project(slug))

    def story_files(self, slug: str) -> dict[str, str]:
        folder = locations.story_dir(self.project(slug).path)
        return {
            n: (folder / f"{n}.md").read_text(encoding="utf-8") if (folder / f"{n}.md").exists() else ""
            for n in ("logline", "bible", "outline")
        }

    def screenplay(self, slug: str) -> tuple[str, str | None]:
        """The screenplay's text and digest (handed back on save to catch edits made elsewhere)."""
        project = self.project(slug)
        if not project.has_screenplay():
            return "", None
        return project.screenplay_text(), atomic.file_digest(locations.screenplay_file(project.path))

    def save_screenplay(self, slug: str, text: str, expect_digest: str | None) -> str:
        return self.project(slug).write_screenplay(text, expect_digest=expect_digest or "")

    # ------------------------------------------------------------------ cast
    def cast(self, slug: str) -> list[dict[str, Any]]:
        from moviegen.services.cast import cast_sheet

        return cast_sheet(self.project(slug))

    def voice_sample(self, slug: str, name: str) -> Path:
        from moviegen.services.cast import voice_sample

        return voice_sample(self.project(slug), self.brain, name)

    def set_voice(self, slug: str, name: str, voice: str) -> list[str]:
        from moviegen.services.cast import set_voice

        return set_voice(self.project(slug), name, voice)

    # ------------------------------------------------------------------ storyboard
    def shots(self, slug: str) -> tuple[list[dict[str, Any]], str | None]:
        from moviegen.services.storyboard import board

        return board(self.project(slug), self.brain.providers()["image"])

    def paint_storyboard(self, slug: str, progress=None) -> int:
        from moviegen.services.storyboard import paint_storyboard

        return paint_storyboard(self.project(slug), self.brain, self.brain.providers()["image"], progress)

    def paint_take(self, slug: str, shot_id: str) -> dict[str, Any]:
        from moviegen.services.storyboard import paint_take

        return paint_take(self.project(slug), self.brain, self.brain.providers()["image"], shot_id)

    def approve_take(self, slug: str, shot_id: str, take: int) -> None:
        from moviegen.services.storyboard import approve_take

        approve_take(self.project(slug), shot_id, take)

    def reject_take(self, slug: str, shot_id: str, take: int) -> None:
        from moviegen.services.storyboard import reject_take

        reject_take(self.project(slug), shot_id, take)

    # ------------------------------------------------------------------ assistant
    def ask(self, slug: str, question: str) -> dict[str, Any]:
        from moviegen.services.assistant import answer

        return answer(self.brain.knowledge(slug), question)

    # ------------------------------------------------------------------ past work
    def past_runs(self, slug: str) -> list[dict[str, Any]]:
        """Finished renders of this project, newest first, from the workflow memory."""
        return self.brain.knowledge(slug).list_workflows(20)

    def close(self) -> None:
        if self.jobs is not None:
            self.jobs.close()
        self.brain.close()
