"""Where the studio's jobs run and where their events come from.

In-process, the TUI runs renders through the brain's own JobManager with a warm local worker pool, and
listens to the same EventBus the brain server publishes on; with a brain server running, it starts and
cancels jobs through the brain's tools and listens to its /events socket. Either way the app gets one
stream of event dicts (``job.progress``, ``job.done``, …) and awaits it: nothing polls while idle.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

RENDER_STAGES = ("voices", "pictures", "segments", "publish")


class LocalJobs:
    """Jobs in this process: the brain's JobManager, one warm worker pool for the app's life."""

    def __init__(self, brain, workers: int = 0) -> None:
        from moviegen.brain.server.events import EventBus
        from moviegen.brain.server.jobs import JobManager

        self.brain = brain
        self.workers = workers
        self.bus = EventBus()
        self._pool = None
        self.manager = JobManager(brain, self.bus, self._runner)

    def _runner(self):
        from contextlib import nullcontext

        from moviegen.brain.local import LocalBrain
        from moviegen.workers.pool import InlineRunner, LocalPool

        if self.workers == 1:
            return InlineRunner(LocalBrain(self.brain.settings))
        if self._pool is None:
            self._pool = LocalPool(LocalBrain, self.workers, nice=10)  # the keyboard comes first
        return nullcontext(self._pool)  # jobs borrow the pool; it closes with the app

    def start(self, slug: str, resolution: str, aspect: str) -> dict[str, Any]:
        from moviegen.services.render.pipeline import RenderOptions

        options = RenderOptions.for_project(
            self.brain.project(slug), self.brain.settings, resolution=resolution, aspect=aspect
        )
        return self.manager.start_render(slug, options).view()

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self.manager.cancel(job_id).view()

    def retry(self, job_id: str) -> dict[str, Any]:
        return self.manager.retry(job_id).view()

    def get(self, job_id: str) -> dict[str, Any]:
        return self.manager.get(job_id).view()

    def list(self, slug: str) -> list[dict[str, Any]]:
        return [job.view() for job in self.manager.for_project(slug)]

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        queue = self.bus.subscribe()
        try:
            while True:
                yield json.loads(await queue.get())
        finally:
            self.bus.unsubscribe(queue)

    def close(self) -> None:
        self.manager.shutdown(timeout=30)
        if self._pool is not None:
            self._pool.close(cancel=True)
            self._pool = None


class RemoteJobs:
    """Jobs in a running brain server: its tools to start and cancel, its /events socket to follow."""

    def __init__(self, remote) -> None:
        self.remote = remote
        self._jobs: dict[str, dict[str, Any]] = {}

    def start(self, slug: str, resolution: str, aspect: str) -> dict[str, Any]:
        view = self.remote.call("render_start", project_id=slug, resolution=resolution, aspect=aspect)
        return self._keep({**view, "resolution": resolution, "aspect": aspect})

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._keep(self.remote.call("job_cancel", job_id=job_id))

    def retry(self, job_id: str) -> dict[str, Any]:
        job = self.get(job_id)
        return self.start(job["project"], job.get("resolution"), job.get("aspect"))  # None: the project's own

    def get(self, job_id: str) -> dict[str, Any]:
        previous = self._jobs.get(job_id, {})
        view = self.remote.call("job_status", job_id=job_id)
        return self._keep({**view, **{k: previous[k] for k in ("resolution", "aspect") if k in previous}})

    def list(self, slug: str) -> list[dict[str, Any]]:
        """Every job of the project the brain has, started by anyone."""
        return [self._keep({**self._jobs.get(j["id"], {}), **j}) for j in self.remote.call("job_list", project_id=slug)]

    def _keep(self, view: dict[str, Any]) -> dict[str, Any]:
        self._jobs[view["id"]] = view
        return view

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        url = self.remote.url.rsplit("/mcp/ws", 1)[0] + "/events"
        headers = {"Authorization": f"Bearer {self.remote.token}"} if self.remote.token else None
        while True:  # a restarted brain is followed again once it is back
            try:
                async with connect(url, additional_headers=headers, compression=None) as ws:
                    async for text in ws:
                        yield json.loads(text)
            except (OSError, WebSocketException):
                await asyncio.sleep(1.0)

    def close(self) -> None:
        self.remote.close()
