"""A local stand-in for Jina's embeddings API, over real HTTP on 127.0.0.1.

It follows the documented shapes: POST /v1/embeddings with a Bearer key and
{"model", "task", "dimensions", "normalized", "embedding_type", "input"}, answering
{"model", "object": "list", "usage": {"total_tokens", "prompt_tokens"},
"data": [{"object": "embedding", "index", "embedding"}]}; errors as
{"detail": ...} with 401, 422 or 429. Vectors are deterministic per (text, task)
so tests can reason about them; 'failures' scripts status codes or delays.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

KEY = "jina_test_key_0123456789"
MODELS = {"jina-embeddings-v4": 2048, "jina-embeddings-v3": 1024}
TASKS = {"retrieval.query", "retrieval.passage", "text-matching", "code.query", "code.passage"}


def vector_for(text: str, task: str, dim: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(f"{task}\0{text}".encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(dim)
    return (v / np.linalg.norm(v)).tolist()


class FakeJina:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.failures: list[int | float] = []  # status codes to answer with, or seconds to stall, in order
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                outer.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/embeddings"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeJina:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, req: BaseHTTPRequestHandler) -> None:
        def answer(status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            req.send_response(status)
            req.send_header("Content-Type", "application/json")
            req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.write(body)

        raw = req.rfile.read(int(req.headers.get("Content-Length", 0)))
        if req.path != "/v1/embeddings":
            return answer(404, {"detail": "Not Found"})
        auth = req.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return answer(401, {"detail": "AUTH_MISSING_API_KEY: Authentication required"})
        if auth != f"Bearer {KEY}":
            return answer(401, {"detail": "AUTH_INVALID_API_KEY: Invalid API key"})
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, float):
                time.sleep(failure)
            else:
                return answer(failure, {"detail": "scripted failure"})
        try:
            body = json.loads(raw)
        except ValueError:
            return answer(422, {"detail": "body is not JSON"})
        self.requests.append(body)
        model, task = body.get("model"), body.get("task")
        if model not in MODELS:
            return answer(400, {"detail": f"INPUT_MODEL_NOT_FOUND: Model '{model}' not found"})
        if task is not None and task not in TASKS:
            return answer(422, {"detail": f"invalid task '{task}'"})
        dim = body.get("dimensions") or MODELS[model]
        if not 128 <= dim <= MODELS[model]:
            return answer(422, {"detail": f"dimensions must be between 128 and {MODELS[model]}"})
        inputs = body.get("input")
        if not isinstance(inputs, list) or not inputs:
            return answer(422, {"detail": "input must be a non-empty list"})
        texts = []
        for item in inputs:
            text = item.get("text") if isinstance(item, dict) else item if isinstance(item, str) else None
            if not isinstance(text, str):
                return answer(422, {"detail": "each input must be a string or {'text': ...}"})
            texts.append(text)
        tokens = sum(len(t.split()) + 1 for t in texts)
        answer(
            200,
            {
                "model": model,
                "object": "list",
                "usage": {"total_tokens": tokens, "prompt_tokens": tokens},
                "data": [
                    {"object": "embedding", "index": i, "embedding": vector_for(t, task or "", dim)}
                    for i, t in enumerate(texts)
                ],
            },
        )
