"""Jina embeddings (jina-embeddings-v4) over Jina's HTTP API.

POST {url} with ``Authorization: Bearer $JINA_API_KEY`` and
``{"model", "task", "dimensions", "normalized", "embedding_type", "input": [{"text": ...}]}``;
the answer is ``{"data": [{"index", "embedding"}], "usage": {"total_tokens"}}``.
Documents are embedded with the ``retrieval.passage`` adapter, queries with
``retrieval.query``. The key is only read here and never logged.
"""

from __future__ import annotations

import time

import httpx
import numpy as np

from moviegen.brain.embedding.base import check_texts, normalize
from moviegen.core.errors import ProviderError

DEFAULT_URL = "https://api.jina.ai/v1/embeddings"
BATCH = 128
RETRIES = 3


class JinaEmbedder:
    def __init__(
        self,
        api_key: str,
        *,
        model: str = "jina-embeddings-v4",
        dim: int = 1024,
        url: str = DEFAULT_URL,
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        if not api_key:
            raise ProviderError("the Jina embedder needs an API key", "set JINA_API_KEY, or unset it to embed offline")
        self.model = model
        self.dim = dim
        self.name = f"jina-{model}-{dim}"
        self.url = url
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._client = client or httpx.Client(timeout=timeout)
        self.tokens_used = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "retrieval.passage")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "retrieval.query")

    def _embed(self, texts: list[str], task: str) -> np.ndarray:
        check_texts(texts)
        out = [self._request(texts[at : at + BATCH], task) for at in range(0, len(texts), BATCH)]
        return normalize(np.concatenate(out))

    def _request(self, texts: list[str], task: str) -> np.ndarray:
        body = {
            "model": self.model,
            "task": task,
            "dimensions": self.dim,
            "normalized": True,
            "embedding_type": "float",
            "input": [{"text": t} for t in texts],
        }
        delay = 0.5
        for attempt in range(RETRIES + 1):
            try:
                response = self._client.post(self.url, json=body, headers=self._headers)
            except httpx.TimeoutException:
                if attempt == RETRIES:
                    raise ProviderError("Jina did not answer in time", "check the network, or try again") from None
            except httpx.HTTPError as exc:
                raise ProviderError(f"could not reach Jina at {self.url}: {type(exc).__name__}") from None
            else:
                if response.status_code == 200:
                    return self._parse(response, len(texts))
                if response.status_code not in (429, 500, 502, 503, 504) or attempt == RETRIES:
                    raise ProviderError(*_explain(response))
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    def _parse(self, response: httpx.Response, expected: int) -> np.ndarray:
        try:
            payload = response.json()
            rows = sorted(payload["data"], key=lambda d: d["index"])
            vectors = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
            self.tokens_used += int(payload.get("usage", {}).get("total_tokens", 0))
        except (ValueError, KeyError, TypeError):
            raise ProviderError(
                "Jina sent an answer moviegen cannot read", "try again; report it if it persists"
            ) from None
        if vectors.shape != (expected, self.dim):
            raise ProviderError(f"Jina returned {vectors.shape} vectors for {expected} texts of {self.dim} dimensions")
        if not np.isfinite(vectors).all():
            raise ProviderError("Jina returned vectors with NaN or infinity")
        return vectors


def _explain(response: httpx.Response) -> tuple[str, str]:
    try:
        detail = response.json().get("detail", "")
    except ValueError:
        detail = ""
    detail = str(detail)[:200]
    status = response.status_code
    if status == 401:
        return "Jina refused the API key (401)", "check JINA_API_KEY"
    if status == 402 or status == 403:
        return f"Jina refused the request ({status}): {detail}", "check the account's balance and limits"
    if status == 429:
        return "Jina's rate limit was reached (429)", "wait a minute, or raise the plan's limits"
    return f"Jina answered {status}: {detail}", "check the model name and dimensions (MOVIEGEN_JINA__*)"
