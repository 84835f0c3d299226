"""The studio with a brain server running: it says so, follows edits other clients make through the brain,
renders through the brain's tools and follows the render on the brain's /events socket."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from textual.widgets import Static

from moviegen.brain.remote import RemoteBrain
from moviegen.tui.app import create_app
from moviegen.tui.studio import open_brain
from moviegen.tui.widgets.fountain_area import FountainArea
from tests.server.conftest import start_brain, stop_brain
from tests.tui.conftest import open_first_project, settle, until

pytestmark = [pytest.mark.tui, pytest.mark.integration, pytest.mark.slow]


def test_render_through_a_running_brain_with_live_events(lantern, tmp_path, monkeypatch):
    brain = start_brain(tmp_path)  # the same projects folder as this test's world
    try:
        monkeypatch.setenv("MOVIEGEN_BRAIN_URL", brain.ws)
        # another client rendered before the studio opened: the Jobs tab still lists its job
        other = RemoteBrain(brain.ws)
        earlier = other.call("render_start", project_id="lantern-road", resolution="320x180")
        for _ in range(600):
            if other.call("job_status", job_id=earlier["id"])["status"] not in ("queued", "running"):
                break
            time.sleep(0.2)
        other.close()

        async def main():
            app = create_app(open_brain())
            async with app.run_test(size=(120, 40)) as pilot:
                await settle(app, pilot)
                assert "brain server at ws://127.0.0.1" in str(app.screen.query_one("#where", Static).render())
                screen = await open_first_project(app, pilot)
                await pilot.press("f6")
                await settle(app, pilot)
                assert earlier["id"] in app.jobs.views and app.jobs.views[earlier["id"]]["status"] == "done"
                assert screen.pane("jobs").query_one("#jobs").row_count == 1
                # another client edits the screenplay through the brain: the open editor follows
                other = RemoteBrain(brain.ws)
                current = other.call("screenplay_get", project_id="lantern-road")
                edited = current["text"].replace("Negative.", "Affirmative.")
                other.call("screenplay_update", project_id="lantern-road", text=edited, expect_digest=current["digest"])
                other.close()
                area = screen.query_one(FountainArea)
                await until(pilot, lambda: "Affirmative." in area.text, 30, "the edit made elsewhere")
                screen.pane("render").query_one("#resolution").value = "640x360"
                await pilot.press("ctrl+r")
                await until(pilot, lambda: any(v["status"] == "done" for v in app.jobs.views.values()), 300, "render")
                view = next(iter(app.jobs.views.values()))
                assert {"voices", "pictures", "segments", "publish"} <= set(view["stages"])  # from /events
                await until(pilot, lambda: screen.pane("render").film is not None, 30, "the result")
                assert Path(screen.pane("render").film).exists()

        asyncio.run(main())
    finally:
        stop_brain(brain)
