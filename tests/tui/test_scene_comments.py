"""Comments on a scene and on its lines — made in the web view, the CLI or any client — show under the Story
tab's editor for the scene the cursor is in, and a new one shows up there as it is made."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Static

from moviegen.tui.app import create_app
from moviegen.tui.panes.story import heading_rows, scene_in
from moviegen.tui.widgets.fountain_area import FountainArea
from tests.conftest import FIXTURES
from tests.tui.conftest import make_brain, open_first_project, until

pytestmark = [pytest.mark.tui]


def test_the_comments_of_the_scene_at_the_cursor_show_under_the_editor():
    async def main():
        brain = make_brain()
        brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
        brain.comment_add("two", "Say it like you mean it", target="line:1:1")
        brain.comment_add("two", "A comment on another scene", target="scene:2")
        app = create_app(brain)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_first_project(app, pilot)
            story = screen.pane("story")
            area = story.query_one(FountainArea)
            box = story.query_one("#scene-comments", Static)
            await until(pilot, lambda: "They're late." in area.text, what="the screenplay")
            assert not box.display  # the cursor is above the first scene: no scene, no comments
            row = area.text.splitlines().index("ADA")
            area.move_cursor((row, 0))
            await until(pilot, lambda: box.display and "Say it like you mean it" in str(box.render()),
                        what="the line's comment")  # fmt: skip
            shown = str(box.render())
            assert "comments on scene 1" in shown and "line 1" in shown and "another scene" not in shown
            brain.comment_add("two", "Hold the wide shot", target="scene:1")  # from another client: an event
            await until(pilot, lambda: "Hold the wide shot" in str(box.render()), what="the new comment")
            area.move_cursor((0, 0))
            await until(pilot, lambda: not box.display, what="no scene at the top")
            # a scene written above it: the lines below are in scene 2 now, and show scene 2's comments
            heading = area.text.splitlines().index("EXT. HARBOUR WALL - DUSK")
            area.insert("INT. BOATHOUSE - DAY\n\nNets drying.\n\n", location=(heading, 0))
            area.move_cursor((area.text.splitlines().index("ADA"), 0))
            await until(pilot, lambda: "another scene" in str(box.render()), what="scene 2's comments")
            assert "comments on scene 2" in str(box.render()) and "Say it like" not in str(box.render())

    asyncio.run(main())


def test_scene_in_counts_the_headings_above():
    lines = ["Title: x", "", "EXT. A - DAY", "", "Action.", "", "INT. B - NIGHT", "", "BO", "Hi."]
    assert [scene_in(heading_rows(lines), row) for row in (0, 2, 4, 6, 9)] == [None, "1", "1", "2", "2"]
