"""A project page's live feed: the project's events and who else is viewing, over a WebSocket.

The page opens ``/p/SLUG/live`` (a WebSocket: the door admits it like any page, by cookie or on loopback)
and gets every event of the brain's bus for that project — an edit, a comment, an approval, a render's
progress, from the web, the TUI or the CLI alike — within milliseconds of its publication, plus a
``presence`` event whenever someone opens or leaves a page of the project. Presence is kept here, in the
server process, and never put on the bus (it is not a change of the project). The page says which live parts
it shows, and gets their new HTML after each event that touches them (push.py) instead of fetching them.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter


class Presence:
    """Who has a live page open, per project (a person with two tabs counts once)."""

    def __init__(self) -> None:
        self._viewers: dict[str, Counter] = {}
        self._queues: dict[str, set[asyncio.Queue]] = {}

    def viewers(self, project: str) -> list[str]:
        return sorted(self._viewers.get(project, Counter()))

    def join(self, project: str, name: str, queue: asyncio.Queue) -> None:
        self._viewers.setdefault(project, Counter())[name] += 1
        self._queues.setdefault(project, set()).add(queue)
        self._announce(project)

    def leave(self, project: str, name: str, queue: asyncio.Queue) -> None:
        seen = self._viewers.get(project, Counter())
        seen[name] -= 1
        if seen[name] <= 0:
            del seen[name]
        self._queues.get(project, set()).discard(queue)
        self._announce(project)

    def _announce(self, project: str) -> None:
        text = json.dumps({"kind": "presence", "project": project, "viewers": self.viewers(project)})
        for queue in list(self._queues.get(project, ())):
            try:
                queue.put_nowait(text)
            except asyncio.QueueFull:
                pass


async def serve(websocket, bus, presence: Presence, project: str, name: str, fragments=None) -> None:
    """Send the project's events and presence to an accepted WebSocket as JSON texts until it closes (the page
    went away, or the brain is stopping: uvicorn closes every socket on a stop, so no page holds it up). After an
    event, the parts of the page it touches, rendered once for all pages alike (push.py), when ``fragments``."""
    import anyio

    from moviegen.brain.server.web import push

    queue, listener = bus.subscribe_async(lambda p: p == project)
    presence.join(project, name, queue)
    parts: list[push.Part] = []
    try:
        async with anyio.create_task_group() as tg:

            async def watch() -> None:  # the page's own messages: which live parts it shows
                nonlocal parts
                while (message := await websocket.receive())["type"] != "websocket.disconnect":
                    said = push.parts_of(message.get("text") or "", project) if message.get("text") else None
                    if said is not None:
                        parts = said
                tg.cancel_scope.cancel()

            tg.start_soon(watch)
            while True:
                events = [await queue.get()]
                while not queue.empty():  # a backlog (a burst, or a slow render): each part once, for the last
                    events.append(queue.get_nowait())
                touched: dict[push.Part, str] = {}
                for text in events:
                    await websocket.send_text(text)
                    kind = json.loads(text).get("kind", "") if fragments is not None and parts else ""
                    touched.update((part, text) for part in push.touched(parts, kind))
                if touched and not await push.push(websocket, fragments, project, touched):
                    await websocket.close(code=4403, reason="you may no longer read this project")
                    tg.cancel_scope.cancel()
    except Exception:  # noqa: BLE001 - a page that went away mid-send
        pass
    finally:
        bus.unsubscribe(listener)
        presence.leave(project, name, queue)
