"""Comments on a project, a scene, a shot or a screenplay line, by anyone who may read it (viewers too).

Kept in the project folder, beside the files they are about, as ``comments.jsonl``: one JSON object a line
(id, at, who, role, target, text), appended under the project's folder lock so that two writers never
interleave, readable and diffable like the screenplay. The author is the caller the brain server named for
the call (brain/audit.py's CALLER), or the OS user for an in-process brain. Each comment is announced on the
bus (``comment.added``), so every open page and studio of the project shows it.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

COMMENTS_FILE = "comments.jsonl"  # in the project folder (human-readable, like shots.toml)


def comments_file(project_path: Path) -> Path:
    return project_path / COMMENTS_FILE


def read_comments(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line someone broke by hand: the others still count
        if isinstance(entry, dict) and {"target", "text"} <= entry.keys():
            out.append(entry)
    return out


class CommentOps:
    def comment_add(self, project_id: str, text: str, target: str = "project") -> dict[str, Any]:
        from moviegen.brain import audit
        from moviegen.core import atomic

        caller = audit.CALLER.get() or audit.local_caller()
        entry = {"id": uuid.uuid4().hex[:12], "at": time.time(), "who": caller.who, "role": caller.role,
                 "target": target, "text": text.strip()}  # fmt: skip
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        atomic.update_text(comments_file(self.project(project_id).path), lambda old: (old or "") + line)
        self.bus.publish("comment.added", project=project_id, **{k: entry[k] for k in ("id", "who", "target", "text")})
        return entry

    def comment_list(self, project_id: str, target: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        found = read_comments(comments_file(self.project(project_id).path))
        if target is not None:
            found = [c for c in found if c["target"] == target]
        return found[-limit:]
