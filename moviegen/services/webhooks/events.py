"""Which events a webhook may ask for, how the brain's own events become them, and the body each one sends.

Three names are made for receivers: ``render.finished`` (a render or premise-to-film job finished, with its
result), ``job.failed`` and ``screenplay.updated``. Every other event the brain publishes on its bus may be
asked for by its own name — except the token stream of the assistant's answers and the project's own birth
and removal (a webhook lives in the project: it is not there yet, or no longer). The body follows Standard
Webhooks: ``{"type", "timestamp", "data"}``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from moviegen.core.errors import UsageError

RENDER_JOBS = ("render", "make")
MADE = {  # names made for receivers -> what they mean
    "render.finished": "a render (or a premise-to-film make) finished; data: job, job_kind, result",
    "job.failed": "a job failed; data: job, job_kind, error {code, message, hint}",
    "screenplay.updated": "the screenplay was saved; data: digest",
}
PASSED = {  # the bus's own kinds a webhook may ask for by name
    "job.queued": "a job was queued", "job.started": "a job started", "job.progress": "a job's progress (many)",
    "job.done": "a job finished (any kind)", "job.cancelled": "a job was cancelled",
    "job.interrupted": "a job stopped with the brain (resumable)", "job.cancelling": "a cancel was asked for",
    "story.stage": "story development wrote (or started) a stage", "story.paused": "story development paused",
    "story.developed": "story development finished", "story.updated": "a story file was saved",
    "shots.planned": "the shot list was planned", "storyboard.progress": "storyboard painting progress (many)",
    "storyboard.painted": "the storyboard was painted", "take.painted": "a take was painted",
    "take.approved": "a take was approved", "take.rejected": "a take was rejected",
    "cast.recast": "a character's voice changed", "export.written": "export files were written",
    "memory.stored": "documents were stored", "memory.progress": "re-embedding progress (many)",
    "memory.reindexed": "the memory was rebuilt", "graph.linked": "two graph nodes were linked",
    "workflow.stored": "a workflow run was remembered", "assistant.answered": "the assistant answered a question",
    "job.resumed": "a restarted brain took up a job the last one left", "comment.added": "someone commented",
    "media.uploaded": "a picture, music or sound was uploaded", "story.shared": "a character or place was shared "
    "into another project", "cast.sheet": "a character sheet take was painted or approved",
}  # fmt: skip
TEST = "webhook.test"
EVENTS = {**MADE, **PASSED}


def check_events(names: list[str]) -> list[str]:
    """The names, each once in the order given ('a,b' entries split); a name not in EVENTS is refused."""
    chosen: list[str] = []
    for name in (part.strip() for entry in names for part in entry.split(",")):
        if not name:
            continue
        if name not in EVENTS:
            raise UsageError(f"'{name}' is not an event a webhook can receive",
                             "see 'moviegen webhook add --help' for the names (render.finished, job.failed, "
                             "screenplay.updated, and the brain's own events)")  # fmt: skip
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise UsageError("name at least one event", "e.g. --events render.finished,job.failed")
    return chosen


def names_for(event: dict[str, Any]) -> list[str]:
    """The webhook event names a bus event is (``job_kind`` already added to job events, see ``data_of``)."""
    kind = event.get("kind", "")
    names = [kind] if kind in PASSED or kind in MADE else []
    if kind == "job.done" and event.get("job_kind") in RENDER_JOBS:
        names.append("render.finished")
    return names


def data_of(event: dict[str, Any]) -> dict[str, Any]:
    """The event's own fields, as receivers get them (its kind and time go to the envelope)."""
    return {k: v for k, v in event.items() if k not in ("kind", "at")}


def body(name: str, data: dict[str, Any], at: float) -> str:
    """The exact text that is signed and sent (compact JSON, keys in order)."""
    stamp = datetime.fromtimestamp(at, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return json.dumps({"type": name, "timestamp": stamp, "data": data}, separators=(",", ":"), default=str,
                      ensure_ascii=False)  # fmt: skip
