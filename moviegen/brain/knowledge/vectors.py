"""A project's vectors in memory: one float32 matrix in rowid order, exact
search by a matrix-vector product, and an HNSW index (faiss) that takes over
the bulk once the project is large.

The ANN index covers rows up to a rowid; rows stored after it (the tail) are
searched exactly and folded into the index by a background thread, so stores
never wait for it. Deleted rows stay in the matrix, masked, until the next
rebuild. The index is persisted next to the database with the rowids it
covers, and reused on open when it still fits.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np

from moviegen.core.errors import KnowledgeError

ANN_THRESHOLD = 20_000  # rows; exact search costs ~2 ms here (benchmarks/knowledge.py)
ANN_M = 32
ANN_EF_CONSTRUCTION = 80
ANN_EF_SEARCH = 128
_FOLD_EVERY = 5_000  # tail rows (searched exactly) before the background thread adds them to the index
_FOLD_CHUNK = 256


def check_vector(vector: object, dim: int) -> np.ndarray:
    arr = np.asarray(vector, dtype=np.float32)
    if arr.ndim != 1:
        raise KnowledgeError(f"expected one vector, got an array of shape {arr.shape}")
    if arr.shape[0] != dim:
        raise KnowledgeError(
            f"vector has {arr.shape[0]} dimensions; this project's vectors have {dim}",
            "embed the query with the project's embedder (moviegen status shows which)",
        )
    if not np.isfinite(arr).all():
        raise KnowledgeError("vector contains NaN or infinity", "check the embedding that produced it")
    norm = float(np.linalg.norm(arr))
    if norm == 0.0:
        raise KnowledgeError("vector is all zeros", "a zero vector is similar to nothing")
    return arr / norm


class VectorIndex:
    def __init__(self, dim: int, ann_path: Path | None = None, ann_threshold: int = ANN_THRESHOLD) -> None:
        self.dim = dim
        self.ann_path = ann_path
        self.ann_threshold = ann_threshold
        self.matrix = np.zeros((1024, dim), np.float32)
        self.rowids = np.zeros(1024, np.int64)
        self.kinds = np.zeros(1024, np.int16)
        self.alive = np.zeros(1024, bool)
        self.n = 0
        self.kind_codes: dict[str, int] = {}
        self._lock = threading.RLock()  # the matrix and its bookkeeping
        self._ann_lock = threading.Lock()  # the faiss index (not safe to search while adding)
        self._persisted_rows = 0
        self._ann = None  # faiss index over self._ann_rowids
        self._ann_rowids = np.zeros(0, np.int64)
        self._builder: threading.Thread | None = None

    # ---- contents
    def kind_code(self, kind: str) -> int:
        return self.kind_codes.setdefault(kind, len(self.kind_codes) + 1)

    def add(self, rowids: np.ndarray, vectors: np.ndarray, kinds: list[str]) -> None:
        """Append rows (rowids ascending and above every row already held)."""
        if len(rowids) == 0:
            return
        with self._lock:
            need = self.n + len(rowids)
            if need > len(self.rowids):
                cap = max(need, 2 * len(self.rowids))
                self.matrix = _grow(self.matrix, cap)
                self.rowids = _grow(self.rowids, cap)
                self.kinds = _grow(self.kinds, cap)
                self.alive = _grow(self.alive, cap)
            sl = slice(self.n, need)
            self.matrix[sl] = vectors
            self.rowids[sl] = rowids
            self.kinds[sl] = [self.kind_code(k) for k in kinds]
            self.alive[sl] = True
            self.n = need
        self._maybe_build()

    def remove(self, rowids: list[int]) -> None:
        with self._lock:
            pos = np.searchsorted(self.rowids[: self.n], rowids)
            for p, r in zip(pos, rowids, strict=True):
                if p < self.n and self.rowids[p] == r:
                    self.alive[p] = False

    @property
    def last_rowid(self) -> int:
        return int(self.rowids[self.n - 1]) if self.n else 0

    def live_count(self) -> int:
        return int(self.alive[: self.n].sum())

    # ---- search
    def search(self, query: np.ndarray, k: int, kinds: list[str] | None = None, allowed: np.ndarray | None = None):
        """Top ``k`` (rowid, score) by inner product. ``allowed`` (sorted rowids) restricts to a subset."""
        with self._lock:  # a consistent view; rows below n never change, so the arrays are read unlocked
            view = _View(self.n, self.matrix, self.rowids, self.alive[: self.n].copy())
            if kinds:
                codes = [self.kind_codes[c] for c in kinds if c in self.kind_codes]
                view.mask &= np.isin(self.kinds[: self.n], codes)
        if view.n == 0:
            return []
        if allowed is not None:
            view.mask &= np.isin(view.rowids[: view.n], allowed, assume_unique=True)
            return view.exact(query, k, np.flatnonzero(view.mask))
        if self._ann is not None and not kinds:
            return self._ann_search(query, k, view)
        return view.exact(query, k, None if view.mask.all() else np.flatnonzero(view.mask))

    def _ann_search(self, query: np.ndarray, k: int, view: _View):
        mask, n = view.mask, view.n
        with self._ann_lock:
            covered = self._ann_rowids
            fetch = min(len(covered), k + 16 + int((~mask).sum() > 0) * k)
            scores, labels = self._ann.search(query[None], fetch)
        labels = labels[0]
        ok = labels >= 0
        ann_rowids = covered[labels[ok]]
        ann_scores = scores[0][ok]
        rowids = view.rowids[:n]
        pos = np.minimum(np.searchsorted(rowids, ann_rowids), n - 1)
        live = (rowids[pos] == ann_rowids) & mask[pos]
        results = list(zip(ann_rowids[live].tolist(), ann_scores[live].tolist(), strict=True))
        tail = int(np.searchsorted(rowids, covered[-1], side="right")) if len(covered) else 0
        if tail < n:  # rows stored after the index was built: exact
            if mask[tail:].all():
                results += _top(rowids[tail:n], view.matrix[tail:n] @ query, k)
            else:
                results += view.exact(query, k, tail + np.flatnonzero(mask[tail:]))
        results.sort(key=lambda r: -r[1])
        return results[:k]

    # ---- approximate index
    def _maybe_build(self) -> None:
        if self.n < self.ann_threshold or (self._builder and self._builder.is_alive()):
            return
        if self._ann is not None and self.n - len(self._ann_rowids) < _FOLD_EVERY:
            return
        self._builder = threading.Thread(target=self._build, name="moviegen-ann", daemon=True)
        self._builder.start()

    def wait_for_index(self, timeout: float | None = None) -> None:
        if self._builder:
            self._builder.join(timeout)

    def flush(self) -> None:
        """Finish background work and save what the saved index lacks (on close)."""
        self.wait_for_index()
        if self._ann is not None and len(self._ann_rowids) > self._persisted_rows:
            self._persist()

    def _build(self) -> None:
        """Build, then keep folding until the tail is short (stores may arrive all along). The builder leaves a
        core to the stores: its own OpenMP team (a per-thread setting) is one thread smaller than the machine,
        and it runs at a lower priority (Linux schedules threads one by one)."""
        import faiss

        faiss.omp_set_num_threads(max(1, _cores() - 1))
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except (AttributeError, OSError):  # not Linux, or not allowed: build at normal priority
            pass
        self._build_once()
        while self.n - len(self._ann_rowids) >= _FOLD_EVERY:
            self._build_once()

    def _build_once(self) -> None:
        import faiss

        with self._lock:
            n = self.n
            start = len(self._ann_rowids)
            rows = self.matrix[start:n].copy()
            rowids = self.rowids[start:n].copy()
        if self._ann is None:  # first build, off every lock (faiss releases the GIL); searches stay exact
            index = faiss.IndexHNSWFlat(self.dim, ANN_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ANN_EF_CONSTRUCTION
            index.hnsw.efSearch = ANN_EF_SEARCH
            index.add(rows)
            with self._ann_lock:
                self._ann, self._ann_rowids = index, rowids
            self._persist()
            return
        # fold the tail into the live index in small chunks: stores never wait, searches wait one chunk at most
        for at in range(0, len(rows), _FOLD_CHUNK):
            with self._ann_lock:
                self._ann.add(rows[at : at + _FOLD_CHUNK])
                self._ann_rowids = np.concatenate([self._ann_rowids, rowids[at : at + _FOLD_CHUNK]])
        if len(self._ann_rowids) >= 2 * self._persisted_rows:  # saving blocks searches: only on doubling
            self._persist()

    def _persist(self) -> None:
        if self.ann_path is None or self._ann is None:
            return
        import faiss

        with self._ann_lock:
            index, rowids = self._ann, self._ann_rowids
            self._persisted_rows = len(rowids)
            tmp = self.ann_path.with_suffix(".tmp")
            faiss.write_index(index, str(tmp))
            np.save(self.ann_path.with_suffix(".rowids.npy"), rowids)
            tmp.replace(self.ann_path)
            self.ann_path.with_suffix(".json").write_text(json.dumps({"dim": self.dim, "rows": int(len(rowids))}))

    def load_persisted(self) -> bool:
        """Reuse the saved index when it matches the rows held (called after the initial load)."""
        if self.ann_path is None or not self.ann_path.exists():
            return False
        try:
            import faiss

            meta = json.loads(self.ann_path.with_suffix(".json").read_text())
            rowids = np.load(self.ann_path.with_suffix(".rowids.npy"))
            if meta["dim"] != self.dim or len(rowids) != meta["rows"] or not len(rowids):
                return False
            index = faiss.read_index(str(self.ann_path))
            if index.ntotal != len(rowids) or int(rowids[-1]) > self.last_rowid:
                return False
            index.hnsw.efSearch = ANN_EF_SEARCH
        except (OSError, ValueError, KeyError, RuntimeError):
            return False  # a torn or foreign file: rebuild instead
        with self._ann_lock:
            self._ann, self._ann_rowids = index, rowids
            self._persisted_rows = len(rowids)
        self._maybe_build()
        return True

    def drop_persisted(self) -> None:
        if self.ann_path is None:
            return
        for path in (self.ann_path, *(self.ann_path.with_suffix(s) for s in (".json", ".rowids.npy", ".tmp"))):
            path.unlink(missing_ok=True)

    def ann_info(self) -> dict:
        return {
            "threshold": self.ann_threshold,
            "indexed": int(len(self._ann_rowids)),
            "building": bool(self._builder and self._builder.is_alive()),
        }


class _View:
    """What one search sees: the first ``n`` rows and their live mask."""

    def __init__(self, n: int, matrix: np.ndarray, rowids: np.ndarray, mask: np.ndarray) -> None:
        self.n, self.matrix, self.rowids, self.mask = n, matrix, rowids, mask

    def exact(self, query: np.ndarray, k: int, positions: np.ndarray | None):
        if positions is None:
            return _top(self.rowids[: self.n], self.matrix[: self.n] @ query, k)
        if len(positions) == 0:
            return []
        return _top(self.rowids[positions], self.matrix[positions] @ query, k)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _grow(arr: np.ndarray, cap: int) -> np.ndarray:
    out = np.zeros((cap, *arr.shape[1:]), arr.dtype)
    out[: len(arr)] = arr
    return out


def _top(rowids: np.ndarray, scores: np.ndarray, k: int) -> list[tuple[int, float]]:
    if len(scores) > k:
        idx = np.argpartition(-scores, k)[:k]
    else:
        idx = np.arange(len(scores))
    idx = idx[np.argsort(-scores[idx], kind="stable")]
    return list(zip(rowids[idx].tolist(), scores[idx].tolist(), strict=True))
