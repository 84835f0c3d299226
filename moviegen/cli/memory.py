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
    from moviegen.core.errors import UsageError
    from moviegen.core.knowledge import SearchFilter, SearchHit

    if mode not in ("hybrid", "text", "vector"):
        raise UsageError(f"unknown search mode '{mode}'", "use hybrid, text or vector")
    remote = context.remote()
    if remote is not None:
        found = remote.call("search_story", project_id=slug, query=query, k=limit, kinds=kind or None, mode=mode)
        hits = [SearchHit.model_validate(h) for h in found["hits"]]
    else:
        store = context.brain().knowledge(context.store().open(slug).slug)
        hits = store.search(query, limit, SearchFilter(kinds=kind or []), mode=mode)
    if json_out:
        emit_json([h.model_dump() for h in hits])
        return
    if not hits:
        note("nothing found")
    for i, hit in enumerate(hits, 1):
        found_by = "+".join(sorted(hit.ranks))
        snippet = " ".join(hit.text.split())[:160]
        out.print(f"{i}. [bold]{hit.title or hit.id}[/bold] [dim]({hit.kind}, {found_by})[/dim]\n   {snippet}")


@memory_app.command()
def graph(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    node: str = typer.Argument(None, help="A node key, e.g. character:mara or scene:3 (omit for a summary)."),
    depth: int = typer.Option(1, "--depth", "-d", min=1, max=4, help="How many hops to follow."),
    rel: list[str] = typer.Option(None, "--rel", help="Only these relationship types (APPEARS_IN, CARRIES...)."),
    json_out: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show the story graph: a node's neighbourhood, or what kinds of nodes there are."""
    from moviegen.core.knowledge import GraphQuery, NodeMatch

    store = context.brain().knowledge(context.store().open(slug).slug)
    if node is None:
        rows = store.query_graph(GraphQuery(start=NodeMatch(), min_depth=0, max_depth=0, limit=10_000))
        kinds: dict[str, list[str]] = {}
        for row in rows:
            kinds.setdefault(row.start.kind, []).append(row.start.key)
        if json_out:
            emit_json(kinds)
            return
        for k, keys in sorted(kinds.items()):
            out.print(f"[bold]{k}[/bold] ({len(keys)}): {', '.join(keys[:12])}{' ...' if len(keys) > 12 else ''}")
        return
    neighbors = store.get_node_neighbors(node, depth, rel or None)
    if json_out:
        emit_json([n.model_dump() for n in neighbors])
        return
    center = store.get_node(node)
    out.print(f"[bold]{center.name or center.key}[/bold] [dim]{center.key}[/dim]")
    for n in neighbors:
        out.print(f"  {'  ' * (n.depth - 1)}{n.node.key} [dim]{n.node.name}[/dim]")


@memory_app.command()
def reindex(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    re_embed: bool = typer.Option(False, "--re-embed", help="Rebuild every vector with the configured embedder."),
    json_out: bool = typer.Option(False, "--json", help="Print a summary as JSON."),
) -> None:
    """Rebuild the project's memory from its files (and, with --re-embed, its vectors)."""
    from rich.progress import Progress

    from moviegen.brain.knowledge.open import open_store, sync_story
    from moviegen.core.settings import get_settings

    project = context.store().open(slug)
    store = open_store(project, get_settings(), fresh_embedder=re_embed, sync=False)
    try:
        count = 0
        if re_embed:
            with Progress(console=err, transient=True) as progress:
                task = progress.add_task("embedding", total=None)
                count = store.reembed(lambda done, total: progress.update(task, completed=done, total=total))
        sync_story(store, project, force=True)
        info = store.info()
    finally:
        store.close()
    if json_out:
        emit_json({"re_embedded": count, **info.model_dump()})
        return
    out.print(
        f"{info.documents} documents, {info.nodes} nodes, {info.edges} links; vectors by {info.embedder}"
        + (f" ({count} re-embedded)" if re_embed else "")
    )


@memory_app.command()
def check(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    json_out: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
) -> None:
    """Check continuity before generating: descriptions, props, time of day, who speaks where."""
    remote = context.remote()
    if remote is not None:
        findings = remote.call("continuity_check", project_id=slug)
    else:
        from moviegen.services.continuity import continuity_check

        findings = [f.model_dump() for f in continuity_check(context.store().open(slug))]
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
