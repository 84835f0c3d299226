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
import threading
from pathlib import Path

import numpy as np

from moviegen.core.errors import KnowledgeError

ANN_THRESHOLD = 20_000  # rows; exact search costs ~2 ms here (benchmarks/knowledge.py)
ANN_M = 32
ANN_EF_CONSTRUCTION = 80
ANN_EF_SEARCH = 128
_FOLD_EVERY = 5_000  # tail rows before the background thread adds them to the index


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
        self._lock = threading.RLock()
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
        with self._lock:
            n = self.n
            if n == 0:
                return []
            mask = self.alive[:n].copy()
            if kinds:
                codes = [self.kind_codes[c] for c in kinds if c in self.kind_codes]
                mask &= np.isin(self.kinds[:n], codes)
            if allowed is not None:
                mask &= np.isin(self.rowids[:n], allowed, assume_unique=True)
                return self._exact(query, k, np.flatnonzero(mask))
            if self._ann is not None and not kinds:
                return self._ann_search(query, k, mask)
            if mask.all():
                return self._exact(query, k, None)
            return self._exact(query, k, np.flatnonzero(mask))

    def _exact(self, query: np.ndarray, k: int, positions: np.ndarray | None):
        if positions is None:
            scores = self.matrix[: self.n] @ query
            rowids = self.rowids[: self.n]
        else:
            if len(positions) == 0:
                return []
            scores = self.matrix[positions] @ query
            rowids = self.rowids[positions]
        return _top(rowids, scores, k)

    def _ann_search(self, query: np.ndarray, k: int, mask: np.ndarray):
        covered = len(self._ann_rowids)
        fetch = min(covered, k + 16 + int((~mask).sum() > 0) * k)
        scores, labels = self._ann.search(query[None], fetch)
        labels = labels[0]
        ok = labels >= 0
        ann_rowids = self._ann_rowids[labels[ok]]
        ann_scores = scores[0][ok]
        pos = np.searchsorted(self.rowids[: self.n], ann_rowids)
        pos = np.minimum(pos, self.n - 1)
        live = (self.rowids[pos] == ann_rowids) & mask[pos]
        results = list(zip(ann_rowids[live].tolist(), ann_scores[live].tolist(), strict=True))
        tail = int(np.searchsorted(self.rowids[: self.n], self._ann_rowids[-1], side="right")) if covered else 0
        if tail < self.n:
            positions = tail + np.flatnonzero(mask[tail:])
            results += self._exact(query, k, positions)
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

    def _build(self) -> None:
        import faiss

        with self._lock:
            n = self.n
            start = len(self._ann_rowids)
            index = self._ann
            rows = self.matrix[start:n].copy()
            rowids = self.rowids[start:n].copy()
        if index is None:  # first build: off the lock (faiss releases the GIL), searches stay exact meanwhile
            index = faiss.IndexHNSWFlat(self.dim, ANN_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ANN_EF_CONSTRUCTION
            index.hnsw.efSearch = ANN_EF_SEARCH
            index.add(rows)
            with self._lock:
                self._ann, self._ann_rowids = index, rowids
        else:  # folding the tail into the live index: small chunks under the lock, so searches wait little
            for at in range(0, len(rows), 500):
                with self._lock:
                    index.add(rows[at : at + 500])
                    self._ann_rowids = np.concatenate([self._ann_rowids, rowids[at : at + 500]])
        self._persist()

    def _persist(self) -> None:
        if self.ann_path is None:
            return
        import faiss

        with self._lock:
            index, rowids = self._ann, self._ann_rowids
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
        with self._lock:
            self._ann, self._ann_rowids = index, rowids
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
