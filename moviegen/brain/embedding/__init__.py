"""Text embedders: the offline static model distilled from MiniLM, and Jina over HTTP.

They join the provider registry like every other provider (capability ``embedding``); an embedding
provider's factory takes the settings, since Jina needs its key and model."""

from __future__ import annotations


def _static(settings, model=None):
    from moviegen.brain.embedding.static import static_embedder

    return static_embedder()


def _jina(settings, model=None):
    from moviegen.brain.embedding.jina import JinaEmbedder
    from moviegen.core.errors import KnowledgeError

    if settings.jina_api_key is None:
        raise KnowledgeError("the Jina embedder needs JINA_API_KEY", "set it, or use the offline embedder")
    j = settings.jina
    return JinaEmbedder(settings.jina_api_key.get_secret_value(), model=j.model, dim=j.dim, url=j.url,
                        timeout=j.timeout)  # fmt: skip


def register(registry) -> None:
    from moviegen.brain.providers.registry import ProviderSpec

    registry.add(
        ProviderSpec(
            "static-minilm",
            "embedding",
            _static,
            offline=True,
            description="static token table distilled from all-MiniLM-L6-v2 (offline, 256 dims)",
            configurable=True,
        )
    )
    registry.add(ProviderSpec("jina", "embedding", _jina, offline=False,
                              description="Jina embeddings over HTTP (needs JINA_API_KEY)", configurable=True))  # fmt: skip
