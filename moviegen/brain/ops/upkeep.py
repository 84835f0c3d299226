"""Upkeep: garbage collection under the project's retention policy (moviegen gc), and the purge that destroys
a project (moviegen project delete --purge), leaving only a tombstone."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any


class UpkeepOps:
    def gc(self, project_id: str, apply: bool = False) -> dict[str, Any]:
        from moviegen.services import retention

        project = self.project(project_id)
        painter = self.chain_heads(project_id)["image"]  # as the storyboard and the render name it
        if not apply:
            return retention.plan(project, painter).view(applied=False)
        view = retention.collect(project, painter).view(applied=True)
        self.bus.publish("project.collected", project=project_id, files=view["files"], bytes=view["bytes"])
        return view

    def _purge(self, project_id: str, actor: str | None = None) -> dict[str, Any]:
        """Destroy the project: Neo4j nodes first (a failure there leaves everything else, to purge again), then
        what this brain holds open, the folder, and the project's copies in the trash; one tombstone stays."""
        import getpass

        from moviegen.brain.knowledge.open import backend_name
        from moviegen.core import locations
        from moviegen.core.errors import ProjectStateError
        from moviegen.core.lock import exclusive

        project = self.project(project_id)
        if any(job.project == project_id for job in self.jobs.running()):
            raise ProjectStateError(f"{project_id} is rendering", "cancel its job first, then purge it")
        identity = self.identity(project_id)
        config = hashlib.sha256(locations.project_config(project.path).read_bytes()).hexdigest()
        nodes = 0
        if backend_name(self.settings) == "neo4j":
            from moviegen.brain.knowledge.neo4j_store import purge_project

            nodes = purge_project(self.settings, project_id)
        self.forget(project_id)
        trash = [d for d in (locations.home_dir() / "trash").glob(f"{project_id}-*") if _identity_of(d) == identity]
        files = bytes_ = 0
        with exclusive(locations.render_lock(project.path), f"a render of {project_id}"):
            for folder in [project.path, *trash]:
                for path in folder.rglob("*"):
                    if path.is_file():
                        files, bytes_ = files + 1, bytes_ + path.stat().st_size
                shutil.rmtree(folder)
        tombstone = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "who": actor or f"{getpass.getuser()} (in-process)",
            "slug": project_id, "project_id": identity, "moviegen_toml_sha256": config, "files": files,
            "bytes": bytes_, "neo4j_nodes": nodes,
        }  # fmt: skip
        path = locations.home_dir() / "audit" / "tombstones.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(tombstone) + "\n")
        self.bus.publish("project.deleted", project=project_id, purged=True)
        return {"slug": project_id, "purged": True, "tombstone": str(path), **tombstone}


def _identity_of(folder: Path) -> str | None:
    import tomlkit

    try:
        return str(tomlkit.parse((folder / "moviegen.toml").read_text(encoding="utf-8")).get("id") or "") or None
    except (OSError, ValueError):
        return None
