"""Scheduled jobs (moviegen.brain.schedule): slots on a fake clock (no drift, a missed run made up once, a
first start that waits), the jobs themselves on a real LocalBrain, one leader among processes sharing a home,
the brain server's lifespan starting and stopping the scheduler, Celery beat's configuration on a real Celery
app, and `moviegen schedule --json`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
import tomlkit

from moviegen.brain import schedule
from moviegen.core import locations
from moviegen.core.errors import UsageError
from moviegen.core.settings import Settings, reset_settings
from tests.conftest import FIXTURES


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Clock:
    def __init__(self, text: str) -> None:
        self.now = at(text)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def idle():
    """A real brain over an empty projects folder: the slot tests count runs, the jobs' work is tested below."""
    from moviegen.brain.local import LocalBrain

    brain = LocalBrain(workers=1)
    yield brain
    brain.close()


def make(brain, tmp_path, clock, **schedule_settings):
    settings = Settings(schedule={"gc_at": "03:30", "nightly_at": "", **schedule_settings})
    return schedule.Scheduler(brain, settings, clock=clock, home=tmp_path / "home")


def runs(sched) -> list[str]:
    return [r["name"] for r in sched.tick()]


def test_a_first_start_waits_for_the_next_slot_then_runs_once_per_slot(idle, tmp_path):
    clock = Clock("2026-12-01T10:00:00")
    sched = make(idle, tmp_path, clock)
    assert runs(sched) == []  # first seen: counting starts now, even though 03:30 today has passed
    clock.now = at("2026-12-02T03:29:59")
    assert runs(sched) == []
    clock.now = at("2026-12-02T03:30:00")
    assert runs(sched) == ["gc"]
    assert runs(sched) == []  # the same slot is served once
    clock.now = at("2026-12-02T23:00:00")
    assert runs(sched) == []
    clock.now = at("2026-12-03T03:30:05")
    assert runs(sched) == ["gc"]


def test_a_late_run_does_not_move_the_next_one(idle, tmp_path):
    clock = Clock("2026-12-01T10:00:00")
    sched = make(idle, tmp_path, clock)
    sched.tick()
    clock.now = at("2026-12-02T03:47:13")  # the machine was busy: the run is 17 minutes late
    assert runs(sched) == ["gc"]
    state = schedule.read_state(sched.state_path)["gc"]
    assert state["last_slot"] == at("2026-12-02T03:30:00") and state["last_run"] == clock.now
    assert sched.seconds_to_next() == at("2026-12-03T03:30:00") - clock.now
    row = schedule.listing(sched.settings, clock.now, sched.state_path)[0]
    assert row["next_run"] == "2026-12-03T03:30:00+00:00" and row["status"] == "ok"


def test_runs_missed_while_down_are_made_up_once(idle, tmp_path):
    clock = Clock("2026-12-01T10:00:00")
    sched = make(idle, tmp_path, clock)
    sched.tick()
    sched.stop()
    clock.now = at("2026-12-05T12:00:00")  # down for four slots
    again = make(idle, tmp_path, clock)
    assert runs(again) == ["gc"]
    assert runs(again) == []
    clock.now = at("2026-12-06T03:30:00")
    assert runs(again) == ["gc"]
    again.stop()


def test_times_are_in_the_schedules_zone(idle, tmp_path):
    pytest.importorskip("zoneinfo").ZoneInfo("Europe/Berlin")  # the system's zone files, or tzdata
    clock = Clock("2026-12-01T10:00:00")
    sched = make(idle, tmp_path, clock, timezone="Europe/Berlin")  # 03:30 in Berlin is 02:30 UTC in winter
    sched.tick()
    clock.now = at("2026-12-02T02:29:00")
    assert runs(sched) == []
    clock.now = at("2026-12-02T02:30:00")
    assert runs(sched) == ["gc"]
    job = sched.jobs[0]
    summer = at("2027-07-01T12:00:00")
    assert schedule.slot_after(job, summer, sched.tz) == at("2027-07-02T01:30:00")  # CEST: UTC+2


