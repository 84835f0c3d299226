"""The studio under test: the real app from the same factory `moviegen tui` uses, in-process (no brain
server), in the temp world of tests/conftest.py."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from moviegen.core.project import ProjectStore
from moviegen.core.settings import get_settings

pytestmark = pytest.mark.tui


async def settle(app, pilot) -> None:
    """Let every background call finish (the event follower runs for the app's life and is not waited for)."""
    for _ in range(4):
        await pilot.pause()
        busy = [w for w in app.workers if w.group != "events" and not w.is_finished]
        if busy:
            await app.workers.wait_for_complete(busy)
    await pilot.pause()
    await pilot.pause(0.1)  # a moment of real time: widgets finish what they do when idle (a table's column widths)


async def until(pilot, condition, timeout: float = 120.0, what: str = "the app") -> None:
    """Wait for ``condition``; an error the studio shows meanwhile fails at once, saying what it was."""
    from moviegen.tui.widgets.dialogs import ErrorDialog

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        screen = pilot.app.screen
        if isinstance(screen, ErrorDialog):
            raise AssertionError(f"waiting for {what}, the studio showed an error: {screen.message} ({screen.hint})")
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def click_drawn(app, pilot, selector: str) -> None:
    """Click a widget once it is drawn: a click the moment its box is shown lands where the layout has not put
    it yet (and nothing happens — seen in CI as a flow that never went on)."""
    widget = app.screen.query_one(selector)
    await until(pilot, lambda: widget.display and widget.region.area > 0, 10, f"{selector} on screen")
    await settle(app, pilot)
    await pilot.click(selector)


async def open_first_project(app, pilot):
    """From the projects list, open the first project and wait until its tabs have read it."""
    from moviegen.tui.screens.project import ProjectScreen

    await settle(app, pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, ProjectScreen), what="the project")
    await settle(app, pilot)
    return app.screen


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press({" ": "space", ".": "full_stop", ",": "comma", "'": "apostrophe"}.get(ch, ch))


def make_brain():
    """The brain `moviegen tui` opens when no brain server runs: in this process."""
    from moviegen.tui.studio import open_brain

    return open_brain(use_server=False)


@pytest.fixture
def lantern(sample_path) -> Path:
    """The sample screenplay imported and planned (no render)."""
    from moviegen.services.planner import plan
    from moviegen.services.screenplay import import_screenplay

    store = ProjectStore(get_settings().projects_dir)
    project = import_screenplay(store, sample_path, slug="lantern-road")
    plan(project)
    return project.path


@pytest.fixture(scope="session")
def painted_template(tmp_path_factory) -> Path:
    """The sample imported, planned and its storyboard painted once per test process (copied per test)."""
    import os

    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import reset_settings
    from moviegen.services.planner import plan
    from moviegen.services.screenplay import import_screenplay
    from moviegen.services.storyboard import paint_storyboard

    root = tmp_path_factory.mktemp("painted")
    old = os.environ.get("MOVIEGEN_PROJECTS_DIR")
    os.environ["MOVIEGEN_PROJECTS_DIR"] = str(root)
    reset_settings()
    try:
        sample = Path(__file__).resolve().parents[1] / "fixtures" / "lantern_road.fountain"
        project = import_screenplay(ProjectStore(root), sample, slug="lantern-road")
        plan(project)
        paint_storyboard(project, LocalBrain(get_settings()), "storyboard-painter")
    finally:
        if old is None:
            os.environ.pop("MOVIEGEN_PROJECTS_DIR", None)
        else:
            os.environ["MOVIEGEN_PROJECTS_DIR"] = old
        reset_settings()
    return project.path


@pytest.fixture
def painted(painted_template) -> Path:
    target = get_settings().projects_dir / "lantern-road"
    shutil.copytree(painted_template, target)
    return target
