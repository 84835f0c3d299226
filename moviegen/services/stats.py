"""A project's analytics, from what it stores: its render reports (renders/*.json), its jobs and tool counts
(the index), and its provider spend (the ledger, which the brain reads and hands in).

A render counted here is a finished render report: every job's result (the history) and any report on disk
no job produced (renders made before jobs were). Time per stage and the step cache's hit rate come from
those reports' ``timings``, ``computed`` and ``cached``; the provider cache's from the ledger's ``cached``
against ``ok`` entries.
"""

from __future__ import annotations

import json
from typing import Any

from moviegen.core import locations
from moviegen.core.index import ProjectIndex
from moviegen.core.project import Project

TOP_TOOLS = 10


def render_reports(project: Project) -> list[dict[str, Any]]:
    """The render reports on disk, newest first, each with ``file`` (its path in the project) and ``at``."""
    out = []
    for path in locations.renders_dir(project.path).glob("*.json"):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            at = path.stat().st_mtime
        except (OSError, ValueError):
            continue  # half-written or not a report: not counted
        if isinstance(report, dict) and "timings" in report:
            out.append({**report, "file": path.relative_to(project.path).as_posix(), "at": at})
    return sorted(out, key=lambda r: -r["at"])


def project_stats(project: Project, spend: dict[str, Any]) -> dict[str, Any]:
    """Renders, time per stage, cache hit rates, spend and most-used tools of one project. ``spend`` is the
    ledger's report (Ledger.report: total_usd, calls, by_provider, by_status, …)."""
    index = ProjectIndex(project.path)
    try:
        jobs = index.jobs(100_000)
        tools = tool_counts(index)
    finally:
        index.close()
    reports = _runs(jobs, render_reports(project))
    by_status: dict[str, int] = {}
    for job in jobs:
        by_status[job["status"]] = by_status.get(job["status"], 0) + 1
    statuses = spend.get("by_status", {})
    served, cached = statuses.get("ok", {}).get("calls", 0), statuses.get("cached", {}).get("calls", 0)
    return {
        "project": project.slug,
        "title": project.info.title,
        "renders": {
            "count": len(reports),
            "films": [r["file"] for r in render_reports(project)],
            "jobs": len(jobs),
            "jobs_by_status": dict(sorted(by_status.items())),
            "job_seconds": round(
                sum((j["finished"] or j["started"]) - j["started"] for j in jobs if j["status"] == "done"), 3
            ),  # fmt: skip
        },
        "stages": stage_times(reports),
        "cache": {
            "steps": step_cache(reports),
            "providers": {"cached": cached, "served": served, "hit_rate": _rate(cached, cached + served)},
        },
        "spend": {
            "total_usd": spend.get("total_usd", 0.0),
            "calls": spend.get("calls", 0),
            "by_provider": spend.get("by_provider", {}),
        },  # fmt: skip
        "tools": tools,
    }


def _runs(jobs: list[dict], on_disk: list[dict]) -> list[dict]:
    """Every finished render's report: the jobs' results, then the reports on disk that no job made."""
    reports = [j["result"] for j in jobs if j["status"] == "done" and isinstance(j.get("result"), dict)]
    seen = {_signature(r) for r in reports}
    return reports + [r for r in on_disk if _signature(r) not in seen]


def _signature(report: dict) -> str:
    return json.dumps([report.get("film"), report.get("timings")], sort_keys=True, default=str)


def stage_times(reports: list[dict]) -> dict[str, dict[str, float]]:
    """Per stage: how many renders ran it, and their total, mean and longest seconds."""
    seconds: dict[str, list[float]] = {}
    for report in reports:
        for stage, s in (report.get("timings") or {}).items():
            seconds.setdefault(stage, []).append(float(s))
    return {stage: {"renders": len(v), "total_s": round(sum(v), 3), "mean_s": round(sum(v) / len(v), 3),
                    "max_s": round(max(v), 3)} for stage, v in seconds.items()}  # fmt: skip


def step_cache(reports: list[dict]) -> dict[str, Any]:
    """The render steps reused from earlier runs against those computed, overall and by kind of step."""
    kinds: dict[str, list[int]] = {}
    for report in reports:
        for kind, n in (report.get("cached") or {}).items():
            kinds.setdefault(kind, [0, 0])[0] += int(n)
        for kind, labels in (report.get("computed") or {}).items():
            kinds.setdefault(kind, [0, 0])[1] += len(labels) if isinstance(labels, list) else int(labels)
    cached, computed = sum(v[0] for v in kinds.values()), sum(v[1] for v in kinds.values())
    return {"cached": cached, "computed": computed, "hit_rate": _rate(cached, cached + computed),
            "by_kind": {k: {"cached": c, "computed": m, "hit_rate": _rate(c, c + m)}
                        for k, (c, m) in sorted(kinds.items())}}  # fmt: skip


def tool_counts(index: ProjectIndex, limit: int = TOP_TOOLS) -> list[dict[str, Any]]:
    """The most-used operations on the project (the ``tool_calls`` table), most calls first."""
    rows = index.db.execute("SELECT tool, calls, errors, seconds, last FROM tool_calls ORDER BY calls DESC, tool"
                            " LIMIT ?", (limit,))  # fmt: skip
    return [{"tool": t, "calls": c, "errors": e, "seconds": round(s, 3), "last": last} for t, c, e, s, last in rows]


def combine(projects: list[dict[str, Any]]) -> dict[str, Any]:
    """The totals over several projects' stats."""
    tools: dict[str, int] = {}
    stages: dict[str, list[float]] = {}
    steps, providers = [0, 0], [0, 0]
    for p in projects:
        for t in p["tools"]:
            tools[t["tool"]] = tools.get(t["tool"], 0) + t["calls"]
        for stage, s in p["stages"].items():
            cell = stages.setdefault(stage, [0, 0.0])
            cell[0] += s["renders"]
            cell[1] += s["total_s"]
        steps[0] += p["cache"]["steps"]["cached"]
        steps[1] += p["cache"]["steps"]["computed"]
        providers[0] += p["cache"]["providers"]["cached"]
        providers[1] += p["cache"]["providers"]["served"]
    return {
        "projects": len(projects),
        "renders": sum(p["renders"]["count"] for p in projects),
        "jobs": sum(p["renders"]["jobs"] for p in projects),
        "spend_usd": round(sum(p["spend"]["total_usd"] for p in projects), 6),
        "stages": {
            k: {"renders": n, "total_s": round(t, 3), "mean_s": round(t / n, 3) if n else 0.0}
            for k, (n, t) in stages.items()
        },  # fmt: skip
        "cache": {"steps": _rate(steps[0], sum(steps)), "providers": _rate(providers[0], sum(providers))},
        "tools": [{"tool": k, "calls": v} for k, v in sorted(tools.items(), key=lambda kv: (-kv[1], kv[0]))][
            :TOP_TOOLS
        ],
    }


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None