def test_only_one_process_sharing_a_home_runs_the_jobs(idle, tmp_path):
    clock = Clock("2026-12-01T10:00:00")
    first, second = make(idle, tmp_path, clock), make(idle, tmp_path, clock)
    first.tick()
    clock.now = at("2026-12-02T03:30:00")
    assert runs(second) == [] and not second.leads()
    assert runs(first) == ["gc"]
    first.stop()  # the leader ends: the other takes over at its next tick
    clock.now = at("2026-12-03T03:30:00")
    assert runs(second) == ["gc"]
    second.stop()


def test_bad_settings_are_one_line_naming_the_variable(tmp_path):
    with pytest.raises(UsageError, match="MOVIEGEN_SCHEDULE__GC_AT"):
        schedule.jobs(Settings(schedule={"gc_at": "25:00"}))
    with pytest.raises(UsageError, match="MOVIEGEN_SCHEDULE__TIMEZONE"):
        schedule.zone(Settings(schedule={"timezone": "Mars/Olympus"}))
    assert schedule.jobs(Settings(schedule={"enabled": False})) == []
    assert [j.name for j in schedule.jobs(Settings(schedule={"nightly_at": " "}))] == ["gc"]


def test_the_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOVIEGEN_SCHEDULE__GC_AT", "04:05")
    monkeypatch.setenv("MOVIEGEN_SCHEDULE__NIGHTLY_AT", "")
    reset_settings()
    from moviegen.core.settings import get_settings

    assert [(j.name, j.at) for j in schedule.jobs(get_settings())] == [("gc", "04:05")]


# ---------------------------------------------------------------------- the jobs, on a real brain
@pytest.fixture
def brain(monkeypatch):
    from moviegen.brain.local import LocalBrain

    monkeypatch.setenv("MOVIEGEN_PROVIDERS__IMAGE", '["storyboard-painter"]')
    monkeypatch.setenv("MOVIEGEN_PROVIDERS__SPEECH", '["espeak-ng"]')
    reset_settings()
    brain = LocalBrain(workers=1)
    text = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
    for slug in ("night", "day", "unplanned"):
        brain.project_import(text, slug=slug)
    brain.shots_plan("night")
    brain.shots_plan("day")
    for slug in ("night", "unplanned"):
        config = locations.project_config(brain.project(slug).path)
        doc = tomlkit.parse(config.read_text(encoding="utf-8"))
        doc["nightly"] = True
        config.write_text(tomlkit.dumps(doc), encoding="utf-8")
    yield brain
    brain.close()


def test_nightly_renders_the_projects_that_ask_for_it(brain):
    assert brain.project("night").info.nightly and not brain.project("day").info.nightly
    result = schedule.run_nightly(brain)
    assert list(result["started"]) == ["night"]
    assert "no shot list" in result["skipped"]["unplanned"]
    [job] = brain.job_list("night")
    assert job["id"] == result["started"]["night"] and job["kind"] == "render"
    assert brain.job_list("day") == []
    running = {j.id for j in brain.jobs.running()}
    again = schedule.run_nightly(brain)
    if result["started"]["night"] in running:  # its render is still running: not a second one
        assert again["started"] == {} and "running" in again["skipped"]["night"]
    brain.job_cancel(result["started"]["night"])


def test_gc_collects_every_project(brain):
    night = brain.project("night").path
    stray = night / "assets" / ("0" * 64 + ".png")
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"left by a killed step")
    old = stray.stat().st_mtime - 2 * 3600  # older than retention's grace period
    os.utime(stray, (old, old))
    result = schedule.run_gc(brain)
    assert sorted(result["projects"]) == ["day", "night", "unplanned"] and result["skipped"] == {}
    assert not stray.exists() and result["files"] >= 1


