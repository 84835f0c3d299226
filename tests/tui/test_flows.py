"""Pilot tests of the studio's main flows: the real app, driven with keys, with real renders."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from textual.widgets import DataTable, ProgressBar, RichLog, Static

from moviegen.core import locations, shotlist
from moviegen.core.project import ProjectStore
from moviegen.core.settings import get_settings
from moviegen.tui.app import create_app
from moviegen.tui.screens.project import ProjectScreen
from moviegen.tui.screens.projects import ProjectsScreen
from moviegen.tui.widgets.dialogs import ConfirmDialog, ErrorDialog, PromptDialog, TextDialog
from moviegen.tui.widgets.fountain_area import FountainArea
from tests.tui.conftest import click_drawn, make_brain, open_first_project, settle, type_text, until

pytestmark = [pytest.mark.tui]


def fake_program(tmp_path: Path, name: str) -> Path:
    """A program on PATH that records what it was asked to open (stands in for the desktop's opener)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / f"{name}.args"
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\necho "$@" >> {record}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return record


def render_bars(screen) -> dict[str, tuple[float, float | None]]:
    return {bar.id.removeprefix("bar-"): (bar.progress, bar.total) for bar in screen.query(ProgressBar)}


@pytest.mark.slow
def test_create_develop_plan_render_and_open_the_film(tmp_path, monkeypatch):
    opened = fake_program(tmp_path, "xdg-open")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(app, pilot)
            await pilot.press("n")
            assert isinstance(app.screen, PromptDialog)
            await type_text(pilot, "A baker races a storm to save her shop")
            await pilot.press("enter")
            table = app.screen.query_one(DataTable)
            await until(pilot, lambda: table.row_count == 1, what="the new project")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ProjectScreen))
            screen = app.screen
            await pilot.press("ctrl+d")  # a stage at a time: approve all the rest at the first pause
            await until(pilot, lambda: screen.pane("story").review is not None, what="the logline for approval")
            await click_drawn(app, pilot, "#approve-all")
            await until(pilot, lambda: screen.pane("story").review is None, 10, "the click on All")
            await until(pilot, lambda: "EXT." in screen.query_one(FountainArea).text
                        or "INT." in screen.query_one(FountainArea).text, what="the screenplay", timeout=120)  # fmt: skip
            await pilot.press("ctrl+l")
            await until(pilot, lambda: bool(screen.pane("storyboard").shots), what="the shot list")
            screen.pane("render").query_one("#resolution").value = "640x360"
            await pilot.press("ctrl+r")
            seen: set[str] = set()

            def progressed() -> bool:
                seen.update(s for s, (done, total) in render_bars(screen).items() if total and done > 0)
                return screen.pane("render").film is not None and screen.pane("render").job_id is None

            await until(pilot, progressed, 300, "the render")
            assert {"voices", "pictures", "segments", "publish"} <= seen  # live progress of every stage
            film = Path(screen.pane("render").film)
            assert film.exists() and film.stat().st_size > 10_000
            job = next(iter(app.jobs.views.values()))
            assert job["status"] == "done"
            await pilot.press("ctrl+o")
            await until(pilot, lambda: opened.exists(), 10, "the opener")
            assert opened.read_text().strip() == str(film)

    asyncio.run(main())


@pytest.mark.slow
def test_cancel_a_render_then_retry_resumes(lantern):
    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            screen = app.screen
            # the project's own 720p: long enough that the cancel always lands before the end, even on a busy machine
            await pilot.press("ctrl+r")
            await until(pilot, lambda: any(v["stages"].get("pictures", {}).get("done", 0) > 0
                                           for v in app.jobs.views.values()), 120, "pictures")  # fmt: skip
            await pilot.press("ctrl+x")
            await until(pilot, lambda: next(iter(app.jobs.views.values()))["status"] == "cancelled", 120, "cancel")
            assert "cancelled" in str(screen.pane("render").query_one("#render-result", Static).render())
            assert not list((lantern / "renders").glob("*.mp4"))
            # the Jobs tab shows it; retry runs it again and reuses what was finished
            await pilot.press("f6")
            jobs = screen.pane("jobs")
            await settle(app, pilot)
            assert jobs.query_one("#jobs", DataTable).row_count == 1
            jobs.query_one("#jobs", DataTable).focus()
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, TextDialog), 10, "the log")
            assert "cancelled" in app.screen.body
            await pilot.press("escape")
            await pilot.press("t")
            await until(pilot, lambda: any(v["status"] == "done" for v in app.jobs.views.values()), 300, "the retry")
            job = app.brain.job_status(next(j for j, v in app.jobs.views.items() if v["status"] == "done"))
            result = job["result"]
            assert not result["computed"].get("voice")  # the voices finished before the cancel were not redone
            assert result["cached"].get("frame", 0) + result["cached"].get("music", 0) >= 1  # nor finished pictures
            assert Path(job["result"]["film"]).exists()

    asyncio.run(main())


