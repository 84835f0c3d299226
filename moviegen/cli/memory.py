"""Memory commands: search, ask, graph, reindex, check."""

from __future__ import annotations

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, err, note, out

memory_app = typer.Typer()


_KINDS = typer.Option(None, "--kind", help="Only documents of this kind (character, scene, shot, workflow, note...).")


@memory_app.command()
def search(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list'); with --all or --also, the query."),
    query: str = typer.Argument(None, help="What to look for, in your own words."),
    limit: int = typer.Option(8, "--limit", "-k", min=1, max=100, help="How many results."),
    kind: list[str] = _KINDS,
    mode: str = typer.Option("hybrid", "--mode", help="hybrid (words + meaning + story graph), text or vector."),
    every: bool = typer.Option(False, "--all", help="Search every project you may read: moviegen search --all QUERY."),
    also: list[str] = typer.Option(None, "--also", help="Search this project too (repeat for more)."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Search the project's memory: scenes, characters, shots, notes and past runs — or several projects' at once
    (--all, --also), each hit naming its project."""
    brain = context.brain()
    if every or also:
        if every and query is not None:
            raise typer.BadParameter('with --all give only the query: moviegen search --all "the lamp"')
        words, projects = (slug, None) if every else (query, [slug, *also])
        if words is None:
            raise typer.BadParameter("what to look for is missing: moviegen search SLUG QUERY --also OTHER")
        hits = brain.search_projects(words, projects, limit=limit, kinds=kind or None, mode=mode)
    else:
        if query is None:
            raise typer.BadParameter("what to look for is missing: moviegen search SLUG QUERY (or --all QUERY)")
        hits = brain.search_story(slug, query, limit=limit, kinds=kind or None, mode=mode)
    if json_out:
        emit_json(hits)
        return
    if not hits:
        note("nothing found")
    for i, hit in enumerate(hits, 1):
        found_by = "+".join(sorted(hit["ranks"]))
        snippet = " ".join(hit["text"].split())[:160]
        where = f"{hit['project']}: " if "project" in hit else ""
        out.print(f"{i}. [bold]{where}{hit['title'] or hit['id']}[/bold] [dim]({hit['kind']}, {found_by})[/dim]\n"
                  f"   {snippet}")  # fmt: skip


@memory_app.command()
def ask(
    slug: str = typer.Argument(..., help="The project (see 'moviegen list')."),
    question: str = typer.Argument(..., help="A question about the project, in your own words."),
    json_out: bool = typer.Option(False, "--json", help="Print the finished answer as JSON (nothing streams)."),
) -> None:
    """Ask about the project: its language model answers from the project's own documents, citing them as [1],
    [2], as it writes; with no language model configured, the passages that answer it best."""
    brain = context.brain()
    if json_out:
        emit_json(brain.assistant_ask(slug, question))
        return
    result, shown = _streamed_answer(brain, slug, question)
    if result["mode"] != "llm":
        if shown:  # a model began, then failed: what it wrote is not the answer
            _write("\n")
            note("[dim](the model broke off)[/dim]")
        _passages(result)
        return
    text = result["answer"]
    if text.startswith(shown):
        _write(text[len(shown) :])
    else:  # a model broke off mid-answer and the next one answered: the answer, whole
        _write("\n")
        note("[dim](the first model broke off; the whole answer:)[/dim]")
        _write(text)
    _write("\n")
    if result.get("sources"):
        out.print("\n[bold]Sources[/bold]")
    for src in result["sources"]:  # the cited ones bright, the others dim
        line = f"\\[{src['n']}] {_escape(src['title'])}"
        cited = src["n"] in result["citations"]
        out.print(f"[bold]{line}[/bold][dim]{_where(src)}[/dim]" if cited else f"[dim]{line}{_where(src)}[/dim]")
    if result.get("dropped"):
        note(
            f"[dim]taken out: citations of passages that do not exist ({', '.join(map(str, result['dropped']))})[/dim]"
        )
    if result.get("provider"):
        note(f"[dim]answered by {result['provider']}{':' + result['model'] if result.get('model') else ''}[/dim]")


def _streamed_answer(brain, slug: str, question: str) -> tuple[dict, str]:
    """Ask, printing the answer as it arrives: the project's events are followed (``assistant.delta`` with this
    question's ask_id) while the call runs in a thread. Returns the result and what was printed of it. A piece
    missed (this listener joined late) stops the printing; the rest is printed from the result."""
    import asyncio
    import threading
    import uuid
    from contextlib import suppress

    ask_id = uuid.uuid4().hex[:12]
    shown: list[str] = []
    state = {"at": 0, "gap": False}

    def heard(event: dict) -> None:
        if event.get("kind") != "assistant.delta" or event.get("ask_id") != ask_id or state["gap"]:
            return
        if event.get("offset") != state["at"]:
            state["gap"] = True
            return
        shown.append(event["text"])
        state["at"] += len(event["text"])
        _write(event["text"])

    async def run() -> dict:
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()

        def settle(result, error) -> None:
            if not done.done():
                done.set_exception(error) if error is not None else done.set_result(result)

        def call() -> None:
            try:
                result = brain.assistant_ask(slug, question, ask_id=ask_id)
            except BaseException as exc:  # noqa: BLE001 - raised again where the command waits for it
                loop.call_soon_threadsafe(settle, None, exc)
            else:
                loop.call_soon_threadsafe(settle, result, None)

        events = brain.events(slug)

        async def listen() -> None:
            async for event in events:
                heard(event)

        listener = asyncio.create_task(listen())
        for _ in range(3):  # an in-process brain's listener is in place after its first step
            await asyncio.sleep(0)
        threading.Thread(target=call, name="moviegen-ask", daemon=True).start()  # Ctrl-C does not wait for it
        try:
            return await done
        finally:
            listener.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await listener
            with suppress(Exception):
                await events.aclose()

    result = asyncio.run(run())
    return result, "".join(shown)


def _passages(result: dict) -> None:
    if result.get("warning"):
        err.print(f"[yellow]warning:[/yellow] {_escape(result['warning'])}")
    note(f"[dim]{_escape(result['mode'])}[/dim]")
    if not result["sources"]:
        note("nothing in this project answers that")
    for src in result["sources"]:
        out.print(
            f"[bold]\\[{src['n']}] {_escape(src['title'])}[/bold][dim]{_where(src)}[/dim]\n    {_escape(src['text'])}"
        )


def _where(src: dict) -> str:
    scene = src.get("scene")
    if src.get("kind") == "scene" or scene is None:
        return f" ({src.get('kind', 'document')})"
    return f" ({src.get('kind', 'document')}, scene {scene})"


def _write(text: str) -> None:
    import sys

    sys.stdout.write(text)
    sys.stdout.flush()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


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
