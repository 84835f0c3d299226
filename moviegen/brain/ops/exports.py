"""Exports: the screenplay, the cut, the storyboard and the project bundle written into the project's exports/
folder, each file announced; a bundle brought back in, in pieces (the brain may be on another machine)."""

from __future__ import annotations

import hashlib
from typing import Any


class ExportOps:
    def export(self, project_id: str, format: str) -> dict[str, Any]:
        from moviegen.services.export import export

        project = self.project(project_id)
        files = []
        for path in export(project, format, image_provider=self.chain_heads(project_id)["image"]):
            with open(path, "rb") as f:  # one read: the size and the digest are of the same bytes
                digest, size = hashlib.file_digest(f, "sha256").hexdigest(), f.tell()
            files.append({"path": path.relative_to(project.path).as_posix(), "bytes": size, "sha256": digest})
        self.bus.publish("export.written", project=project_id, format=format, files=[f["path"] for f in files])
        return {"project_id": project_id, "format": format, "files": files}

    def bundle_upload(self, piece: str, upload_id: str | None = None, offset: int = 0) -> dict[str, Any]:
        import base64
        import binascii

        from moviegen.core.errors import UsageError
        from moviegen.services.export.bundle_import import receive

        try:
            data = base64.b64decode(piece, validate=True)
        except binascii.Error:
            raise UsageError("the bundle piece is not base64", "send the file's bytes base64-encoded") from None
        upload_id, size = receive(self.store, data, upload_id, offset)
        return {"upload_id": upload_id, "bytes": size}

    def media_upload(self, project_id: str, kind: str, target: str, piece: str, upload_id: str | None = None,
                     offset: int = 0, last: bool = True) -> dict[str, Any]:  # fmt: skip
        import base64
        import binascii

        from moviegen.core.errors import UsageError
        from moviegen.services import uploads
        from moviegen.services.export.bundle_import import receive, upload_path

        project = self.project(project_id)  # no such project: refused before anything is kept
        try:
            data = base64.b64decode(piece, validate=True)
        except binascii.Error:
            raise UsageError("the upload piece is not base64", "send the file's bytes base64-encoded") from None
        upload_id, size = receive(self.store, data, upload_id, offset)
        path = upload_path(self.store, upload_id)
        if size > uploads.limit_for(kind):
            path.unlink(missing_ok=True)
            raise UsageError(f"the file is over {uploads.limit_for(kind) >> 20} MiB", "send a smaller file")
        if not last:
            return {"upload_id": upload_id, "bytes": size}
        try:
            result = uploads.attach(project, kind, target, path.read_bytes())
        finally:
            path.unlink(missing_ok=True)
        self.bus.publish("media.uploaded", project=project_id, upload=kind, target=result["target"],
                         asset=result["asset"])  # fmt: skip
        return {"upload_id": upload_id, "bytes": size, **result}

    def project_import_bundle(self, upload_id: str, slug: str | None = None) -> dict[str, Any]:
        from moviegen.core.errors import UsageError
        from moviegen.services.export.bundle_import import import_bundle, upload_path

        path = upload_path(self.store, upload_id)
        if not path.exists():
            raise UsageError(f"no upload '{upload_id}' (finished, or cleared after a day)",
                             "send the bundle with bundle_upload first")  # fmt: skip
        try:
            project, restored = import_bundle(self.store, path, slug)
        finally:
            path.unlink(missing_ok=True)
        self.forget(project.slug)
        self.identity(project.slug)
        self.bus.publish("project.created", project=project.slug, title=project.info.title, bundle=True)
        return {**self._summary(project.slug), "restored": restored}