def test_a_failing_render_is_reported_and_the_studio_keeps_running(lantern):
    shots = lantern / "shots.toml"
    shots.write_text(shots.read_text().replace('scene = "1"', 'scene = "99"', 1))

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(100, 30)) as pilot:
            await open_first_project(app, pilot)
            screen = app.screen
            await pilot.press("ctrl+r")
            await until(pilot, lambda: any(v["status"] == "failed" for v in app.jobs.views.values()), 60, "failure")
            await settle(app, pilot)
            text = str(screen.pane("render").query_one("#render-result", Static).render())
            assert "failed" in text and "scene 99" in text
            assert app.is_running and isinstance(app.screen, ProjectScreen | ErrorDialog)

    asyncio.run(main())


def test_edit_a_dialogue_line_and_save(lantern):
    path = locations.screenplay_file(lantern)

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            area = app.screen.query_one(FountainArea)
            row = next(i for i, ln in enumerate(area.text.splitlines()) if ln.startswith("Then I have fifty-nine"))
            area.focus()
            area.move_cursor((row, 0))
            area.action_select_line()
            await type_text(pilot, "Then I have fifty-eight minutes.")
            await pilot.press("ctrl+s")
            await settle(app, pilot)
            assert "Then I have fifty-eight minutes." in path.read_text()
            assert "fifty-nine" not in path.read_text()
            assert "screenplay saved" in [n.message for n in app._notifications]

    asyncio.run(main())


def test_a_screenplay_that_does_not_parse_is_not_saved_and_nothing_is_lost(lantern):
    path = locations.screenplay_file(lantern)
    before = path.read_text()

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            area = app.screen.query_one(FountainArea)
            area.focus()
            area.move_cursor((0, 0))
            await type_text(pilot, "/* never closed")
            await pilot.press("enter")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, ErrorDialog), 10, "the error")
            assert "line 1" in app.screen.message  # where the problem is
            await pilot.press("escape")
            assert area.text.startswith("/* never closed")  # the editor keeps the text
            assert path.read_text() == before  # the file is untouched

    asyncio.run(main())


def test_save_refuses_to_overwrite_a_change_made_elsewhere(lantern):
    path = locations.screenplay_file(lantern)

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            theirs = path.read_text().replace("Negative.", "Affirmative.")
            path.write_text(theirs)  # another editor saves first
            area = app.screen.query_one(FountainArea)
            area.focus()
            area.move_cursor((0, 0))
            await type_text(pilot, "Mine ")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: isinstance(app.screen, TextDialog), 10, "the conflict")
            assert "changed on disk" in app.screen.title_text
            assert "-Negative." not in app.screen.body and "+Negative." in app.screen.body  # the diff shows both
            assert path.read_text() == theirs  # nothing overwritten
            await pilot.press("escape")
            assert area.text.startswith("Mine ")  # and nothing of theirs lost in the editor either

    asyncio.run(main())


def test_storyboard_new_take_approve_and_reject(painted):
    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            await pilot.press("f4")
            await settle(app, pilot)
            board = app.screen.pane("storyboard")
            assert len(board.shots) == 17 and all(s["frame"] for s in board.shots)
            app.screen.query_one("#shot-2-1").focus()
            await settle(app, pilot)
            assert board.current["id"] == "2.1"
            await pilot.press("g")
            await settle(app, pilot)
            await settle(app, pilot)
            assert [t["take"] for t in board.takes()] == [1, 2] and board.takes()[board.viewing]["take"] == 2
            await pilot.press("a")
            await settle(app, pilot)
            shots = {s.id: s for s in shotlist.load(painted / "shots.toml")}
            assert shots["2.1"].take == 2
            await pilot.press("g")
            await settle(app, pilot)
            await settle(app, pilot)
            await pilot.press("x")
            await settle(app, pilot)
            from moviegen.core.index import ProjectIndex

            statuses = {t["take"]: t["status"] for t in ProjectIndex(painted).takes() if t["shot"] == "2.1"}
            assert statuses == {2: "approved", 3: "rejected"}
            # a comment on the shot from anyone (here the studio's own brain, as the web view would) shows up
            comments = app.screen.query_one("#take-comments", Static)
            assert "no comments on this shot" in str(comments.render())
            app.brain.comment_add(painted.name, "Warmer light on the lamp, please.", "shot:2.1")
            await until(pilot, lambda: "Warmer light on the lamp" in str(comments.render()), 30, "the comment")
            app.brain.comment_add(painted.name, "Another shot's note.", "shot:1.1")
            await settle(app, pilot)
            assert "Another shot's note" not in str(comments.render())  # only this shot's comments

    asyncio.run(main())


