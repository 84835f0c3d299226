"""Workflow memory: what a finished pipeline run is remembered as (inputs, choices, timings, outcome)."""

from __future__ import annotations

import time
import uuid
from typing import Any

from moviegen.core.brain import Brain
from moviegen.core.events import Event, EventSink
from moviegen.core.project import Project


def run_record(
    project: Project,
    flow: str,
    options: dict[str, Any],
    started: float,
    report: dict[str, Any] | None = None,
    error: BaseException | None = None,
) -> tuple[str, dict[str, Any]]:
    fmt = project.info.format
    outcome = "ok" if error is None else "failed"
    data: dict[str, Any] = {
        "description": (
            f"{flow} of '{project.info.title}' ({fmt.resolution} {fmt.fps} fps {fmt.aspect}, {project.info.style})"
            f" — {outcome}. Premise: {project.info.premise or 'imported screenplay'}"
        ),
        "kind": flow,
        "project": project.slug,
        "outcome": outcome,
        "started": started,
        "seconds": round(time.time() - started, 3),
        "options": options,
    }
    if report is not None:
        data.update(
            duration=report["duration"],
            shots=len(report["shots"]),
            dialogue_lines=report["dialogue_lines"],
            loudness_lufs=report["loudness_lufs"],
            timings=report["timings"],
            computed={k: len(v) for k, v in report["computed"].items()},
            cached=report["cached"],
        )
    if error is not None:
        data["error"] = f"{type(error).__name__}: {error}"
    return f"{flow}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime(started))}-{uuid.uuid4().hex[:6]}", data


def remember(brain: Brain, project: Project, workflow_id: str, data: dict[str, Any], emit: EventSink) -> None:
    """Store the record; memory failing never fails the run it describes."""
    try:
        brain.store_workflow_data(workflow_id=workflow_id, data=data, project_id=project.slug)
    except Exception as exc:  # noqa: BLE001 - reported, not raised: the film is already made
        emit(Event(kind="warning", project=project.slug, message=f"could not record this run in memory: {exc}"))
