"""Running a render's steps: cached steps from the index, offline steps in the worker pool, online steps
(FAL stills and clips, ElevenLabs voices and sounds) in threads of the brain's own process, side by side.

Online steps run where the router is — the ledger, the project's budget, the providers' rate limits and
circuit breakers are one per brain — and they wait on the network, not the CPU, so threads suffice: the
router's per-provider concurrency limit is what bounds them. An online step's chain ends with the offline
provider (painter, eSpeak), so a failing service costs quality, not the film; such a fallback is recorded as
one and tried online again by the next render. Clips and sound effects have no offline provider: when they
fail, the shot keeps its still and the scene its ambience, and the report says why.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from moviegen.core.brain import Brain
from moviegen.core.errors import JobCancelledError, MoviegenError, ProviderError, RenderError
from moviegen.core.events import Event, EventSink
from moviegen.core.index import ProjectIndex
from moviegen.core.project import Project
from moviegen.services.render.steps import StepRunner, run_step

CAPABILITY = {"voice": "speech", "frame": "image", "sheet": "image", "clip": "video", "sound": "sound",
              "music": "music", "segment": "", "mix": ""}  # fmt: skip
OPTIONAL = ("clip", "sound")  # no offline provider: a failure leaves the shot as it was
ONLINE_THREADS = 32  # an upper bound; the router's per-provider concurrency is the real limit


@dataclass
class RenderRun:
    project: Project
    options: Any
    runner: StepRunner
    providers: dict[str, str]  # capability -> the head of its chain ('name' or 'name:model')
    emit: EventSink
    index: ProjectIndex
    story_brain: Brain | None = None  # set when the film starts from a premise: develop and plan are in the graph
    media: Any = None  # the brain that makes online steps in this process (None: every step goes to the runner)
    cancel: threading.Event | None = None
    job: str = ""
    computed: dict[str, list[str]] = field(default_factory=dict)
    cached: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # label -> why an optional step has no result
    _online: dict[str, bool] = field(default_factory=dict)

    def event(self, kind: str, stage: str, done: int = 0, total: int = 0, message: str = "") -> None:
        self.emit(Event(kind=kind, project=self.project.slug, stage=stage, done=done, total=total, message=message))

    # ------------------------------------------------------------------ who makes what
    def head(self, capability: str) -> str:
        """The name of the provider at the head of the capability's chain ('' when it has none)."""
        value = self.providers.get(capability, "")
        return "" if value == "none configured" else value.partition(":")[0]

    def online(self, capability: str) -> bool:
        """True when the chain's head is an online provider (its steps run here, through the router)."""
        if capability not in self._online:
            name = self.head(capability)
            offline = getattr(self.media, "offline", None)
            self._online[capability] = bool(name) and offline is not None and not offline(capability, name)
        return self._online[capability]

    def job_for(self, capability: str, job: dict[str, Any]) -> dict[str, Any]:
        """``job`` addressed: online steps take the project's chain (fallbacks included), offline steps go to
        the worker pool restricted to the head (a worker's own settings may list another provider first)."""
        if self.online(capability):
            return {**job, "online": True}
        return {**job, "provider": self.head(capability) or None}

    # ------------------------------------------------------------------ running
    def execute(self, stage: str, items: list[tuple[str, str, str, dict]]) -> dict[str, dict]:
        """items: (kind, key, label, job). Returns key -> result; cached results skip the work. An online step
        that fell back to an offline provider last time is tried online again."""
        started = time.perf_counter()
        results: dict[str, dict] = {}
        todo: list[tuple[str, str, str, dict]] = []
        for kind, key, label, job in items:
            hit = self.index.lookup(key)
            if hit is not None and not (job.get("online") and hit.get("fallback")) and key not in results:
                results[key] = hit
                self.cached[kind] = self.cached.get(kind, 0) + 1
            elif key not in results and all(key != t[1] for t in todo):
                todo.append((kind, key, label, job))
        total = len(items)
        done = total - len(todo)
        self.event("stage.start", stage, done, total)
        here = [t for t in todo if t[3].get("online") and self.media is not None]
        there = [t for t in todo if not (t[3].get("online") and self.media is not None)]
        progress: queue.SimpleQueue = queue.SimpleQueue()
        with ThreadPoolExecutor(
            max_workers=min(ONLINE_THREADS, max(1, len(here))), thread_name_prefix="online"
        ) as pool:
            futures = {pool.submit(self._run_here, kind, label, job, progress): (kind, key, label, job)
                       for kind, key, label, job in here}  # fmt: skip
            try:
                by_job = {id(job): (kind, key, label) for kind, key, label, job in there}
                for job, result in self.runner.run([(kind, job) for kind, _, _, job in there]):
                    kind, key, label = by_job[id(job)]
                    self._keep(results, kind, key, label, {**result, **job.get("note", {})})
                    done += 1
                    self.event("stage.progress", stage, done, total)
                    self._report(stage, progress)
                pending = set(futures)
                while pending:
                    finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                    self._report(stage, progress)
                    for future in finished:
                        kind, key, label, job = futures[future]
                        try:
                            self._keep(results, kind, key, label, {**future.result(), **job.get("note", {})})
                        except ProviderError as exc:
                            if kind not in OPTIONAL:
                                raise RenderError(f"{label}: {exc.message}", exc.hint) from None
                            self.failed[label] = exc.message
                            self.event("warning", stage, message=f"{label}: no {CAPABILITY[kind]} ({exc.message})")
                        done += 1
                        self.event("stage.progress", stage, done, total)
            except BaseException:
                self._stop(futures)
                raise
        self.event("stage.done", stage, total, total)
        self.timings[stage] = round(self.timings.get(stage, 0.0) + time.perf_counter() - started, 3)
        return results

    def _run_here(self, kind: str, label: str, job: dict, progress: queue.SimpleQueue) -> dict:
        if self.cancel is not None and self.cancel.is_set():
            raise JobCancelledError("the render was cancelled", "run it again: finished steps are kept")

        def on_progress(update) -> None:
            progress.put((label, update))

        hooks = {"job": self.job, "options": {"on_progress": on_progress, "cancel": self.cancel}}
        try:
            # the project's chain, budget and ledger (never part of the step's key: an imported copy reuses it)
            request = {**job["request"], "project_id": self.project.slug}
            return run_step(kind, {**{k: v for k, v in job.items() if k != "online"}, "request": request}, self.media,
                            hooks)  # fmt: skip
        except MoviegenError:
            raise
        except OSError as exc:  # a missing input asset: say which step, in one line
            raise RenderError(f"{label}: {exc}", "run the render again") from None

    def _keep(self, results: dict, kind: str, key: str, label: str, result: dict) -> None:
        capability = CAPABILITY.get(kind, "")
        head = self.head(capability) if capability else ""
        meta = {k: v for k, v in result.items() if k != "asset"}
        if head and result.get("provider") and result["provider"] != head:
            meta["fallback"] = True  # made by a later provider of the chain: the next render asks the head again
            result = {**result, "fallback": True}
        self.index.record(key, kind, result["asset"], meta)
        results[key] = result
        self.computed.setdefault(kind, []).append(label)

    def _report(self, stage: str, progress: queue.SimpleQueue) -> None:
        """The queue's news from online providers (FAL: position in queue, logs), as info events."""
        while True:
            try:
                label, update = progress.get_nowait()
            except queue.Empty:
                return
            where = f" (position {update.position})" if getattr(update, "position", None) is not None else ""
            logs = "; ".join(getattr(update, "logs", []) or [])[:160]
            self.event("info", stage, message=f"{label}: {update.status.lower().replace('_', ' ')}{where}"
                                              + (f" — {logs}" if logs else ""))  # fmt: skip

    def _stop(self, futures: dict) -> None:
        for future in futures:
            future.cancel()
