"""Any server that speaks OpenAI's chat-completions API: Ollama, llama.cpp's ``llama-server``, vLLM,
LM Studio, or a hosted service with the same API.

What it is depends on the server: a local model on your own machine is private and free; a hosted one is
whatever that service is. ``OPENAI_COMPAT_BASE_URL`` is required and includes the API's version path
(Ollama ``http://localhost:11434/v1``, llama.cpp ``http://localhost:8080/v1``, vLLM
``http://localhost:8000/v1``, LM Studio ``http://localhost:1234/v1``); ``OPENAI_COMPAT_MODEL`` (or a chain
entry ``openai-compat:<model>``) is required; ``OPENAI_COMPAT_API_KEY`` is optional (no Authorization header
without it). The wire format is ``chat_api.py``'s; local servers do not report a cost, so the ledger prices
the tokens from the ``prices`` settings (or counts them as free).
"""

from __future__ import annotations

from typing import Any

from moviegen.brain.providers.chat_provider import ChatProvider
from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.errors import ProviderError

NAME = "openai-compat"


class OpenAICompat(ChatProvider):
    def __init__(self, settings: Any, model: str | None = None, *, client: Any = None) -> None:
        from moviegen.brain.providers.chat_api import ChatAPI  # httpx loads with the provider, not the registry

        base_url = (settings.openai_compat_base_url or "").strip()
        if not base_url:
            raise ProviderError(
                "the OpenAI-compatible provider has no server to talk to",
                "set OPENAI_COMPAT_BASE_URL, e.g. http://localhost:11434/v1 for Ollama",
            )
        model = (model or settings.openai_compat_model or "").strip()
        if not model:
            raise ProviderError("the OpenAI-compatible provider has no model", "set OPENAI_COMPAT_MODEL, e.g. llama3.2")
        key = settings.openai_compat_api_key.get_secret_value() if settings.openai_compat_api_key else None
        self.api = ChatAPI(
            NAME,
            base_url=base_url,
            model=model,
            api_key=key or None,
            key_env="OPENAI_COMPAT_API_KEY",
            model_env="OPENAI_COMPAT_MODEL",
            timeout=settings.router.timeout,
            client=client,
        )

    def __repr__(self) -> str:
        return f"OpenAICompat(url={self.api.url!r}, model={self.api.model!r})"


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(
            NAME,
            "text",
            OpenAICompat,
            offline=False,
            description="any OpenAI-compatible server: Ollama, llama.cpp, vLLM, LM Studio (needs OPENAI_COMPAT_BASE_URL)",
            configurable=True,
            needs=("openai_compat_base_url",),  # the model may come from the chain entry instead
        )
    )