def test_a_broken_project_fails_the_run_after_the_others_are_collected(brain, tmp_path):
    night = brain.project("night").path
    stray = night / "assets" / ("0" * 64 + ".png")
    stray.parent.mkdir(exist_ok=True)
    stray.write_bytes(b"left by a killed step")
    os.utime(stray, (stray.stat().st_mtime - 2 * 3600,) * 2)
    broken = brain.store.root / "broken"
    (broken / "moviegen.toml").mkdir(parents=True)  # a project whose moviegen.toml is a folder: it cannot be read
    clock = Clock("2026-12-01T10:00:00")
    sched = make(brain, tmp_path, clock)
    sched.tick()
    clock.now = at("2026-12-02T03:30:00")
    [ran] = sched.tick()
    assert ran["status"] == "failed" and ran["error"].startswith("broken: IsADirectoryError")
    assert sorted(ran["result"]["projects"]) == ["day", "night", "unplanned"] and not stray.exists()
    assert runs(sched) == []  # a failed slot is not retried in a loop
    row = schedule.listing(sched.settings, clock.now, sched.state_path)[0]
    assert row["status"] == "failed" and row["next_run"] == "2026-12-03T03:30:00+00:00"
    sched.stop()


# ---------------------------------------------------------------------- where it runs
def test_the_brain_servers_lifespan_starts_and_stops_the_scheduler():
    from starlette.testclient import TestClient

    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.app import create_app

    brain = LocalBrain(workers=1)
    app = create_app(brain)
    with TestClient(app):
        sched = app.state.scheduler
        assert sched is not None and sched.running
        assert sched.lock_path.exists() and not schedule.Scheduler(brain, brain.settings).leads()
    assert not sched.running
    other = schedule.Scheduler(brain, brain.settings)
    assert other.leads()  # the lock went with the server
    other.stop()
    assert "gc" in schedule.read_state(sched.state_path)  # it looked at the clock: counting started


def test_celery_beat_runs_it_instead_when_celery_is_the_executor():
    from moviegen.brain.local import LocalBrain

    brain = LocalBrain(Settings(executor="celery", redis_url="redis://127.0.0.1:1/0"), workers=1)
    try:
        assert schedule.start_for(brain) is None
        brain.settings = Settings()
        local = schedule.start_for(brain)
        assert local is not None and local.running
        local.stop()
    finally:
        brain.close()


def test_beat_schedule_on_a_real_celery_app():
    celery = pytest.importorskip("celery")
    from celery.schedules import crontab

    from moviegen.workers import schedule_beat

    settings = Settings(schedule={"gc_at": "03:30", "nightly_at": "01:05", "timezone": "Europe/Berlin"})
    app = celery.Celery("test-beat", broker="memory://", set_as_current=False)  # as make_app makes it
    calls = []

    def run(name: str) -> None:
        calls.append(name)

    schedule_beat.configure(app, schedule.jobs(settings), crontab, "Europe/Berlin", run)
    beat = app.conf.beat_schedule
    assert set(beat) == {"moviegen-gc", "moviegen-nightly"}
    gc = beat["moviegen-gc"]
    assert gc["task"] == schedule_beat.TASK and gc["args"] == ("gc",) and gc["options"]["queue"] == "schedule"
    assert gc["schedule"] == crontab(minute=30, hour=3)
    assert beat["moviegen-nightly"]["schedule"] == crontab(minute=5, hour=1)
    assert app.conf.timezone == "Europe/Berlin" and str(app.timezone) == "Europe/Berlin"
    assert gc["schedule"].tz is not None and str(gc["schedule"].tz) == "Europe/Berlin"  # its crontab's zone
    app.tasks[schedule_beat.TASK]("nightly")  # the registered task is the run function
    assert calls == ["nightly"]


def test_moviegen_schedule_json_shows_last_and_next_runs(idle):
    from typer.testing import CliRunner

    from moviegen.cli.main import app

    home = locations.home_dir()
    clock = Clock("2026-12-01T10:00:00")
    sched = schedule.Scheduler(idle, Settings(), clock=clock, home=home)
    sched.tick()
    clock.now = at("2026-12-02T03:30:00")
    sched.tick()
    sched.stop()
    result = CliRunner().invoke(app, ["schedule", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["gc"]["last_run"] == "2026-12-02T03:30:00+00:00" and rows["gc"]["status"] == "ok"
    assert rows["nightly"]["last_run"] == "2026-12-02T03:30:00+00:00"  # its 01:00 slot, served late
    assert rows["nightly"]["next_run"].endswith("T01:00:00+00:00")
    plain = CliRunner().invoke(app, ["schedule"])
    assert "daily at 03:30 UTC" in plain.stdout
