"""The providers: what each capability's chain holds, and what a project's calls cost (the ledger)."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, note, out

costs_app = typer.Typer()


@costs_app.command("cost")
def cost(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    entries: int = typer.Option(0, "--entries", "-n", min=0, max=1000, help="Also list the latest N calls."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Spend on providers by provider, model, stage and day; the budget and what is left of it."""
    report = context.brain().cost_report(slug, entries=entries)
    if json_out:
        emit_json(report)
        return
    budget = report["budget_usd"]
    out.print(f"[bold]{slug}[/bold]: {report['total_usd']:.4f} USD over {report['calls']} calls"
              + (f"; budget {budget:.2f} USD, {report['left_usd']:.4f} left" if budget is not None else "; no budget set"))  # fmt: skip
    for group in ("provider", "model", "stage", "day", "status"):
        rows = report[f"by_{group}"]
        if rows:
            out.print(f"  by {group}: " + ", ".join(f"{k} {v['usd']:.4f} ({v['calls']})" for k, v in rows.items()),
                      markup=False, highlight=False)  # fmt: skip
    for e in report.get("entries", []):
        out.print(f"  {e['provider']}:{e['model']} {e['status']} {e['stage']} {e['cost_usd']:.5f} USD "
                  f"{e['latency_ms']:.0f} ms {e['error']}", markup=False, highlight=False)  # fmt: skip
    if not report["calls"]:
        note("no provider calls yet")


@costs_app.command("providers")
def providers(
    check: bool = typer.Option(False, "--check", help="Make one cheap call to each configured online text provider."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Each capability's provider chain: what is configured, online or offline, and which answers first."""
    report = context.brain().providers_report(check=check)
    if json_out:
        emit_json(report)
        return
    for capability in ("text", "image", "speech", "music"):
        out.print(f"[bold]{capability}[/bold] (serving: {report['serving'][capability]})")
        for row in report[capability]:
            state = "ready" if row["configured"] else f"not configured: set {', '.join(row['missing'])}"
            checked = row.get("check")
            if checked:
                state += f"; check: {'ok, ' + str(checked['ms']) + ' ms' if checked['ok'] else checked['error']}"
            where = "offline" if row["offline"] else "online"
            out.print(f"  {row['entry']:<22} {where:<8} {state}", markup=False, highlight=False)
