"""/metrics through prometheus-client: a real brain server, real tool calls, a real render job, and the Grafana
dashboard in docs/ checked against what the brain really exports."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import FIXTURES
from tests.server.conftest import start_brain, stop_brain

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "moviegen.json"
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}  # others: the name itself


def scrape(url: str) -> dict[str, list]:
    """Series name -> its samples ([(labels, value)]); ``#type:NAME`` -> the type its ``# TYPE`` line gives."""
    text = httpx.get(url + "/metrics", timeout=10).text
    series: dict[str, list] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            series[f"#type:{name}"] = kind
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            series.setdefault(sample.name, []).append((sample.labels, sample.value))
    return series


def value(series: dict, name: str, **labels) -> float:
    return sum(v for got, v in series.get(name, []) if all(got.get(k) == w for k, w in labels.items()))


@pytest.fixture(scope="module")
def brain(tmp_path_factory):
    b = start_brain(tmp_path_factory.mktemp("metrics"))
    yield b
    stop_brain(b)


@pytest.mark.integration
@pytest.mark.slow
def test_tools_providers_jobs_and_events_are_measured(brain):
    from moviegen.brain.ledger import Entry, Ledger
    from moviegen.brain.remote import RemoteBrain
    from moviegen.core.brain import TextRequest
    from moviegen.core.errors import ProjectNotFoundError

    remote = RemoteBrain(brain.ws)
    try:
        remote.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug="two")
        remote.project_create("A keeper teaches a runaway to read the storm signals", slug="keeper")
        ask = TextRequest(project_id="keeper", task="story.develop", prompt="A keeper and a storm")
        remote.generate_text(ask)  # through the router, into the project's ledger, twice
        remote.generate_text(ask)
        remote.shots_plan("two")
        for _ in range(3):
            remote.project_status("two")
        with pytest.raises(ProjectNotFoundError):
            remote.project_status("nope")
        job = remote.render_start("two", resolution="320x180")
        final = list(remote.follow(job["id"], timeout=240))[-1]
        assert final["status"] == "done", final
    finally:
        remote.close()
    m = scrape(brain.url)
    assert value(m, "moviegen_tool_seconds_count", tool="project_status", status="ok") == 3
    assert value(m, "moviegen_tool_seconds_count", tool="project_status", status="project_not_found") == 1
    assert value(m, "moviegen_tool_seconds_count", tool="generate_text", status="ok") == 2
    assert value(m, "moviegen_tool_seconds_sum", tool="generate_text") > 0
    # the ledger's entries: the offline writer's two answers (cost 0, but counted)
    text = {"provider": "story-writer", "capability": "text"}
    assert value(m, "moviegen_provider_seconds_count", **text, status="ok") == 2
    assert ({**text, "status": "ok"}, 0.0) in m["moviegen_provider_cost_usd_total"]
    # entries another process writes into a ledger (a render's worker does) reach /metrics too; older ones do not
    ledger = Ledger(Path(brain.env["MOVIEGEN_PROJECTS_DIR"]) / "two")
    for at, status in ((time.time(), "ok"), (time.time(), "failed"), (time.time() - 86400, "ok")):
        ledger.record(Entry("image", "fal", "flux", "req", status, latency_ms=1500, cost_usd=0.04, at=at))
    ledger.close()
    m = scrape(brain.url)
    fal = {"provider": "fal", "capability": "image"}
    assert value(m, "moviegen_provider_seconds_count", **fal, status="ok") == 1
    assert value(m, "moviegen_provider_seconds_count", **fal, status="failed") == 1
    assert value(m, "moviegen_provider_seconds_sum", **fal) == pytest.approx(3.0)
    assert value(m, "moviegen_provider_cost_usd_total", **fal) == pytest.approx(0.08)
    assert value(scrape(brain.url), "moviegen_provider_cost_usd_total", **fal) == pytest.approx(0.08)  # once
    # one duration per stage of the render job, from its stage.start/stage.done events
    for stage in ("voices", "pictures", "segments", "publish"):
        assert value(m, "moviegen_job_stage_seconds_count", stage=stage) == 1, stage
    assert value(m, "moviegen_job_stage_seconds_sum", stage="segments") > 0
    assert value(m, "moviegen_events_total", kind="project.created") == 2
    assert value(m, "moviegen_events_total", kind="job.done") == 1
    assert value(m, "moviegen_events_total", kind="job.progress") > 4
    assert value(m, "moviegen_jobs_queued") == 0 and value(m, "moviegen_brain_jobs_running") == 0
    # the names /metrics always had, with their types
    assert value(m, "moviegen_brain_ws_connections_total") >= 1 and m["#type:moviegen_brain_ws_connections"] == "gauge"
    assert m["#type:moviegen_brain_ws_connections_total"] == "counter"
    assert value(m, "moviegen_brain_events_published_total") >= value(m, "moviegen_events_total")
    from websockets.sync.client import connect

    before = value(m, "moviegen_brain_event_listeners")
    with connect(brain.url.replace("http", "ws") + "/events"):
        deadline = time.monotonic() + 10  # the server subscribes just after it accepts
        while value(scrape(brain.url), "moviegen_brain_event_listeners") != before + 1:
            assert time.monotonic() < deadline, "an events client is not counted"
            time.sleep(0.05)


@pytest.mark.integration
def test_every_dashboard_query_names_a_metric_the_brain_exports(brain):
    exported = set()
    for key, kind in scrape(brain.url).items():
        if key.startswith("#type:"):
            exported |= {key[6:] + suffix for suffix in SUFFIXES.get(kind, ("",))}
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queries = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    queries += [v["definition"] for v in dashboard["templating"]["list"] if v.get("definition")]
    assert len(dashboard["panels"]) >= 10 and len(queries) > len(dashboard["panels"])
    named = set()
    for query in queries:
        names = set(re.findall(r"\b(moviegen_[a-z0-9_]+)", query))
        assert names, f"a query that names no moviegen metric: {query}"
        named |= names
    assert not named - exported, f"the dashboard names metrics the brain does not export: {sorted(named - exported)}"
    # every kind of measurement the issue asks for is on the dashboard
    for wanted in ("moviegen_tool_seconds_bucket", "moviegen_provider_seconds_bucket", "moviegen_provider_cost_usd_total",
                   "moviegen_job_stage_seconds_bucket", "moviegen_jobs_queued", "moviegen_events_total"):  # fmt: skip
        assert wanted in named, wanted


def test_two_apps_in_one_process_count_apart(tmp_path):
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.server.metrics import BrainMetrics
    from moviegen.core.settings import Settings

    brains = [LocalBrain(Settings(projects_dir=tmp_path / f"p{i}", home=tmp_path / "home"), workers=1) for i in (1, 2)]
    try:
        first, second = BrainMetrics(brains[0]), BrainMetrics(brains[1])  # the global registry would refuse this
        first.tool_called("project_status", 0.02, "ok")
        first.event({"kind": "job.progress", "job": "j", "stage": "voices", "event": "stage.start", "at": 100.0})
        first.event({"kind": "job.progress", "job": "j", "stage": "voices", "event": "stage.done", "at": 102.5})
        one, two = first.render().decode(), second.render().decode()
    finally:
        for b in brains:
            b.close()
    assert 'moviegen_tool_seconds_count{status="ok",tool="project_status"} 1.0' in one
    assert 'moviegen_job_stage_seconds_sum{stage="voices"} 2.5' in one
    assert 'moviegen_events_total{kind="job.progress"} 2.0' in one
    assert "project_status" not in two and "moviegen_tool_seconds" in two
