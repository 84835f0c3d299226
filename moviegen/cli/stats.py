"""moviegen stats (what the projects' renders, caches, providers and tools add up to) and moviegen gc (what the
retention policy and references let go)."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, note, out

stats_app = typer.Typer()


@stats_app.command("stats")
def stats(
    slug: str = typer.Argument(None, help="The project (default: every project you may read, with totals)."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Renders, time per stage, cache hit rates, spend and most-used tools."""
    report = context.brain().stats(slug)
    if json_out:
        emit_json(report)
        return
    if not report["projects"]:
        note('no projects yet — start one with: moviegen new "PREMISE"')
        return
    for p in report["projects"]:
        _project(p)
    if slug is None and len(report["projects"]) > 1:
        t = report["total"]
        out.print(f"[bold]all {t['projects']} projects[/bold]: {t['renders']} renders, {t['jobs']} jobs, "
                  f"{t['spend_usd']:.4f} USD; step cache {_pct(t['cache']['steps'])}, "
                  f"provider cache {_pct(t['cache']['providers'])}")  # fmt: skip
        if t["tools"]:
            out.print("  most used: " + ", ".join(f"{x['tool']} {x['calls']}" for x in t["tools"]), markup=False)


def _project(p: dict) -> None:
    r, cache, spend = p["renders"], p["cache"], p["spend"]
    jobs = ", ".join(f"{n} {status}" for status, n in r["jobs_by_status"].items()) or "none"
    out.print(f"[bold]{p['title']}[/bold] ({p['project']})")
    out.print(f"  renders:   {r['count']} finished; jobs: {jobs}; films on disk: {len(r['films'])}", markup=False)
    if p["stages"]:
        out.print("  stages:    " + ", ".join(f"{k} {v['mean_s']:.2f} s" for k, v in p["stages"].items())
                  + " (mean per render)", markup=False)  # fmt: skip
    steps, providers = cache["steps"], cache["providers"]
    out.print(f"  cache:     steps {_pct(steps['hit_rate'])} ({steps['cached']} reused, {steps['computed']} made); "
              f"providers {_pct(providers['hit_rate'])} ({providers['cached']} of "
              f"{providers['cached'] + providers['served']})", markup=False)  # fmt: skip
    by = ", ".join(f"{k} {v['usd']:.4f}" for k, v in spend["by_provider"].items())
    out.print(f"  spend:     {spend['total_usd']:.4f} USD over {spend['calls']} calls" + (f" ({by})" if by else ""),
              markup=False)  # fmt: skip
    tools = ", ".join(f"{t['tool']} {t['calls']}" for t in p["tools"]) or "—"
    out.print(f"  most used: {tools}", markup=False)


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


@stats_app.command("gc")
def gc(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    apply: bool = typer.Option(False, "--apply", help="Remove what is listed (without it: a dry run)."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Remove assets no render, take or export references, and the renders [retention] in moviegen.toml
    lets go (keep_renders = N, preview_days = D). A dry run unless --apply."""
    view = context.brain().gc(slug, apply=apply)
    if json_out:
        emit_json(view)
        return
    for r in view["renders"]:
        out.print(f"render {r['stem']}: {r['reason']}", markup=False, highlight=False)
        for f in r["files"]:
            out.print(f"  {f}", markup=False, highlight=False)
    for a in view["assets"]:
        out.print(a, markup=False, highlight=False)
    verb = "removed" if view["applied"] else "would remove"
    note(f"{slug}: {verb} {len(view['renders'])} render(s) and {len(view['assets'])} asset(s): {view['files']} "
         f"file(s), {view['bytes']:,} bytes, {view['records']} index record(s)")  # fmt: skip
    if not view["applied"] and view["files"]:
        note(f"remove them with: moviegen gc {slug} --apply")
