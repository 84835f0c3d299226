"""The shared asset store: a project's assets/ folder pushed to and pulled from the S3-compatible bucket that
workers on other machines share (moviegen.workers.assets, asset_sync). Progress is published as
``assets.progress`` events ({direction, done, total, asset}) at most ten times a second, so a CLI bar, the
studio or a webhook follows it whichever brain runs it; the end is one ``assets.pushed`` / ``assets.pulled``."""

from __future__ import annotations

import time
from typing import Any


class AssetStoreOps:
    def assets_push(self, project_id: str) -> dict[str, Any]:
        from moviegen.workers.asset_sync import push

        project, store = self._asset_store(project_id)
        result = push(project.path, store, self._asset_progress(project_id, "push"))
        self.bus.publish("assets.pushed", project=project_id, store=store.url, uploaded=len(result["uploaded"]),
                         bytes=result["bytes"], corrupt=result["corrupt"])  # fmt: skip
        return {"project_id": project_id, **result}

    def assets_pull(self, project_id: str) -> dict[str, Any]:
        from moviegen.workers.asset_sync import pull

        project, store = self._asset_store(project_id)
        result = pull(project.path, store, self._asset_progress(project_id, "pull"))
        self.bus.publish("assets.pulled", project=project_id, store=store.url, downloaded=len(result["downloaded"]),
                         bytes=result["bytes"], missing=result["missing"], corrupt=result["corrupt"])  # fmt: skip
        return {"project_id": project_id, **result}

    def _asset_store(self, project_id: str):
        from moviegen.workers.assets import s3_store

        project = self.project(project_id)  # a clear error for a project that does not exist, before the store's
        store = s3_store(self.settings)
        store.check()  # one line for a missing bucket, refused credentials or an endpoint that does not answer
        return project, store

    def _asset_progress(self, project_id: str, direction: str):
        last = [0.0]

        def progress(done: int, total: int, asset: str, size: int) -> None:
            now = time.monotonic()
            if done == total or now - last[0] >= 0.1:
                last[0] = now
                self.bus.publish("assets.progress", project=project_id, direction=direction, done=done, total=total,
                                 asset=asset)  # fmt: skip

        return progress
