"""The Assistant tab with a language model (the fake chat-completions server as the OpenAI-compatible
provider): the answer appears as it is written, then moves into the log with its numbered sources; when the
model fails, the passages and why."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import RichLog, Static

from moviegen.core.settings import reset_settings
from moviegen.tui.app import create_app
from tests.fakes.openai_server import KEY, FakeChat, Stall, Status
from tests.tui.conftest import make_brain, open_first_project, settle, type_text, until

pytestmark = [pytest.mark.tui]

ANSWER = ("Mira takes the lantern road in the first scene [1]. She carries a new bulb to the signal tower [2], "
          "and Tomas fits it with her [2][9]. The radio warns her off [4].")  # fmt: skip


@pytest.fixture
def model(monkeypatch):
    with FakeChat() as fake:
        monkeypatch.setenv("OPENAI_COMPAT_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_COMPAT_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_COMPAT_MODEL", "local-model")
        reset_settings()
        yield fake


def log_text(app) -> str:
    """The log's words (its lines are wrapped to the pane's width)."""
    return " ".join(" ".join(line.text for line in app.screen.query_one(RichLog).lines).split())


async def ask(app, pilot, question: str) -> None:
    await pilot.press("f5")
    await settle(app, pilot)
    app.screen.query_one("#question").focus()
    await type_text(pilot, question)
    await pilot.press("enter")


def test_the_answer_streams_in_then_moves_into_the_log_with_its_sources(lantern, model):
    model.answers = [ANSWER]
    model.faults = [Stall(1.5, after=8)]  # the model pauses mid-answer

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            await ask(app, pilot, "where does the lantern first appear?")
            live = app.screen.query_one("#live", Static)
            await until(pilot, lambda: "Mira takes" in str(live.render()), 30, "the first words")
            partial = str(live.render())
            assert live.display and "› where does the lantern first appear?" in partial
            assert "The radio" not in partial and "Mira takes" not in log_text(app)  # still being written
            await until(pilot, lambda: "The radio" in log_text(app), 30, "the whole answer")
            await settle(app, pilot)
            log = log_text(app)
            assert "and Tomas fits it with her [2]. The radio warns her off [4]." in log and "[9]" not in log
            assert "answered by openai-compat:local-model" in log
            for n in range(1, 6):
                assert f"[{n}] " in log
            assert not live.display  # the answer has moved into the log
            assert "search only" not in log

    asyncio.run(main())


def test_when_the_model_fails_the_passages_come_with_the_reason(lantern, model):
    model.faults = [Status(500, "upstream melted")] * 10

    async def main():
        app = create_app(make_brain())
        async with app.run_test(size=(120, 40)) as pilot:
            await open_first_project(app, pilot)
            await ask(app, pilot, "who is Tomas?")
            await settle(app, pilot)
            log = log_text(app)
            assert "did not answer" in log and "500" in log and "upstream melted" in log
            assert "search only" in log and "[1]" in log and KEY not in log
            assert not app.screen.query_one("#live", Static).display

    asyncio.run(main())
