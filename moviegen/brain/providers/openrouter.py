"""OpenRouter: hundreds of hosted language models behind one OpenAI-style API (https://openrouter.ai/docs).

A real, paid, online provider: needs ``OPENROUTER_API_KEY``; sends the prompt to OpenRouter and to whichever
upstream company serves the model. ``OPENROUTER_MODEL`` (or a chain entry ``openrouter:<model>``) names the
model; a comma-separated list (``openai/gpt-4o-mini,anthropic/claude-3.5-haiku``) also goes out as
OpenRouter's ``models`` fallback list, so OpenRouter itself moves to the next model when one is down,
rate-limited or refuses, and the result names the model that answered (the one that is billed).

What it adds to the chat-completions wire format (``chat_api.py``): the ``models`` list; ``usage:
{"include": true}`` (OpenRouter's usage accounting — its docs now say usage and ``cost`` come back on every
response and the flag is kept only for compatibility; sending it costs nothing); and the app attribution
headers ``HTTP-Referer`` and ``X-Title`` (``X-OpenRouter-Title`` is the current name of the latter, sent
too). The reported ``usage.cost`` is in credits, which are US dollars, and becomes ``Usage.cost_usd``.
"""

from __future__ import annotations

from typing import Any

from moviegen.brain.providers.chat_provider import ChatProvider
from moviegen.brain.providers.registry import ProviderSpec, Registry
from moviegen.core.errors import ProviderAuthError, ProviderError

NAME = "openrouter"
APP_URL = "http://localhost/moviegen"  # moviegen has no public site; OpenRouter tracks localhost apps by title
APP_TITLE = "moviegen"


def models_from(value: str | None) -> list[str]:
    """'a/x, b/y' -> ['a/x', 'b/y'] (empty entries dropped)."""
    return [m.strip() for m in (value or "").split(",") if m.strip()]


class OpenRouter(ChatProvider):
    def __init__(self, settings: Any, model: str | None = None, *, client: Any = None) -> None:
        from moviegen.brain.providers.chat_api import ChatAPI  # httpx loads with the provider, not the registry

        if settings.openrouter_api_key is None or not settings.openrouter_api_key.get_secret_value():
            raise ProviderAuthError(
                "OpenRouter needs an API key", "set OPENROUTER_API_KEY (https://openrouter.ai/keys)"
            )
        models = models_from(model) or models_from(settings.openrouter_model)
        if not models:
            raise ProviderError("no OpenRouter model is configured", "set OPENROUTER_MODEL, e.g. openai/gpt-4o-mini")
        extra: dict[str, Any] = {"usage": {"include": True}}
        if len(models) > 1:
            extra["models"] = models
        self.models = models
        self.api = ChatAPI(
            NAME,
            base_url=settings.openrouter_base_url,
            model=models[0],
            api_key=settings.openrouter_api_key.get_secret_value(),
            key_env="OPENROUTER_API_KEY",
            model_env="OPENROUTER_MODEL",
            timeout=settings.router.timeout,
            headers={"HTTP-Referer": APP_URL, "X-Title": APP_TITLE, "X-OpenRouter-Title": APP_TITLE},
            extra_body=extra,
            client=client,
        )

    def __repr__(self) -> str:
        return f"OpenRouter(models={self.models!r})"


def register(registry: Registry) -> None:
    registry.add(
        ProviderSpec(
            NAME,
            "text",
            OpenRouter,
            offline=False,
            description="language models through OpenRouter (online, paid; needs OPENROUTER_API_KEY)",
            configurable=True,
            needs=("openrouter_api_key",),
        )
    )