def test_cast_voice_sample_and_recast(lantern, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no audio player: the sample's path is shown

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            await pilot.press("f3")
            await settle(app, pilot)
            table = app.screen.query_one("#cast-table", DataTable)
            table.focus()
            assert table.row_count == 3
            await pilot.press("p")
            await settle(app, pilot)
            wav = next((lantern / ".moviegen" / "samples").glob("mira-*.wav"))
            assert wav.stat().st_size > 10_000
            assert any(str(wav) in n.message for n in app._notifications)
            await pilot.press("v")
            assert isinstance(app.screen, PromptDialog)
            app.screen.query_one("Input").value = ""
            await type_text(pilot, "en-us+f4 pitch 70")
            await pilot.press("enter")
            await settle(app, pilot)
            assert "- voice: en-us+f4 pitch 70" in (lantern / "story" / "bible.md").read_text()
            assert any("1.2, 1.4, 3.2, 4.3" in n.message for n in app._notifications)
            assert "en-us+f4" in str(table.get_row_at(0))
            await pilot.press("s")  # a sheet take, painted offline (no FAL_KEY), then approved
            await settle(app, pilot)
            assert any("sheet take 1 by storyboard-painter" in n.message for n in app._notifications)
            await pilot.press("a")
            await settle(app, pilot)
            assert "approved = 1" in (lantern / "sheets.toml").read_text()
            assert "#1 approved" in str(table.get_row_at(0))

    asyncio.run(main())


def test_assistant_answers_from_the_project_with_sources(lantern):
    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            await pilot.press("f5")
            await settle(app, pilot)
            app.screen.query_one("#question").focus()
            await type_text(pilot, "where does the lantern first appear?")
            await pilot.press("enter")
            await settle(app, pilot)
            log = "\n".join(line.text for line in app.screen.query_one(RichLog).lines)
            assert "search only" in log and "no language model" in log
            assert "[1]" in log and "scene" in log.lower()

    asyncio.run(main())


def test_projects_import_delete_and_errors(sample_path):
    store = ProjectStore(get_settings().projects_dir)

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            await pilot.press("i")
            await type_text(pilot, "no/such/file.fountain")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ErrorDialog), 10, "the error")
            await pilot.press("escape")
            await pilot.press("i")
            app.screen.query_one("Input").value = str(sample_path)
            await pilot.press("enter")
            await settle(app, pilot)
            assert store.slugs() == ["lantern-road"]
            await pilot.press("d")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press("n")  # no: nothing happens
            assert store.slugs() == ["lantern-road"]
            await pilot.press("d")
            await pilot.press("y")
            await settle(app, pilot)
            assert store.slugs() == []
            trash = list((Path(os.environ["MOVIEGEN_HOME"]) / "trash").iterdir())
            assert len(trash) == 1 and (trash[0] / "screenplay.fountain").exists()  # moved, not destroyed

    asyncio.run(main())


def test_palette_theme_and_help(lantern):
    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, ProjectsScreen)
            await pilot.press("ctrl+t")
            assert app.theme == "textual-light"
            await pilot.press("question_mark")
            assert app.screen.query("HelpPanel")
            await pilot.press("ctrl+p")
            await type_text(pilot, "open project lantern")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ProjectScreen), 10, "the palette")
            await settle(app, pilot)
            await pilot.press("ctrl+p")  # a tab's own action, from anywhere on the project's screen
            await type_text(pilot, "paint the storyboard")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await settle(app, pilot)
            await until(pilot, lambda: any("storyboard painted" in n.message for n in app._notifications), 60)
            assert all(s["frame"] for s in app.screen.pane("storyboard").shots)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, ProjectsScreen), 10, "back")

    asyncio.run(main())
