"""The provider router and the cost ledger, measured.

    python benchmarks/router.py             # everything (about half a minute)
    python benchmarks/router.py --runs 5

- ledger: entries committed per second (grouped, as the router writes them; against a commit per entry in
  the same run), and `cost_report` over 100,000 entries;
- router overhead per call with the network taken out: a text call to the fake OpenAI-compatible server on
  loopback through the router, minus the same call straight to the provider, in the same process; and a
  cache hit;
- 100 concurrent text requests through the router to a fake answering in 200 ms, with the provider's
  concurrency limit at 10: total time, and the most requests the fake saw in flight at once.
Medians of several runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _brain(root: Path, **settings_kw):
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings

    settings = Settings(projects_dir=root / "projects", home=root / "home", **settings_kw)
    brain = LocalBrain(settings, workers=1)
    brain.project_create("A keeper races a storm to light the lamp", slug="bench")
    return brain


def ledger_figures(n: int = 100_000) -> dict[str, float]:
    from moviegen.brain.ledger import Entry

    brain = _brain(Path(tempfile.mkdtemp(prefix="moviegen-ledger-")))
    ledger = brain.ledger("bench")

    def entry(i: int) -> Entry:
        return Entry("text", "openrouter", f"model-{i % 7}", f"{i:064x}", "ok", 120.0,
                     {"input_tokens": 900, "output_tokens": 400}, 0.0012, f"stage-{i % 5}",
                     at=time.time() - (i % 30) * 86400)  # fmt: skip

    base = n // 20  # the baseline, a commit per entry (as the ledger wrote before group commits)
    t = time.perf_counter()
    for i in range(base):
        ledger.record(entry(i))
        ledger.flush()
    baseline = base / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(base, n):
        ledger.record(entry(i))
    ledger.flush()  # counted: the rate is of entries committed, not queued
    writes = (n - base) / (time.perf_counter() - t)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        report = brain.cost_report("bench")
        times.append(time.perf_counter() - t)
    assert report["calls"] == n
    brain.close()
    return {"entries_per_s": writes, "baseline_per_s": baseline, "cost_report_ms": 1000 * statistics.median(times)}


def router_figures(calls: int = 300) -> dict[str, float]:
    from moviegen.core.brain import TextRequest
    from moviegen.core.settings import Price
    from tests.fakes.openai_server import FakeChat

    with FakeChat() as fake:
        root = Path(tempfile.mkdtemp(prefix="moviegen-router-"))
        brain = _brain(root, openai_compat_base_url=fake.base_url, openai_compat_api_key=fake.key,
                       openai_compat_model="local-model", prices={"openai-compat": Price(input_per_mtok=0.1)})  # fmt: skip
        brain.settings.providers.text = ["openai-compat", "story-writer"]
        provider = brain.router.provider("text", "openai-compat", None)

        def request(i: int) -> TextRequest:
            return TextRequest(project_id="bench", task="bench", prompt=f"say {i}", max_tokens=16)

        direct, routed, hits = [], [], []
        for i in range(calls):  # interleaved, so both see the same machine
            r = request(i)
            t = time.perf_counter()
            provider.generate(r)
            direct.append(time.perf_counter() - t)
            r = request(i + 1_000_000)
            t = time.perf_counter()
            brain.generate_text(r)
            routed.append(time.perf_counter() - t)
            t = time.perf_counter()
            brain.generate_text(r)  # the same request again: the cache
            hits.append(time.perf_counter() - t)
        out = {
            "direct_ms": 1000 * statistics.median(direct),
            "routed_ms": 1000 * statistics.median(routed),
            "overhead_ms": 1000 * (statistics.median(routed) - statistics.median(direct)),
            "cache_hit_ms": 1000 * statistics.median(hits),
        }
        brain.close()

        fake.latency = 0.2
        fake.reset_peak()
        root = Path(tempfile.mkdtemp(prefix="moviegen-router-"))
        brain = _brain(root, openai_compat_base_url=fake.base_url, openai_compat_api_key=fake.key,
                       openai_compat_model="local-model", router={"concurrency": 10, "rpm": 100_000})  # fmt: skip
        brain.settings.providers.text = ["openai-compat"]
        t = time.perf_counter()
        with ThreadPoolExecutor(100) as pool:
            list(pool.map(lambda i: brain.generate_text(request(2_000_000 + i)), range(100)))
        out["concurrent_100_s"] = time.perf_counter() - t
        out["peak_in_flight"] = fake.peak_in_flight
        brain.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [ledger_figures() for _ in range(args.runs)]
    grouped, baseline = (statistics.median(r[k] for r in runs) for k in ("entries_per_s", "baseline_per_s"))
    print(f"ledger: {grouped:,.0f} entries/s committed in groups (a commit each: {baseline:,.0f}/s, "
          f"x{grouped / baseline:.1f}); cost report over 100,000 entries "
          f"{statistics.median(r['cost_report_ms'] for r in runs):.0f} ms (medians of {args.runs})")  # fmt: skip
    runs = [router_figures() for _ in range(args.runs)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"router: a call to the fake on loopback {med['direct_ms']:.2f} ms straight, {med['routed_ms']:.2f} ms "
          f"through the router (overhead {med['overhead_ms']:.2f} ms); a cache hit {med['cache_hit_ms']:.2f} ms")  # fmt: skip
    print(f"100 concurrent requests, 200 ms each, concurrency limit 10: {med['concurrent_100_s']:.2f} s, "
          f"at most {max(r['peak_in_flight'] for r in runs)} in flight (medians of {args.runs})")  # fmt: skip


if __name__ == "__main__":
    main()
