"""The Jina embedder against a local server that speaks Jina's documented API over real HTTP."""

from __future__ import annotations

import numpy as np
import pytest

from moviegen.brain.embedding.jina import JinaEmbedder
from moviegen.brain.embedding.static import static_embedder
from moviegen.brain.knowledge.sqlite_store import SqliteKnowledge
from moviegen.core.errors import KnowledgeError, ProviderError
from moviegen.core.knowledge import DocumentIn
from tests.fakes.jina_server import KEY, FakeJina, vector_for


@pytest.fixture
def jina():
    with FakeJina() as server:
        yield server


def test_documents_and_queries_use_their_adapters_and_the_documented_shapes(jina):
    emb = JinaEmbedder(KEY, dim=512, url=jina.url)
    docs = emb.embed(["Mara lights the lantern.", "The ferry sinks."])
    query = emb.embed_queries(["who lights the lantern?"])
    assert docs.shape == (2, 512) and query.shape == (1, 512)
    assert np.allclose(docs[1], vector_for("The ferry sinks.", "retrieval.passage", 512), atol=1e-6)
    first, second = jina.requests
    assert first == {
        "model": "jina-embeddings-v4",
        "task": "retrieval.passage",
        "dimensions": 512,
        "normalized": True,
        "embedding_type": "float",
        "input": [{"text": "Mara lights the lantern."}, {"text": "The ferry sinks."}],
    }
    assert second["task"] == "retrieval.query"
    assert emb.tokens_used > 0 and emb.name == "jina-jina-embeddings-v4-512"


def test_large_batches_are_split(jina):
    JinaEmbedder(KEY, dim=128, url=jina.url).embed([f"line {i}" for i in range(300)])
    assert [len(r["input"]) for r in jina.requests] == [128, 128, 44]


def test_a_wrong_key_is_one_clear_error_and_the_key_never_shows(jina):
    with pytest.raises(ProviderError) as info:
        JinaEmbedder("jina_wrong_secret", url=jina.url).embed(["hello"])
    assert "refused the API key" in info.value.message and "JINA_API_KEY" in info.value.hint
    assert "jina_wrong_secret" not in str(info.value) + info.value.hint


def test_rate_limits_and_server_errors_are_retried(jina):
    jina.failures = [429, 503]
    assert JinaEmbedder(KEY, dim=128, url=jina.url).embed(["hello"]).shape == (1, 128)


def test_a_timeout_is_reported_not_hung(jina, monkeypatch):
    monkeypatch.setattr("moviegen.brain.embedding.jina.RETRIES", 0)
    jina.failures = [1.0]
    with pytest.raises(ProviderError, match="did not answer in time"):
        JinaEmbedder(KEY, dim=128, url=jina.url, timeout=0.2).embed(["hello"])


def test_bad_requests_say_what_jina_said(jina):
    with pytest.raises(ProviderError, match="INPUT_MODEL_NOT_FOUND"):
        JinaEmbedder(KEY, model="jina-embeddings-v9", url=jina.url).embed(["hello"])
    with pytest.raises(ProviderError, match="could not reach Jina"):
        JinaEmbedder(KEY, url="http://127.0.0.1:9/v1/embeddings").embed(["hello"])


def test_a_project_never_mixes_embedders_and_re_embeds_on_request(tmp_path, jina):
    offline = SqliteKnowledge(tmp_path / "k.sqlite", "p", static_embedder())
    offline.bulk_store_documents([DocumentIn(id=f"d{i}", text=f"scene {i}: rain on the lamp") for i in range(5)])
    offline.close()
    online = SqliteKnowledge(tmp_path / "k.sqlite", "p", JinaEmbedder(KEY, dim=256, url=jina.url))
    try:
        with pytest.raises(KnowledgeError, match="made by static-minilm-256"):
            online.store_document(DocumentIn(text="hello"))
        with pytest.raises(KnowledgeError, match="made by static-minilm-256"):
            online.search("rain")
        assert online.reembed() == 5
        info = online.info()
        assert (info.embedder, info.dim) == ("jina-jina-embeddings-v4-256", 256)
        assert online.search("scene 3: rain on the lamp", 1, mode="vector")[0].id in {f"d{i}" for i in range(5)}
    finally:
        online.close()


def test_auto_keeps_the_projects_embedder_and_says_what_to_do_without_its_key(tmp_path, jina):
    from moviegen.brain.knowledge.open import choose_embedder
    from moviegen.core.settings import Settings

    assert choose_embedder(Settings(), None).name == "static-minilm-256"
    keyed = Settings(jina_api_key=KEY, jina={"url": jina.url, "dim": 256})
    assert choose_embedder(keyed, None).name == "jina-jina-embeddings-v4-256"
    assert choose_embedder(keyed, "static-minilm-256").name == "static-minilm-256"
    assert choose_embedder(keyed, "static-minilm-256", fresh=True).name.startswith("jina-")
    with pytest.raises(KnowledgeError, match="JINA_API_KEY is not set") as info:
        choose_embedder(Settings(), "jina-jina-embeddings-v4-256")
    assert "reindex --re-embed" in info.value.hint
