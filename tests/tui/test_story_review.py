"""The Story tab develops a stage at a time: each stage shown with who wrote it, Approve, Redo with a note,
Approve all — and a development paused by another client (the CLI) shows up here to approve."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Markdown

from moviegen.tui.app import create_app
from moviegen.tui.widgets.dialogs import PromptDialog
from moviegen.tui.widgets.fountain_area import FountainArea
from tests.tui.conftest import click_drawn, make_brain, open_first_project, settle, type_text, until

pytestmark = [pytest.mark.tui]
PREMISE = "A retired lighthouse keeper teaches a stray girl to read the storm signals"


def shown(screen) -> str:
    return screen.pane("story").query_one("#stage", Markdown)._markdown


def test_approve_redo_and_approve_all_in_the_story_tab_by_key_and_button():
    async def main():
        brain = make_brain()
        brain.project_create(PREMISE, slug="keeper")
        app = create_app(brain)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            screen = await open_first_project(app, pilot)
            story = screen.pane("story")
            await pilot.press("ctrl+d")
            await until(pilot, lambda: story.review is not None, what="the logline for approval")
            assert story.query_one("#review").display and "Logline — for approval" in shown(screen)
            assert "story-writer" in shown(screen)
            await pilot.press("f9")  # approve, from the keyboard
            await until(pilot, lambda: story.review is not None and story.review["stage"] == "characters",
                        what="the characters")  # fmt: skip
            before = shown(screen)
            await click_drawn(app, pilot, "#redo-stage")
            await until(pilot, lambda: isinstance(app.screen, PromptDialog), what="the note dialog")
            await type_text(pilot, "older")
            await pilot.press("enter")
            await until(pilot, lambda: story.review is not None and story.review["variants"] == {"characters": 1},
                        what="the characters again")  # fmt: skip
            assert shown(screen) != before and "Characters — for approval" in shown(screen)
            await click_drawn(app, pilot, "#approve-all")
            await until(pilot, lambda: "INT." in screen.query_one(FountainArea).text
                        or "EXT." in screen.query_one(FountainArea).text, what="the screenplay")  # fmt: skip
            assert story.review is None and not story.query_one("#review").display
            assert brain.project_status("keeper")["stage"] == "developed"

    asyncio.run(main())


def test_a_development_paused_elsewhere_waits_here():
    async def main():
        brain = make_brain()
        brain.project_create(PREMISE, slug="keeper")
        app = create_app(brain)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            screen = await open_first_project(app, pilot)
            story = screen.pane("story")
            await asyncio.sleep(1.0)  # the studio follows the project's events from now on (under load: later)
            await settle(app, pilot)
            await asyncio.to_thread(brain.story_develop, "keeper", step=True)  # another client, same brain
            await until(pilot, lambda: story.review is not None, what="the paused logline")
            await pilot.press("ctrl+d")  # not started twice: the stage waits
            await settle(app, pilot)
            assert any("waits for you" in n.message for n in app._notifications)

    asyncio.run(main())
