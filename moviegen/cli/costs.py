"""What a project's provider calls cost (the ledger)."""

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
