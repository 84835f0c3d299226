"""What every embedder is: a name, a dimension, and texts → unit vectors."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from moviegen.core.errors import UsageError

MAX_TEXT_CHARS = 1_000_000  # one document; a 10 MB paste is refused, not embedded


@runtime_checkable
class Embedder(Protocol):
    name: str  # recorded with a project's vectors: 'static-minilm-256', 'jina-embeddings-v4'
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row unit length: documents."""
        ...

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Like ``embed`` for search queries (asymmetric models embed them differently)."""
        ...


def check_texts(texts: list[str]) -> None:
    if not texts:
        raise UsageError("nothing to embed", "pass at least one text")
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise UsageError(f"text {i + 1} is empty", "embed text that has words in it")
        if len(text) > MAX_TEXT_CHARS:
            raise UsageError(
                f"text {i + 1} is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}",
                "split long documents into chapters or scenes before storing them",
            )


def normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms
