"""moviegen assets push / pull: a project's assets/ folder and the shared S3 store brought level, with a bar.

The commands join the ``moviegen assets`` group (cli/assets.py imports this module). The brain does the work
(assets_push, assets_pull) and publishes ``assets.progress`` events; the bar follows them while the call runs
in a thread, so it moves the same whether the brain is in this process or a server's."""

from __future__ import annotations

from typing import Any

import typer

from moviegen.cli import context
from moviegen.cli.assets import assets_app
from moviegen.cli.output import emit_json, err, note, out

_SLUG = typer.Argument(..., help="The project (see 'moviegen list').")
_JSON = typer.Option(False, "--json", help="Print what was done as JSON (no bar).")


@assets_app.command("push")
def push(slug: str = _SLUG, json_out: bool = _JSON) -> None:
    """Upload the project's assets/ files that the shared store (MOVIEGEN_ASSETS__S3_URL) lacks, each checked
    against its sha256 name first; workers on other machines then fetch them by hash."""
    result = _run(slug, "push", json_out)
    if json_out:
        emit_json(result)
    else:
        _say(f"pushed {len(result['uploaded'])} of {result['files']} assets ({result['bytes']:,} bytes) to "
             f"{result['store']['url']}; {result['present']} were there already")  # fmt: skip
    _damaged(result)


@assets_app.command("pull")
def pull(slug: str = _SLUG, json_out: bool = _JSON) -> None:
    """Download from the shared store what the project's index and files reference but its assets/ folder lacks
    (a clone or bundle without its media), each verified against its sha256 before it lands."""
    result = _run(slug, "pull", json_out)
    if json_out:
        emit_json(result)
    else:
        _say(f"pulled {len(result['downloaded'])} assets ({result['bytes']:,} bytes) from {result['store']['url']}; "
             f"{result['present']} of {result['referenced']} referenced were here already")  # fmt: skip
        if result["missing"]:
            note(f"[yellow]{len(result['missing'])} referenced assets are in neither place[/yellow] "
                 "[dim](a render makes them again):[/dim]")  # fmt: skip
            for rel in result["missing"]:
                err.print(f"  {rel}", markup=False, highlight=False)
    _damaged(result)


def _run(slug: str, direction: str, quiet: bool) -> dict[str, Any]:
    brain = context.brain()
    call = brain.assets_push if direction == "push" else brain.assets_pull
    if quiet:
        return call(slug)
    return _with_bar(brain, slug, direction, lambda: call(slug))


def _with_bar(brain, slug: str, direction: str, call) -> dict[str, Any]:
    """Run ``call`` in a thread while a bar follows the project's ``assets.progress`` events of ``direction``."""
    import asyncio
    import threading
    from contextlib import suppress

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn(f"{direction:<5}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True)  # fmt: skip
    bar = progress.add_task(direction, total=None)

    def heard(event: dict) -> None:
        if event.get("kind") == "assets.progress" and event.get("direction") == direction:
            progress.update(bar, total=max(event["total"], 1), completed=event["done"])

    async def run() -> dict:
        loop = asyncio.get_running_loop()
        done: asyncio.Future = loop.create_future()

        def settle(result, error) -> None:
            if not done.done():
                done.set_exception(error) if error is not None else done.set_result(result)

        def work() -> None:
            try:
                result = call()
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
        threading.Thread(target=work, name=f"moviegen-assets-{direction}", daemon=True).start()
        try:
            return await done
        finally:
            listener.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await listener
            with suppress(Exception):
                await events.aclose()

    with progress:
        return asyncio.run(run())


def _say(line: str) -> None:
    out.print(line, markup=False, emoji=False, highlight=False)


def _damaged(result: dict[str, Any]) -> None:
    """Damaged assets are named on stderr and fail the command (exit 1): they need a person."""
    if not result["corrupt"]:
        return
    where = "in assets/ (not sent)" if "uploaded" in result else "in the store (refused)"
    note(f"[red]{len(result['corrupt'])} assets do not hash to their names {where}:[/red]")
    for rel in result["corrupt"]:
        err.print(f"  {rel}", markup=False, highlight=False)
    raise typer.Exit(1)
