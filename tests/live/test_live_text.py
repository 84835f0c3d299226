"""Live smoke tests against the real text services: they run only when a real key (or server URL) is set in the
environment, and are skipped otherwise (as in CI). They spend a few cents at most.

    OPENROUTER_API_KEY=sk-or-... [OPENROUTER_MODEL=openai/gpt-4o-mini] ./scripts/test tests/live
    OPENAI_COMPAT_BASE_URL=http://127.0.0.1:11434/v1 OPENAI_COMPAT_MODEL=llama3.2 ./scripts/test tests/live
"""

from __future__ import annotations

import os

import pytest

from moviegen.brain.local import LocalBrain
from moviegen.core.brain import TextRequest
from moviegen.core.settings import Settings

# read at import, before the suite's isolation fixture clears provider settings from the environment
LIVE = {k: v for k, v in os.environ.items() if k.startswith(("OPENROUTER_", "OPENAI_COMPAT_"))}
PREMISE = "A retired lighthouse keeper teaches a stray girl to read the storm signals before the winter gale"


@pytest.fixture(autouse=True)
def live_environment(monkeypatch):
    for key, value in LIVE.items():
        monkeypatch.setenv(key, value)


def live_brain(tmp_path, provider: str) -> LocalBrain:
    settings = Settings(projects_dir=tmp_path / "projects", home=tmp_path / "home")  # keys from the environment
    settings.providers.text = [provider]  # no offline fallback: the answer must come from the service
    brain = LocalBrain(settings, workers=1)
    brain.project_create(PREMISE, slug="live")
    brain.project("live").update(budget_usd=0.50)  # a smoke test never spends more
    return brain


@pytest.mark.skipif(not LIVE.get("OPENROUTER_API_KEY"), reason="OPENROUTER_API_KEY is not set (live test)")
def test_openrouter_answers_streams_and_reports_its_cost(tmp_path):
    brain = live_brain(tmp_path, "openrouter")
    try:
        pieces: list[str] = []
        result = brain.generate_text(TextRequest(project_id="live", task="live.smoke", max_tokens=20,
                                                 prompt="Answer with one word: the colour of a clear sky."),
                                     on_text=pieces.append)  # fmt: skip
        assert result.provider == "openrouter" and result.text.strip() and len(pieces) >= 1
        assert result.usage.input_tokens > 0 and result.usage.cost_usd is not None
        report = brain.cost_report("live", entries=5)
        assert report["entries"][0]["status"] == "ok" and LIVE["OPENROUTER_API_KEY"] not in str(report)
    finally:
        brain.close()


@pytest.mark.skipif(not LIVE.get("OPENROUTER_API_KEY"), reason="OPENROUTER_API_KEY is not set (live test)")
def test_openrouter_develops_a_story_stage_by_stage(tmp_path):
    brain = live_brain(tmp_path, "openrouter")
    try:
        done = brain.story_develop("live")
        assert done["state"] == "done" and done["screenplay"]
        assert all(v["by"].startswith("openrouter") for v in done["stages"].values())
        assert brain.cost_report("live")["total_usd"] < 0.50
    finally:
        brain.close()


@pytest.mark.skipif(not LIVE.get("OPENAI_COMPAT_BASE_URL"), reason="OPENAI_COMPAT_BASE_URL is not set (live)")
def test_an_openai_compatible_server_answers(tmp_path):
    brain = live_brain(tmp_path, "openai-compat")
    try:
        result = brain.generate_text(TextRequest(project_id="live", task="live.smoke", max_tokens=20,
                                                 prompt="Answer with one word: the colour of a clear sky."))  # fmt: skip
        assert result.provider == "openai-compat" and result.text.strip()
    finally:
        brain.close()
