"""An estimate as a table: per stage the provider, the calls, how many are cached and what the rest would cost;
then the totals, the budget and the notes (where a number is a guess, and why)."""

from __future__ import annotations

from typing import Any

from moviegen.cli.output import out


def print_estimate(est: dict[str, Any]) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    fmt = est["format"]
    what = f"{est['run']} {est['project']}" + ("" if est["exists"] else " (a new project)")
    table = Table(
        title=f"[bold]{escape(what)}[/bold] at {fmt['resolution']}, {fmt['fps']} fps, {fmt['aspect']}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_footer=True,
    )
    table.add_column("stage", "total")
    table.add_column("provider")
    table.add_column("calls", str(est["count"]), justify="right")
    table.add_column("cached", str(est["cached"]), justify="right")
    table.add_column("to run", str(est["to_run"]), justify="right")
    table.add_column("USD", f"{est['total_usd']:.4f}", justify="right")
    for row in est["steps"]:
        provider = f"{row['provider']}:{row['model']}" if row["model"] else row["provider"]
        guess = "" if row["exact"] else "~"
        counts = "" if row["capability"] == "text" else guess  # a story stage is one call; its prompt is the guess
        usd = "offline" if row["offline"] else (f"{guess}{row['usd']:.4f}" if row["priced"] else "no price")
        table.add_row(
            escape(row["stage"]),
            escape(provider),
            f"{counts}{row['count']}",
            f"{guess}{row['cached']}",
            f"{counts}{row['to_run']}",
            usd,
        )
    out.print(table)
    budget = est["budget_usd"]
    if budget is None:
        out.print(f"  up to {est['total_usd']:.4f} USD; no budget set")
    else:
        left = est["left_usd"]
        out.print(
            f"  budget {budget:g} USD: {est['spent_usd']:.4f} spent, this run up to {est['total_usd']:.4f}, "
            f"{left:.4f} would be left"
        )
    if est["over_budget"] or est["refused_at"]:
        where = f": the budget check could refuse {escape(est['refused_at'])}" if est["refused_at"] else ""
        out.print(f"  [bold red]over budget[/bold red]{where}")
    for note in est["notes"]:
        out.print(f"  [dim]- {escape(note)}[/dim]")
    out.print(
        "  nothing was sent or written (~: an approximation, see the notes)"
        if not est["exact"]
        else "  nothing was sent or written"
    )
