"""Exports: the screenplay and the cut written into the project's exports/ folder, each file announced."""

from __future__ import annotations

import hashlib
from typing import Any


class ExportOps:
    def export(self, project_id: str, format: str) -> dict[str, Any]:
        from moviegen.services.export import export

        project = self.project(project_id)
        files = []
        for path in export(project, format):
            data = path.read_bytes()  # one read: the size and the digest are of the same bytes
            files.append({"path": path.relative_to(project.path).as_posix(), "bytes": len(data),
                          "sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
        self.bus.publish("export.written", project=project_id, format=format, files=[f["path"] for f in files])
        return {"project_id": project_id, "format": format, "files": files}
