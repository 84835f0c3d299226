"""The provider router and the cost ledger, against the fake chat-completions server over real HTTP: retries,
Retry-After, fallback, the circuit breaker, the rate limit, the cache, budgets — and a correct ledger for each."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from moviegen.brain.local import LocalBrain
from moviegen.core.brain import TextRequest
from moviegen.core.errors import BudgetExceededError, ProviderError
from moviegen.core.settings import Price, RouterSettings, Settings
from tests.fakes.openai_server import FakeChat, Stall, Status


@pytest.fixture
def fake():
    with FakeChat() as f:
        yield f


def brain_for(tmp_path, fake, chain=("openai-compat", "story-writer"), **router):
    settings = Settings(
        projects_dir=tmp_path / "projects", home=tmp_path / "home", openai_compat_base_url=fake.base_url,
        openai_compat_api_key=fake.key, openai_compat_model="local-model",
        router=RouterSettings(**{"backoff": 0.01, "timeout": 2.0, **router}),
        prices={"openai-compat": Price(input_per_mtok=1000.0, output_per_mtok=1000.0)},
    )  # fmt: skip
    settings.providers.text = list(chain)
    brain = LocalBrain(settings, workers=1)
    brain.project_create("A keeper races a storm to light the lamp", slug="p")
    return brain


def ask(brain, text="Say hello", **kw):
    return brain.generate_text(TextRequest(project_id="p", task="chat", prompt=text, **kw))


def statuses(brain):
    return [(e["provider"], e["status"]) for e in reversed(brain.cost_report("p", entries=100)["entries"])]


def test_an_answer_is_billed_once_and_the_same_request_comes_from_the_cache(tmp_path, fake):
    brain = brain_for(tmp_path, fake)
    try:
        first = ask(brain, max_tokens=8)
        assert first.provider == "openai-compat" and first.text
        again = ask(brain, max_tokens=8)
        assert again == first and len(fake.requests) == 1  # never sent twice
        report = brain.cost_report("p", entries=10)
        assert statuses(brain) == [("openai-compat", "ok"), ("openai-compat", "cached")]
        ok = report["entries"][1]
        assert ok["units"]["input_tokens"] > 0 and ok["cost_usd"] > 0  # priced from the table
        assert report["entries"][0]["cost_usd"] == 0 and report["total_usd"] == pytest.approx(ok["cost_usd"])
        assert report["by_provider"]["openai-compat"]["calls"] == 2
    finally:
        brain.close()


def test_a_429_waits_its_retry_after_then_succeeds(tmp_path, fake):
    brain = brain_for(tmp_path, fake)
    fake.faults = [Status(429, retry_after="1")]
    try:
        started = time.monotonic()
        assert ask(brain).provider == "openai-compat"
        assert time.monotonic() - started >= 1.0  # the provider's Retry-After, not our 10 ms backoff
        assert statuses(brain) == [("openai-compat", "rate_limited"), ("openai-compat", "ok")]
    finally:
        brain.close()


def test_500s_are_retried_then_the_next_provider_answers(tmp_path, fake):
    brain = brain_for(tmp_path, fake, retries=2)
    fake.faults = [Status(500), Status(500), Status(500)]
    try:
        story = brain.generate_text(TextRequest(project_id="p", task="story.develop", prompt="develop it",
                                                params={"premise": "A keeper races a storm to light the lamp"}))  # fmt: skip
        assert story.provider == "story-writer"  # the offline floor ends the chain
        assert len(fake.requests) == 3  # one try and two retries
        assert statuses(brain) == [("openai-compat", "timeout")] * 3 + [("story-writer", "ok")]
    finally:
        brain.close()


def test_a_bad_key_is_not_retried_and_falls_back(tmp_path, fake):
    brain = brain_for(tmp_path, fake)
    fake.faults = [Status(401)]
    try:
        with pytest.raises(ProviderError) as info:
            ask(brain)
        assert len(fake.requests) == 1  # not retried
        assert fake.key not in info.value.message and fake.key not in (info.value.hint or "")
        assert statuses(brain)[0] == ("openai-compat", "failed")
    finally:
        brain.close()


def test_a_stalled_provider_times_out_and_the_ledger_says_so(tmp_path, fake):
    brain = brain_for(tmp_path, fake, retries=0, timeout=0.5)
    fake.faults = [Stall(3)]
    try:
        with pytest.raises(ProviderError):
            ask(brain)
        entry = brain.cost_report("p", entries=10)["entries"][-1]  # the oldest: the first attempt
        assert (entry["provider"], entry["status"], entry["cost_usd"]) == ("openai-compat", "timeout", 0)
        assert statuses(brain) == [("openai-compat", "timeout"), ("story-writer", "failed")]  # it does stories only
    finally:
        brain.close()


def test_the_circuit_opens_after_repeated_failures(tmp_path, fake):
    brain = brain_for(tmp_path, fake, retries=0, breaker_failures=2, breaker_cooldown=60)
    fake.faults = [Status(500)] * 5
    try:
        for i in range(4):
            with pytest.raises(ProviderError):
                ask(brain, f"question {i}")
        assert len(fake.requests) == 2  # the third and fourth calls skipped the open circuit
    finally:
        brain.close()


def test_a_budget_refuses_a_call_before_it_is_sent_and_loses_nothing(tmp_path, fake):
    brain = brain_for(tmp_path, fake)
    brain.project("p").update(budget_usd=0.01)
    try:
        with pytest.raises(BudgetExceededError) as info:
            ask(brain, "x " * 50, max_tokens=100)  # at 1000 USD per million tokens, up to 0.11 USD
        assert "0.00 of its 0.01 USD" in info.value.message and not fake.requests
        assert statuses(brain) == [("openai-compat", "refused")]
        assert brain.project("p").info.budget_usd == 0.01  # the project is as it was
    finally:
        brain.close()


def test_concurrency_is_limited_per_provider(tmp_path, fake):
    fake.latency = 0.2
    brain = brain_for(tmp_path, fake, chain=("openai-compat",), concurrency=3, rpm=100_000)
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(12) as pool:
            results = list(pool.map(lambda i: ask(brain, f"q{i}"), range(12)))
        assert len(results) == 12 and fake.peak_in_flight == 3
        assert time.monotonic() - started >= 0.8  # 12 calls of 0.2 s, 3 at a time
    finally:
        brain.close()


def test_unconfigured_providers_are_passed_over(tmp_path):
    settings = Settings(projects_dir=tmp_path / "projects", home=tmp_path / "home")
    settings.providers.text = ["openrouter", "openai-compat", "story-writer"]
    brain = LocalBrain(settings, workers=1)
    try:
        assert brain.router.chain("text") == [("story-writer", None)]
        assert brain.providers()["text"] == "story-writer"
    finally:
        brain.close()
