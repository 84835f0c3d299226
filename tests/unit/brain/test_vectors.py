"""The vector matrix and its approximate index: recall against exact search, tail, deletions, persistence."""

from __future__ import annotations

import numpy as np

from moviegen.brain.knowledge.vectors import VectorIndex


def _clustered(n: int, dim: int = 64, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((50, dim))
    x = centers[rng.integers(0, 50, n)] + 0.6 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _exact_ids(x: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    return (np.argsort(-(x @ q))[:k] + 1).tolist()  # rowids start at 1


def test_hnsw_recall_at_10_against_exact(tmp_path):
    x = _clustered(6000)
    index = VectorIndex(64, tmp_path / "v.hnsw", ann_threshold=2000)
    index.add(np.arange(1, 6001), x, ["note"] * 6000)
    index.wait_for_index()
    index.wait_for_index()  # a second pass folds in what arrived during the first build
    assert index.ann_info()["indexed"] >= 2000
    queries = _clustered(100, seed=2)
    recall = np.mean([len({r for r, _ in index.search(q, 10)} & set(_exact_ids(x, q, 10))) / 10 for q in queries])
    assert recall >= 0.95


def test_rows_after_the_index_and_deleted_rows(tmp_path):
    x = _clustered(3000)
    index = VectorIndex(64, None, ann_threshold=2000)
    index.add(np.arange(1, 2501), x[:2500], ["note"] * 2500)
    index.wait_for_index()
    covered = index.ann_info()["indexed"]
    index.add(np.arange(2501, 3001), x[2500:], ["note"] * 500)  # the tail: searched exactly
    assert covered <= 2500
    q = x[2999]
    assert index.search(q, 1)[0][0] == 3000
    index.remove([3000])
    assert 3000 not in [r for r, _ in index.search(q, 10)]
    index.remove([int(_exact_ids(x, x[5], 1)[0])])
    assert 6 not in [r for r, _ in index.search(x[5], 10)]


def test_kind_filter_and_allowed_subset(tmp_path):
    x = _clustered(500)
    index = VectorIndex(64)
    index.add(np.arange(1, 501), x, ["scene" if i % 2 else "note" for i in range(500)])
    hits = index.search(x[0], 20, kinds=["scene"])
    assert hits and all(r % 2 == 0 for r, _ in hits)  # rowid = i + 1; odd i are scenes
    assert [r for r, _ in index.search(x[0], 5, allowed=np.array([7, 9, 11]))] == sorted(
        [7, 9, 11], key=lambda r: -float(x[r - 1] @ x[0])
    )


def test_the_persisted_index_is_reused_and_a_torn_one_ignored(tmp_path):
    x = _clustered(3000)
    path = tmp_path / "v.hnsw"
    first = VectorIndex(64, path, ann_threshold=2000)
    first.add(np.arange(1, 3001), x, ["note"] * 3000)
    first.wait_for_index()
    indexed = first.ann_info()["indexed"]
    again = VectorIndex(64, path, ann_threshold=2000)
    again.add(np.arange(1, 3001), x, ["note"] * 3000)
    again.wait_for_index()
    fresh = VectorIndex(64, path, ann_threshold=10**9)
    fresh.add(np.arange(1, 3001), x, ["note"] * 3000)
    assert fresh.load_persisted() and fresh.ann_info()["indexed"] == again.ann_info()["indexed"] >= indexed
    path.write_bytes(b"torn")
    broken = VectorIndex(64, path, ann_threshold=10**9)
    broken.add(np.arange(1, 3001), x, ["note"] * 3000)
    assert not broken.load_persisted()
    assert broken.search(x[0], 1)[0][0] == 1
