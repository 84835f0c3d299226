"""A pane's background calls: the newest call of an exclusive group is the one whose answer is shown."""

from __future__ import annotations

import asyncio
import threading

from textual.app import App

from moviegen.tui.panes.base import Pane


class Host(App):
    def compose(self):
        yield Pane("a-project", id="pane")


def test_a_superseded_call_does_not_show_its_answer():
    """A develop that returns its pause after the approval of that pause has started must not show the pause
    again (seen in CI as a stale review box): the older call's answer is dropped, the newer one's is shown."""
    shown: list[str] = []
    release = threading.Event()

    def slow() -> str:
        release.wait(10)
        return "the older call's answer"

    async def main():
        app = Host()
        async with app.run_test() as pilot:
            pane = app.query_one("#pane", Pane)
            pane.background(slow, shown.append, group="develop")
            await pilot.pause(0.05)
            pane.background(lambda: "the newer call's answer", shown.append, group="develop")
            for _ in range(100):
                if shown:
                    break
                await pilot.pause(0.02)
            release.set()
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)

    asyncio.run(main())
    assert shown == ["the newer call's answer"]


def test_calls_of_a_group_that_is_not_exclusive_all_show_their_answers():
    shown: list[str] = []

    async def main():
        app = Host()
        async with app.run_test() as pilot:
            pane = app.query_one("#pane", Pane)
            for n in range(3):
                pane.background(lambda n=n: f"answer {n}", shown.append, group="many", exclusive=False)
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)

    asyncio.run(main())
    assert sorted(shown) == ["answer 0", "answer 1", "answer 2"]
