"""What a batch says when it ends: a table for people, JSON for scripts, JUnit XML for CI (one test case per
film and format, so a CI system lists each failed render by name)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

from moviegen.cli.output import out

STATUSES = ("done", "kept", "failed", "skipped")  # kept: finished by an earlier run; skipped: --fail-fast
SKIPPED = "not run: --fail-fast stopped the batch at the first failure"


def totals(results: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    counts = {status: sum(r["status"] == status for r in results) for status in STATUSES}
    return {"renders": len(results), **counts, "seconds": round(seconds, 2)}


def shown(path: str | None) -> str:
    """A film's path as a person reads it: relative to here when it is below here (JSON keeps it whole)."""
    if not path:
        return ""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


def print_table(results: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="moviegen batch", title_justify="left")
    for name, justify in [("film", "left"), ("format", "left"), ("status", "left"), ("duration", "right"),
                          ("took", "right"), ("output or error", "left")]:  # fmt: skip
        table.add_column(name, justify=justify, overflow="fold")
    colour = {"done": "green", "kept": "cyan", "failed": "red", "skipped": "yellow"}
    for r in results:
        detail = escape(shown(r["output"]) if r["status"] in ("done", "kept") else (r["error"] or ""))
        duration = f"{r['duration']:.1f} s" if r["duration"] is not None else "—"
        table.add_row(r["film"], r["format"], f"[{colour[r['status']]}]{r['status']}[/]", duration,
                      f"{r['seconds']:.1f} s", detail)  # fmt: skip
    out.print(table)
    line = ", ".join(f"{summary[s]} {s}" for s in STATUSES if summary[s])
    out.print(f"{summary['renders']} renders: {line or 'none'} in {summary['seconds']:.1f} s", highlight=False)


def junit_xml(results: list[dict[str, Any]], suite: str, seconds: float) -> str:
    """JUnit XML as Jenkins, GitLab and the GitHub Actions test reporters read it: <testsuites> holding one
    <testsuite> with tests/failures/errors/skipped/time, one <testcase classname="moviegen.batch"> per film and
    format, a <failure message=...> with the one-line error, and the film's path in <system-out>."""
    import xml.etree.ElementTree as ET

    summary = totals(results, seconds)
    counts = {"tests": str(len(results)), "failures": str(summary["failed"]), "errors": "0",
              "skipped": str(summary["skipped"]), "time": f"{seconds:.3f}"}  # fmt: skip
    root = ET.Element("testsuites", {"name": "moviegen batch", **counts})
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - seconds))
    testsuite = ET.SubElement(root, "testsuite", {"name": suite, **counts, "timestamp": stamp,
                                                  "hostname": socket.gethostname()})  # fmt: skip
    for r in results:
        case = ET.SubElement(testsuite, "testcase", {"classname": "moviegen.batch", "name": r["name"],
                                                     "time": f"{r['seconds']:.3f}"})  # fmt: skip
        if r["status"] == "failed":
            failure = ET.SubElement(case, "failure", {"message": r["error"], "type": r["code"] or "error"})
            failure.text = r["error"] + (f"\n→ {r['hint']}" if r["hint"] else "")
        elif r["status"] == "skipped":
            ET.SubElement(case, "skipped", {"message": r["error"] or SKIPPED})
        if r["output"]:
            ET.SubElement(case, "system-out").text = r["output"]
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: Path, results: list[dict[str, Any]], suite: str, seconds: float) -> None:
    from moviegen.core import atomic

    atomic.write_text(path, junit_xml(results, suite, seconds))
