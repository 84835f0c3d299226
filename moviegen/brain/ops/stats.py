"""Analytics: what a project's renders, jobs, caches, providers and tools add up to (moviegen stats); with the
upkeep operations (gc, purge: ops/upkeep.py) as one mixin of LocalBrain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moviegen.brain.ops.upkeep import UpkeepOps


class StatsOps(UpkeepOps):
    def stats(self, project_id: str | None = None, *, visible: Callable[[str], bool] | None = None) -> dict[str, Any]:
        """``visible(slug)``: the brain server's filter of the projects its caller may read (in-process: all)."""
        from moviegen.core.errors import MoviegenError
        from moviegen.services.stats import combine, project_stats

        if project_id is not None:
            slugs = [self.project(project_id).slug]  # a clear error when there is none
        else:
            slugs = [s for s in self.project_slugs() if visible is None or visible(s)]
        self.tally.flush()
        projects = []
        for slug in slugs:
            try:
                projects.append(project_stats(self.project(slug), self.ledger(slug).report()))
            except MoviegenError:
                if project_id is not None:
                    raise
                continue  # deleted meanwhile
        return {"projects": projects, "total": combine(projects)}
