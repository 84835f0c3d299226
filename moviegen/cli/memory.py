"""Memory commands: search, graph, reindex."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, err, note, out

memory_app = typer.Typer()


_KINDS = typer.Option(None, "--kind", help="Only documents of this kind (character, scene, shot, workflow, note...).")


@memory_app.command()
def search(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    query: str = typer.Argument(..., help="What to look for, in your own words."),
    limit: int = typer.Option(8, "--limit", "-k", min=1, max=100, help="How many results."),
    kind: list[str] = _KINDS,
    mode: str = typer.Option("hybrid", "--mode", help="hybrid (words + meaning + story graph), text or vector."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Search the project's memory: scenes, characters, shots, notes and past runs."""
    hits = context.brain().search_story(slug, query, limit=limit, kinds=kind or None, mode=mode)
    if json_out:
        emit_json(hits)
        return
    if not hits:
        note("nothing found")
    for i, hit in enumerate(hits, 1):
        found_by = "+".join(sorted(hit["ranks"]))
        snippet = " ".join(hit["text"].split())[:160]
        out.print(f"{i}. [bold]{hit['title'] or hit['id']}[/bold] [dim]({hit['kind']}, {found_by})[/dim]\n   {snippet}")


@memory_app.command()
def graph(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    node: str = typer.Argument(None, help="A node key, e.g. character:mara or scene:3 (omit for a summary)."),
    depth: int = typer.Option(1, "--depth", "-d", min=1, max=4, help="How many hops to follow."),
    rel: list[str] = typer.Option(None, "--rel", help="Only these relationship types (APPEARS_IN, CARRIES...)."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show the story graph: a node's neighbourhood, or what kinds of nodes there are."""
    brain = context.brain()
    if node is None:
        kinds = brain.graph_summary(slug)
        if json_out:
            emit_json(kinds)
            return
        for k, keys in sorted(kinds.items()):
            out.print(f"[bold]{k}[/bold] ({len(keys)}): {', '.join(keys[:12])}{' ...' if len(keys) > 12 else ''}")
        return
    neighbors = brain.get_node_neighbors(node, slug, depth=depth, rel_types=rel or None)
    if json_out:
        emit_json(neighbors)
        return
    center = brain.graph_node(slug, node)
    out.print(f"[bold]{center['name'] or center['key']}[/bold] [dim]{center['key']}[/dim]")
    for n in neighbors:
        out.print(f"  {'  ' * (n['depth'] - 1)}{n['node']['key']} [dim]{n['node']['name']}[/dim]")


@memory_app.command()
def reindex(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    re_embed: bool = typer.Option(False, "--re-embed", help="Rebuild every vector with the configured embedder."),
    json_out: bool = typer.Option(False, "--json", help="Print a summary as JSON."),
) -> None:
    """Rebuild the project's memory from its files (and, with --re-embed, its vectors)."""
    with err.status("rebuilding the memory", spinner="dots"):
        info = context.brain().reindex(slug, re_embed=re_embed)
    if json_out:
        emit_json(info)
        return
    out.print(
        f"{info['documents']} documents, {info['nodes']} nodes, {info['edges']} links; vectors by {info['embedder']}"
        + (f" ({info['re_embedded']} re-embedded)" if re_embed else "")
    )


@memory_app.command()
def check(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    json_out: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
) -> None:
    """Check continuity before generating: descriptions, props, time of day, who speaks where."""
    findings = context.brain().continuity_check(slug)
    if json_out:
        emit_json(findings)
        return
    if not findings:
        out.print("no continuity problems found")
        return
    for f in findings:
        where = f"scene {f['scene']}" + (f", shot {f['shot']}" if f.get("shot") else "")
        out.print(f"[bold]{where}[/bold] [dim]({f['kind']}, line {f['line']})[/dim]: {f['message']}")
    note(f"{len(findings)} finding(s)")
