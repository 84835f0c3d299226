"""The web view (issue #13): a project page's server time at 200 shots, its first paint in Chromium, and how long
an edit takes to reach 50 other open pages.

    python benchmarks/web.py              # about a minute
    python benchmarks/web.py --runs 15 --pages 50 --edits 20

- page server time: ``GET /p/SLUG`` (the overview: project_status, cost_report and comment_list through
  their tools, the shot list through the brain's ``shots`` resource, one template) from a real ``moviegen brain serve`` on loopback, for a project of 200
  shots; median of ``--runs``, with ``GET /healthz`` in the same run as the baseline. Then, in process, what
  the page's two reads of shots.toml cost with tomlkit (as core/shotlist.py parses it) and with the standard
  library's tomllib, the fix this figure asks for;
- first paint: Debian's Chromium (Playwright) opening that page in a fresh tab, ``first-contentful-paint``
  from the Paint Timing API; median of ``--runs`` (skipped without chromium/playwright);
- edit → other pages updated: ``--pages`` listeners that do what a page's live.js does — hold the project's
  ``/live`` WebSocket, say which live part the page shows (the story fragment) and take its new HTML from the
  socket after ``story.updated`` (``push``, live.js now); and, as the baseline in the same run, fetch the
  fragment after the event instead (``fetch``, live.js before) — with one real Chromium page among them; a
  writer saves the story bible ``--edits`` times through the page route; the time from the save's request to
  each page holding the new text, p50/p99 over every page and edit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import SAMPLE, brain_server, median_time, moviegen, world  # noqa: E402

BIG, SMALL = "two-hundred", "lantern-road"


def screenplay(scenes: int) -> str:
    """A screenplay the offline planner cuts into 5 shots a scene."""
    out = ["Title: Two Hundred Shots\nAuthor: the benchmark\n\n"]
    for n in range(scenes):
        out.append(f"{'INT' if n % 2 else 'EXT'}. PLACE {n} - NIGHT\n\nRain falls on place {n}. A lamp swings.\n\n"
                   f"MIRA\nWe keep going, {n}.\n\nTOMAS\nNot tonight.\n\nShe turns to the window and waits.\n\n"
                   "MIRA\nThen tomorrow.\n\n")  # fmt: skip
    return "".join(out)


def page_time(url: str, runs: int) -> dict:
    import httpx

    with httpx.Client(base_url=url, timeout=60) as c:
        c.get(f"/p/{BIG}")  # warm: the project opened, its memory in step
        page, page_runs = median_time(lambda: c.get(f"/p/{BIG}").raise_for_status(), runs)
        health, _ = median_time(lambda: c.get("/healthz").raise_for_status(), runs)
        size = len(c.get(f"/p/{BIG}").content)
    return {"page_ms": page * 1000, "page_min_ms": min(page_runs) * 1000, "healthz_ms": health * 1000,
            "page_bytes": size}  # fmt: skip


def parse_cost(shots_toml: Path, runs: int) -> dict:
    import tomllib

    import tomlkit

    text = shots_toml.read_text(encoding="utf-8")
    slow, _ = median_time(lambda: tomlkit.parse(text).unwrap(), runs)
    fast, _ = median_time(lambda: tomllib.loads(text), runs)
    assert tomlkit.parse(text).unwrap() == tomllib.loads(text)
    return {"tomlkit_ms": slow * 1000, "tomllib_ms": fast * 1000, "shots": text.count("[[shot]]")}


def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, None
    if shutil.which("chromium") is None:
        return None, None
    p = sync_playwright().start()
    return p, p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])


def first_paint(chromium, url: str, runs: int) -> dict:
    times = []
    for _ in range(runs):
        context = chromium.new_context(viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(f"{url}/p/{BIG}", wait_until="load")
        fcp = page.evaluate("""() => new Promise(done => {
            const seen = performance.getEntriesByName('first-contentful-paint');
            if (seen.length) return done(seen[0].startTime);
            new PerformanceObserver(l => done(l.getEntries()[0].startTime)).observe({type: 'paint', buffered: true});
        })""")
        times.append(fcp)
        context.close()
    return {"fcp_ms": statistics.median(times), "fcp_runs_ms": [round(t) for t in times]}


def fan_out(url: str, pages: int, edits: int, chromium_page=None, push: bool = True) -> dict:
    """``pages`` live.js stand-ins (on an event loop in a thread of their own) and a real page, when given,
    hearing ``edits`` saves of the bible made here: the part pushed over the socket, or (``push`` False) fetched."""
    import html
    import re
    import threading

    import httpx

    seen: dict[int, dict[str, float]] = {n: {} for n in range(pages)}
    markers: list[str] = []
    connected = threading.Semaphore(0)
    loop = asyncio.new_event_loop()

    async def listener(n: int) -> None:
        from websockets.asyncio.client import connect

        async with httpx.AsyncClient(base_url=url, timeout=None) as c:
            async with connect(url.replace("http", "ws") + f"/p/{SMALL}/live") as socket:
                if push:
                    part = {"id": "doc", "src": f"/p/{SMALL}/part/text/bible", "live": "story.updated"}
                    await socket.send(json.dumps({"parts": [part]}))
                connected.release()
                async for message in socket:
                    if push and message.startswith('{"kind": "part"'):
                        text = json.loads(message)["html"] or ""
                    elif not push and '"story.updated"' in message:
                        text = (await c.get(f"/p/{SMALL}/part/text/bible")).text
                    else:
                        continue
                    now = time.perf_counter()
                    for marker in list(markers):
                        if marker in text:
                            seen[n].setdefault(marker, now)

    async def listen_all() -> None:
        await asyncio.gather(*(listener(n) for n in range(pages)), return_exceptions=True)

    def run() -> None:
        try:
            loop.run_until_complete(listen_all())
        except asyncio.CancelledError:
            pass  # stopped at the end

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    for _ in range(pages):
        if not connected.acquire(timeout=60):
            raise SystemExit("the listeners did not connect")
    time.sleep(0.5)
    latencies, browser_latencies = [], []
    with httpx.Client(base_url=url, timeout=60) as writer:
        writer.get("/login")
        token = writer.cookies["mg_csrf"]
        for e in range(edits):
            got = writer.get(f"/p/{SMALL}/text/bible").text
            digest = re.search(r'name="digest" value="([0-9a-f]*)"', got).group(1)
            base = html.unescape(re.search(r'<textarea name="base" hidden>(.*?)</textarea>', got, re.S).group(1))
            marker = f"marker-{e}-{time.time_ns()}"
            markers.append(marker)
            started = time.perf_counter()
            writer.post(f"/p/{SMALL}/text/bible", data={"text": base + f"\n{marker}\n", "base": base, "digest": digest},
                        headers={"X-CSRF-Token": token, "HX-Request": "true"}).raise_for_status()  # fmt: skip
            if chromium_page is not None:
                chromium_page.wait_for_function(f"document.getElementById('doc').textContent.includes('{marker}')",
                                                timeout=10000)  # fmt: skip
                browser_latencies.append(time.perf_counter() - started)
            deadline = time.perf_counter() + 10
            while any(marker not in s for s in seen.values()) and time.perf_counter() < deadline:
                time.sleep(0.005)
            latencies += [s[marker] - started for s in seen.values() if marker in s]
            time.sleep(0.05)
    loop.call_soon_threadsafe(lambda: [t.cancel() for t in asyncio.all_tasks(loop)])
    thread.join(10)
    q = statistics.quantiles(latencies, n=100)
    out = {"samples": len(latencies), "expected": pages * edits, "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000,
           "max_ms": max(latencies) * 1000}  # fmt: skip
    if browser_latencies:
        out["chromium_median_ms"] = statistics.median(browser_latencies) * 1000
        out["chromium_max_ms"] = max(browser_latencies) * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    env = world()
    moviegen(env, "import", str(SAMPLE), "--slug", SMALL)
    big = Path(env["MOVIEGEN_HOME"]).parent / "big.fountain"
    big.write_text(screenplay(40), encoding="utf-8")
    moviegen(env, "import", str(big), "--slug", BIG)
    moviegen(env, "plan", BIG)
    results: dict = {}
    with brain_server(env) as client_env:
        url = client_env["MOVIEGEN_BRAIN_URL"].replace("ws://", "http://").removesuffix("/mcp/ws")
        results["page"] = page_time(url, args.runs)
        results["parse"] = parse_cost(Path(env["MOVIEGEN_PROJECTS_DIR"]) / BIG / "shots.toml", args.runs)
        p, chromium = browser()
        try:
            real_page = None
            if chromium is not None:
                results["paint"] = first_paint(chromium, url, args.runs)
                real_page = chromium.new_context().new_page()
                real_page.goto(f"{url}/p/{SMALL}/text/bible")
                real_page.wait_for_function("document.getElementById('presence').dataset.count >= 1")
            results["fan_out_fetch"] = fan_out(url, args.pages, args.edits, real_page, push=False)
            results["fan_out_push"] = fan_out(url, args.pages, args.edits, real_page, push=True)
        finally:
            if chromium is not None:
                chromium.close()
                p.stop()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
