"""moviegen audit: a project's audit trail (who changed what, who was refused), and whether its chain holds."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, note, out

audit_app = typer.Typer()


@audit_app.command("audit")
def audit(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000, help="Show the last N entries."),
    verify: bool = typer.Option(False, "--verify", help="Check the hash chain; exit 1 at the first broken entry."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON (with --verify, the check's result too)."),
) -> None:
    """Every change made to the project and every refused call, from any client: time, who, role, operation,
    result (producers only, through a brain server). The log is .moviegen/audit.jsonl, hash-chained: --verify
    finds an entry edited or removed after it was written."""
    view = context.brain().audit_log(slug, limit, verify)
    if json_out:
        emit_json(view)
    else:
        for e in view["entries"]:
            when = str(e.get("time", "?"))[:19].replace("T", " ")
            out.print(f"{e.get('seq', '?'):>5}  {when}  {e.get('who', '?')} ({e.get('role', '?')}, {e.get('via', '?')})"
                      f"  {e.get('op', '?')}  {e.get('result', '?')}", markup=False, soft_wrap=True)  # fmt: skip
        if not view["entries"]:
            note(f"{slug}: nothing recorded yet (changes and refused calls are)")
        elif view["count"] > len(view["entries"]):
            note(f"the last {len(view['entries'])} of {view['count']} entries (--limit N for more)")
    checked = view.get("verify")
    if checked is None:
        return
    if checked["ok"]:
        note(f"verified {checked['entries']} entries")
        return
    broken = checked["broken"]
    from moviegen.core.errors import MoviegenError

    where = f"entry {broken['seq']}" if broken["seq"] is not None else "an entry"
    raise MoviegenError(
        f"the audit trail of {slug} is broken at {where} (line {broken['line']} of {view['path']}): "
        f"{broken['problem']} ({checked['entries']} intact before it)",
        "the file was changed outside moviegen: compare it with a backup of the project",
    )
