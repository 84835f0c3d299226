"""`moviegen cost`, `moviegen jobs` and `moviegen job …`, run as a user would."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES, moviegen


def test_cost_lists_every_call_of_a_project(tmp_path):
    moviegen("new", "A keeper teaches a runaway to read the storm signals", "--slug", "keeper", check=True)
    moviegen("develop", "keeper", check=True)
    report = json.loads(moviegen("cost", "keeper", "--json", "-n", "5", check=True).stdout)
    assert report["calls"] == 5 and report["total_usd"] == 0 and report["budget_usd"] is None  # one per stage
    assert report["entries"][0]["provider"] == "story-writer" and report["entries"][0]["stage"] == "story.screenplay"
    assert set(report["by_stage"]) == {
        f"story.{s}" for s in ("logline", "characters", "places", "outline", "screenplay")
    }
    text = moviegen("cost", "keeper", check=True).stdout
    assert "0.0000 USD over 5 calls" in text and "no budget set" in text
    proc = moviegen("cost", "nope")
    assert proc.returncode == 1 and "no project 'nope'" in proc.stderr


def test_jobs_of_a_project_and_one_job():
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "lr", check=True)  # a short film renders fast
    assert json.loads(moviegen("jobs", "lr", "--json", check=True).stdout) == []
    assert "no jobs yet" in moviegen("jobs", "lr", check=True).stderr
    moviegen("plan", "lr", check=True)
    moviegen("render", "lr", "--resolution", "320x180", "--workers", "1", check=True)
    jobs = json.loads(moviegen("jobs", "lr", "--json", check=True).stdout)
    assert [(j["kind"], j["status"]) for j in jobs] == [("render", "done")]
    job = json.loads(moviegen("job", "status", jobs[0]["id"], "--json", check=True).stdout)
    assert job["stages"]["publish"]["done"] == 1 and any("done in" in line for line in job["log"])
    assert "done in" in moviegen("job", "log", jobs[0]["id"], check=True).stdout
    proc = moviegen("job", "status", "job-nope")
    assert proc.returncode == 1 and "no job 'job-nope'" in proc.stderr and "Traceback" not in proc.stderr


def test_providers_lists_each_chain_and_checks_the_configured_ones():
    from tests.fakes.openai_server import KEY, FakeChat

    report = json.loads(moviegen("providers", "--json", check=True).stdout)
    assert report["serving"]["text"] == "story-writer"
    openrouter = report["text"][0]
    assert (openrouter["provider"], openrouter["configured"], openrouter["missing"]) == (
        "openrouter", False, ["OPENROUTER_API_KEY"])  # fmt: skip
    with FakeChat() as fake:
        env = {"OPENAI_COMPAT_BASE_URL": fake.base_url, "OPENAI_COMPAT_API_KEY": KEY, "OPENAI_COMPAT_MODEL": "m"}
        proc = moviegen("providers", "--check", env=env, check=True)
        assert "openai-compat" in proc.stdout and "check: ok" in proc.stdout and KEY not in proc.stdout
        assert len(fake.requests) == 1
        report = json.loads(moviegen("providers", "--json", env=env, check=True).stdout)
        assert report["serving"]["text"] == "openai-compat" and KEY not in json.dumps(report)
