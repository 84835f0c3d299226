"""The brain's /metrics (Prometheus, through prometheus-client): one registry per app, never the library's
global one — a test process starts several apps, and each must count only its own.

What is measured, and where:
- the brain itself (``moviegen_brain_*``: uptime, connections, messages, HTTP requests, event listeners and
  events published, jobs running) and ``moviegen_jobs_queued``: read at scrape from the app and its brain;
- ``moviegen_tool_seconds`` {tool, status}: every tool call, timed at the server's dispatch (tools.py);
- ``moviegen_provider_seconds`` and ``moviegen_provider_cost_usd_total`` {provider, capability, status}:
  every provider attempt, read from the projects' ledgers at scrape (entries since the app started). The
  ledger is where every attempt is written, including those of render steps in worker processes, which a
  callback in this process would never see;
- ``moviegen_job_stage_seconds`` {stage}: from the jobs' ``stage.start``/``stage.done`` progress events;
- ``moviegen_events_total`` {kind}: every event the bus carries.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from moviegen.core import locations
from moviegen.core.errors import MoviegenError

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
FAST = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)  # tools, providers
SLOW = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)  # a render's stages
STAGE_WINDOW = 6 * 3600  # a stage start without its end is forgotten after this many seconds


class BrainMetrics:
    """Everything /metrics shows for one app. The counters the app keeps itself (``ws_connections``,
    ``ws_rejected``, …) are plain attributes it increments; the rest is observed or read at scrape."""

    def __init__(self, brain: Any) -> None:
        self.brain = brain
        self.started = time.time()
        self.ws_connections = self.ws_total = self.ws_rejected = self.messages_in = self.http_requests = 0
        self.quick_calls = 0  # of messages_in: tool calls answered by the connection itself (quick_calls.py)
        self.registry = CollectorRegistry(auto_describe=False)
        self.tool_seconds = Histogram("moviegen_tool_seconds", "Tool calls at the brain's dispatch, by tool and outcome",
                                      ["tool", "status"], registry=self.registry, buckets=FAST)  # fmt: skip
        self.provider_seconds = Histogram("moviegen_provider_seconds", "Provider attempts (the projects' ledgers)",
                                          ["provider", "capability", "status"], registry=self.registry, buckets=FAST)  # fmt: skip
        self.provider_cost = Counter("moviegen_provider_cost_usd", "What provider attempts cost, in US dollars",
                                     ["provider", "capability", "status"], registry=self.registry)  # fmt: skip
        self.stage_seconds = Histogram("moviegen_job_stage_seconds", "How long each stage of a job took",
                                       ["stage"], registry=self.registry, buckets=SLOW)  # fmt: skip
        self.events = Counter("moviegen_events", "Events published on the bus, by kind", ["kind"],
                              registry=self.registry)  # fmt: skip
        self.registry.register(_BrainCollector(self))
        self._stages: dict[tuple[str, str], float] = {}
        self._seen: dict[str, int] = {}  # project slug -> the last ledger row read
        self._scrape = threading.Lock()
        self.watching = 0

    # ------------------------------------------------------------------ observations
    def tool_called(self, tool: str, seconds: float, status: str) -> None:
        self.tool_seconds.labels(tool, status).observe(seconds)

    def event(self, event: dict[str, Any]) -> None:
        """One event from the bus: counted by kind; a job's stage.start/stage.done pair becomes a duration."""
        kind = str(event.get("kind", ""))
        self.events.labels(kind).inc()
        if kind != "job.progress" or not event.get("stage"):
            return
        key, at = (str(event.get("job")), str(event["stage"])), float(event.get("at") or time.time())
        if event.get("event") == "stage.start":
            self._stages[key] = at
            for old in [k for k, t in self._stages.items() if at - t > STAGE_WINDOW]:
                del self._stages[old]
        elif event.get("event") == "stage.done" and key in self._stages:
            self.stage_seconds.labels(key[1]).observe(max(0.0, at - self._stages.pop(key)))

    async def watch(self, bus) -> None:
        """Count the bus's events for as long as the app runs (a task of its lifespan)."""
        queue, listener = bus.subscribe_async(remote=False)  # this process's events: scrapes add up
        self.watching = 1  # this watcher is a listener of the bus, not one of the clients the gauge counts
        try:
            while True:
                self.event(json.loads(await queue.get()))
        finally:
            bus.unsubscribe(listener)
            self.watching = 0

    # ------------------------------------------------------------------ scrape
    def render(self) -> bytes:
        """The exposition text (call it off the event loop: it reads the projects' ledgers)."""
        with self._scrape:
            self._read_ledgers()
            return generate_latest(self.registry)

    def _read_ledgers(self) -> None:
        try:
            slugs = self.brain.project_slugs()
        except MoviegenError:
            return
        for slug in slugs:
            try:
                db = locations.index_db(self.brain.store.path_of(slug))
                if not db.exists():
                    continue
                with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as conn:
                    rows = conn.execute(
                        "SELECT id, provider, capability, status, latency_ms, cost_usd FROM ledger"
                        " WHERE id > ? AND at >= ? ORDER BY id", (self._seen.get(slug, 0), self.started),
                    ).fetchall()  # fmt: skip
            except (sqlite3.Error, MoviegenError, OSError):
                continue  # a project being created, deleted or migrated: read next time
            for row_id, provider, capability, status, latency_ms, cost in rows:
                self.provider_seconds.labels(provider, capability, status).observe(latency_ms / 1000)
                self.provider_cost.labels(provider, capability, status).inc(cost or 0.0)  # 0: the series exists
                self._seen[slug] = row_id


class _BrainCollector:
    """The brain's own gauges and counters, read at scrape under the names /metrics has always had (a custom
    collector: ``moviegen_brain_ws_connections`` and ``moviegen_brain_ws_connections_total`` are two series,
    which prometheus-client's own classes would refuse to register side by side)."""

    def __init__(self, metrics: BrainMetrics) -> None:
        self.m = metrics

    def collect(self):
        m, brain = self.m, self.m.brain
        jobs = list(brain.jobs.live.values())
        gauges = [
            ("moviegen_brain_uptime_seconds", "Seconds since the brain started", time.time() - m.started),
            ("moviegen_brain_ws_connections", "Open MCP WebSocket connections", m.ws_connections),
            ("moviegen_brain_event_listeners", "Clients listening to events", brain.bus.listeners - m.watching),
            ("moviegen_brain_jobs_running", "Jobs queued or running", len(brain.jobs.running())),
            ("moviegen_jobs_queued", "Jobs waiting to start", sum(j.status == "queued" for j in jobs)),
        ]
        counters = [
            ("moviegen_brain_ws_connections_total", "MCP WebSocket connections accepted", m.ws_total),
            ("moviegen_brain_ws_rejected_total", "WebSocket connections refused at the door", m.ws_rejected),
            ("moviegen_brain_ws_messages_total", "MCP messages received over WebSocket", m.messages_in),
            (
                "moviegen_brain_ws_quick_calls_total",
                "Of those, light tool calls answered without the SDK's session",
                m.quick_calls,
            ),
            ("moviegen_brain_http_requests_total", "MCP streamable HTTP requests", m.http_requests),
            ("moviegen_brain_events_published_total", "Events published on the bus", brain.bus.published),
        ]
        for name, doc, value in gauges:
            yield GaugeMetricFamily(name, doc, value=value)
        for name, doc, value in counters:
            yield CounterMetricFamily(name, doc, value=value)
