"""`moviegen render SLUG --estimate` and `moviegen make PREMISE --estimate`: what a run would call, cost and
reuse — and that the estimate told the truth: the run that follows sends, makes and is refused exactly as it said,
while the estimate itself sends nothing, writes no ledger row and creates nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moviegen.core.settings import Price, Settings
from tests.conftest import moviegen
from tests.fakes.openai_server import KEY, FakeChat

PREMISE = "A keeper teaches a runaway to read the storm signals"
KINDS = {
    "render.voices": "voice",
    "render.frames": "frame",
    "render.music": "music",
    "render.segments": "segment",
    "render.mix": "mix",
    "render.film": "film",
}
PRICES = {"openai-compat": {"input_per_mtok": 100.0, "output_per_mtok": 200.0}}


@pytest.fixture
def fake():
    with FakeChat() as f:
        yield f


def chat_env(fake) -> dict[str, str]:
    return {
        "OPENAI_COMPAT_BASE_URL": fake.base_url,
        "OPENAI_COMPAT_API_KEY": KEY,
        "OPENAI_COMPAT_MODEL": "local-model",
        "MOVIEGEN_PRICES": json.dumps(PRICES),
    }


def local_brain(tmp_path, fake):
    from moviegen.brain.local import LocalBrain

    settings = Settings(
        projects_dir=tmp_path / "projects",
        home=tmp_path / "home",
        openai_compat_base_url=fake.base_url,
        openai_compat_api_key=fake.key,
        openai_compat_model="local-model",
        prices={name: Price(**price) for name, price in PRICES.items()},
    )
    return LocalBrain(settings, workers=1)


def stage_answers(premise: str, seed: int = 7, title: str | None = None) -> list[dict]:
    """What the offline writer answers for each stage: valid answers for the fake to give."""
    from moviegen.brain.providers.story_writer import STAGES, _stage
    from moviegen.brain.providers.story_writer.writer import develop

    story = develop(premise, seed=seed, title=title)
    return [_stage(story, stage, None) for stage in STAGES]


def tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in sorted(root.rglob("*")) if p.is_file()}


def rows(est: dict) -> dict[str, dict]:
    return {row["stage"]: row for row in est["steps"]}


# ---------------------------------------------------------------------- text calls, in-process
def test_the_story_calls_are_priced_and_nothing_is_sent_or_created(tmp_path, fake):
    brain = local_brain(tmp_path, fake)
    try:
        est = brain.make_estimate(PREMISE, slug="keeper")
        story = [r for r in est["steps"] if r["capability"] == "text"]
        assert [r["stage"] for r in story] == [
            f"story.{s}" for s in ("logline", "characters", "places", "outline", "screenplay")
        ]
        first = story[0]
        assert (first["provider"], first["count"], first["cached"], first["exact"]) == ("openai-compat", 1, 0, True)
        assert first["fallback"] == ["story-writer"] and not first["offline"] and first["usd"] > 0
        assert all(not r["exact"] for r in story[1:])  # their prompts carry answers not written yet
        assert est["total_usd"] == pytest.approx(sum(r["usd"] for r in story), abs=1e-6) and est["total_usd"] > 0
        assert est["exists"] is False and est["budget_usd"] is None and est["refused_at"] is None
        # the render after it: offline, free, counted on the offline writer's draft (a model writes this story)
        render = [r for r in est["steps"] if r["stage"].startswith("render.")]
        assert {r["stage"] for r in render} == set(KINDS) and all(r["offline"] and r["usd"] == 0 for r in render)
        assert all(not r["exact"] for r in render) and any("draft" in n for n in est["notes"])
        assert fake.requests == [] and not (tmp_path / "projects").exists()
    finally:
        brain.close()


def test_a_request_made_once_shows_as_cached_and_the_run_then_answers_it_from_the_cache(tmp_path, fake):
    from moviegen.brain.estimate import story_requests

    brain = local_brain(tmp_path, fake)
    try:
        brain.project_create(PREMISE, slug="keeper")
        first = story_requests(brain.project("keeper"))[0][0]
        fake.answers = stage_answers(PREMISE, title=brain.project("keeper").info.title)
        brain.generate_text(first)  # the very call development starts with
        assert len(fake.requests) == 1
        calls = brain.cost_report("keeper")["calls"]
        est = brain.make_estimate(PREMISE, slug="keeper", reuse=True)
        logline = rows(est)["story.logline"]
        assert (logline["cached"], logline["to_run"], logline["usd"]) == (1, 0, 0.0)
        assert rows(est)["story.characters"]["usd"] > 0 and est["exists"] is True
        assert len(fake.requests) == 1 and brain.cost_report("keeper")["calls"] == calls  # no ledger row
        brain.story_develop("keeper")  # what the estimate said: the first stage is not sent again
        assert len(fake.requests) == 1 + 4
        assert all(r.body["messages"] != fake.requests[0].body["messages"] for r in fake.requests[1:])
    finally:
        brain.close()


def test_a_budget_too_small_shows_where_the_run_would_be_refused(tmp_path, fake):
    from moviegen.core.errors import BudgetExceededError

    brain = local_brain(tmp_path, fake)
    try:
        brain.project_create(PREMISE, slug="keeper")
        est = brain.make_estimate(PREMISE, slug="keeper", reuse=True)
        assert est["refused_at"] is None and not est["over_budget"]
        brain.project("keeper").update(budget_usd=est["total_usd"] / 2)
        est = brain.make_estimate(PREMISE, slug="keeper", reuse=True)
        assert est["budget_usd"] == pytest.approx(est["total_usd"] / 2) and est["over_budget"]
        assert est["left_usd"] < 0 and est["refused_at"] is not None
        assert any("could refuse" in note for note in est["notes"])
        brain.project("keeper").update(budget_usd=rows(est)["story.logline"]["usd"] / 2)
        est = brain.make_estimate(PREMISE, slug="keeper", reuse=True)
        assert est["refused_at"] == "story.logline"
        with pytest.raises(BudgetExceededError):  # and so it is: the router refuses it before sending
            brain.story_develop("keeper")
        assert fake.requests == []
    finally:
        brain.close()


def test_an_estimate_of_a_project_that_exists_is_refused_as_make_would_be(tmp_path, fake):
    from moviegen.core.errors import ProjectExistsError, UsageError

    brain = local_brain(tmp_path, fake)
    try:
        brain.project_create(PREMISE, slug="keeper")
        with pytest.raises(ProjectExistsError):
            brain.make_estimate(PREMISE, slug="keeper")
        with pytest.raises(UsageError):
            brain.make_estimate("too short")
        with pytest.raises(UsageError):
            brain.make_estimate(PREMISE, slug="other", resolution="bad")
        assert sorted(p.name for p in (tmp_path / "projects").iterdir()) == ["keeper"]
    finally:
        brain.close()


# ---------------------------------------------------------------------- the CLI
def test_make_estimate_prints_a_table_and_json_and_creates_nothing(tmp_path, fake):
    env = chat_env(fake)
    proc = moviegen("make", PREMISE, "--estimate", env=env, check=True)
    assert "story.logline" in proc.stdout and "openai-compat" in proc.stdout and "render.frames" in proc.stdout
    assert "nothing was sent or written" in proc.stdout and KEY not in proc.stdout + proc.stderr
    est = json.loads(moviegen("make", PREMISE, "--estimate", "--json", "--slug", "k", env=env, check=True).stdout)
    assert est["project"] == "k" and rows(est)["story.logline"]["usd"] > 0
    assert fake.requests == [] and not (tmp_path / "projects").exists()
    proc = moviegen("make", "x", "--estimate")
    assert proc.returncode == 2 and "too short" in proc.stderr


def test_demo_estimate_says_when_the_budget_would_refuse_the_story(tmp_path, fake):
    from moviegen.cli.film import DEMO_PREMISE, DEMO_SLUG, DEMO_TITLE

    env = chat_env(fake)
    moviegen("new", DEMO_PREMISE, "--title", DEMO_TITLE, "--slug", DEMO_SLUG, check=True)
    config = tmp_path / "projects" / DEMO_SLUG / "moviegen.toml"
    config.write_text("budget_usd = 0.0001\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    before = tree(tmp_path / "projects")
    proc = moviegen("demo", "--estimate", env=env, check=True)
    assert "over budget" in proc.stdout and "could refuse story.logline" in proc.stdout
    est = json.loads(moviegen("demo", "--estimate", "--json", env=env, check=True).stdout)
    assert est["refused_at"] == "story.logline" and est["budget_usd"] == 0.0001 and est["left_usd"] < 0
    assert fake.requests == [] and tree(tmp_path / "projects") == before


def test_render_estimate_errors_are_the_renders_own():
    proc = moviegen("render", "nope", "--estimate")
    assert proc.returncode == 1 and "no project 'nope'" in proc.stderr
    moviegen("new", PREMISE, "--slug", "keeper", check=True)
    proc = moviegen("render", "keeper", "--estimate")
    assert proc.returncode == 1 and "no shot list yet" in proc.stderr


@pytest.mark.slow
def test_render_estimate_counts_the_steps_and_the_render_does_what_it_said(tmp_path, sample_path):
    from moviegen.core import shotlist
    from moviegen.core.fountain import parse
    from moviegen.core.scenes import scenes_of

    moviegen("import", str(sample_path), "--slug", "lr", check=True)
    moviegen("plan", "lr", check=True)
    project = tmp_path / "projects" / "lr"
    scenes = scenes_of(parse((project / "screenplay.fountain").read_text(encoding="utf-8")))
    lines = {(b.character, b.text) for s in scenes for b in s.dialogue}
    shots = shotlist.load(project / "shots.toml")
    before = tree(project)
    fmt = ("--resolution", "320x180")
    proc = moviegen("render", "lr", "--estimate", *fmt, check=True)
    assert "render.voices" in proc.stdout and "offline" in proc.stdout
    est = json.loads(moviegen("render", "lr", "--estimate", "--json", *fmt, check=True).stdout)
    counts = {stage: row["count"] for stage, row in rows(est).items()}
    assert counts == {
        "render.voices": len(lines),
        "render.frames": len(shots),
        "render.music": len(scenes),
        "render.segments": len(shots),
        "render.mix": 1,
        "render.film": 1,
    }
    assert est["cached"] == 0 and est["total_usd"] == 0 and est["exact"] and tree(project) == before

    report = json.loads(moviegen("render", "lr", *fmt, "--workers", "1", "--json", check=True).stdout)
    est = json.loads(moviegen("render", "lr", "--estimate", "--json", *fmt, check=True).stdout)
    assert all(row["cached"] == row["count"] for row in est["steps"]) and est["to_run"] == 0  # all reused
    other = json.loads(moviegen("render", "lr", "--estimate", "--json", "--aspect", "1:1", *fmt, check=True).stdout)
    assert rows(other)["render.voices"]["to_run"] == 0 and rows(other)["render.frames"]["to_run"] == len(shots)

    # a line edited: a word more (it still fits its shot), then a sentence more (its shot is lengthened); the
    # score cues and segments are guesses then (the line is timed at its voice's pace), right in both cases
    line = next(b for s in scenes for b in s.dialogue)
    for more in (
        " Now.",
        " And the whole valley is waiting on a courier who has never once been late, not in eleven winters.",
    ):
        text = (project / "screenplay.fountain").read_text(encoding="utf-8")
        (project / "screenplay.fountain").write_text(text.replace(line.text, line.text + more, 1), encoding="utf-8")
        line = line.model_copy(update={"text": line.text + more})
        before = tree(project)
        est = json.loads(moviegen("render", "lr", "--estimate", "--json", *fmt, check=True).stdout)
        assert tree(project) == before and rows(est)["render.voices"]["to_run"] == 1 and not est["exact"]
        report = json.loads(moviegen("render", "lr", *fmt, "--workers", "1", "--json", check=True).stdout)
        made = {kind: len(report["computed"].get(kind, [])) for kind in KINDS.values()}
        assert made == {KINDS[stage]: row["to_run"] for stage, row in rows(est).items()}
        assert bool(report["lengthened"]) == (rows(est)["render.music"]["to_run"] > 0)


@pytest.mark.slow
def test_make_estimate_of_a_premise_is_the_film_the_offline_writer_makes(tmp_path):
    args = (PREMISE, "--slug", "keeper", "--narration", "--resolution", "320x180")
    est = json.loads(moviegen("make", *args, "--estimate", "--json", check=True).stdout)
    assert est["exact"] and any("exact, since the offline writer" in n for n in est["notes"])
    assert not (tmp_path / "projects").exists()
    report = json.loads(moviegen("make", *args, "--workers", "1", "--json", check=True).stdout)
    made = {kind: len(report["computed"].get(kind, [])) for kind in KINDS.values()}
    assert made == {KINDS[stage]: row["to_run"] for stage, row in rows(est).items() if stage in KINDS}
    calls = json.loads(moviegen("cost", "keeper", "--json", check=True).stdout)["by_stage"]
    assert {stage for stage in calls} == {r["stage"] for r in est["steps"] if r["capability"] == "text"}
