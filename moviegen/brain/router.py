"""The provider router: one call in, the first provider of the chain that answers, every attempt in the ledger.

Per capability, a chain of providers (``name`` or ``name:model``) from the project's ``[providers]`` in
moviegen.toml, else the settings (``MOVIEGEN_PROVIDERS__TEXT``); providers that are not configured (no key, no
URL) are passed over, and the offline default ends the default chain. For each provider: its circuit breaker
and rate limit, then up to ``router.retries`` retries with backoff (a 429's Retry-After honoured), one repair
attempt for an answer that does not fit, and on failure the next provider. Requests are content-addressed:
the same request is answered from the project's cache and never billed twice. A project's ``budget_usd`` is
checked before a call is sent (the estimate uses the price table in settings when the provider reports no
cost); a call that would pass it is refused with the spend so far.

Every capability goes through it: text, stills, clips, voices, sound effects, music. A render's online steps
call it from the brain's process (ledger, budget and limits in one place); its offline steps run in the
worker processes with ``only=`` the offline provider (no ledger there: they cost nothing).
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from moviegen.brain.ledger import Entry, Ledger
from moviegen.brain.limits import CircuitBreaker, RateLimit
from moviegen.core.errors import (
    BudgetExceededError,
    JobCancelledError,
    MoviegenError,
    ProviderDeadlineError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
    RateLimitedError,
)

RETRIED = (RateLimitedError, ProviderUnavailableError)
REPAIR = ("Your previous answer could not be used ({problem}). Answer again, following the instructions and the "
          "JSON schema exactly, with nothing else.")  # fmt: skip


def _accepted(provider: Any, options: dict[str, Any] | None) -> dict[str, Any]:
    """The ``options`` that ``provider.generate`` takes by name (others are not for it)."""
    if not options:
        return {}
    try:
        params = inspect.signature(provider.generate).parameters
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in options.items() if k in params}


def request_key(capability: str, request: Any) -> str:
    """The content address of a request: the capability and every field but the project."""
    body = request.model_dump(mode="json", exclude={"project_id"})
    return hashlib.sha256(json.dumps([capability, body], sort_keys=True).encode()).hexdigest()


class Router:
    def __init__(self, settings, registry, ledger_of: Callable[[str], Ledger], project_of: Callable[[str], Any],
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.settings = settings
        self.registry = registry
        self.ledger_of = ledger_of
        self.project_of = project_of
        self.sleep = sleep
        self._providers: dict[str, Any] = {}
        self._breakers: dict[str, CircuitBreaker] = {}
        self._limits: dict[str, RateLimit] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the chain
    def chain(self, capability: str, project_id: str = "") -> list[tuple[str, str | None]]:
        """(provider, model) in order, configured providers only; the project's chain over the settings'."""
        names = list(getattr(self.settings.providers, capability))
        if project_id:
            names = list(self.project_of(project_id).info.providers.get(capability) or names)
        out = []
        for entry in names:
            name, _, model = entry.partition(":")
            spec = self.registry.get(capability, name)
            if all(getattr(self.settings, need, None) for need in spec.needs):
                out.append((name, model or None))
        return out

    def provider(self, capability: str, name: str, model: str | None) -> Any:
        key = f"{capability}:{name}:{model or ''}"
        with self._lock:
            if key not in self._providers:
                self._providers[key] = self.registry.get(capability, name).make(self.settings, model)
                r = self.settings.router
                self._breakers.setdefault(name, CircuitBreaker(r.breaker_failures, r.breaker_cooldown))
                self._limits.setdefault(name, RateLimit(r.rpm, r.provider_concurrency.get(name, r.concurrency)))
            return self._providers[key]

    def limit(self, name: str) -> RateLimit | None:
        return self._limits.get(name)

    # ------------------------------------------------------------------ a call
    def call(self, capability: str, request: Any, result_type: type, *, job: str = "",
             check: Callable[[Any], None] | None = None, on_text: Callable[[str], None] | None = None,
             only: str | None = None, cache: bool = True, options: dict[str, Any] | None = None,
             stage: str = "") -> Any:  # fmt: skip
        """The first answer of the chain. ``check`` raises ProviderResponseError for an answer the caller cannot
        use (it is repaired once, then the next provider is tried; a failing answer is never cached);
        ``on_text`` receives the answer as it streams, from providers that stream (others: once, whole).
        ``only`` restricts the chain to one provider (a render step the coordinator assigned to it);
        ``cache=False`` keeps the answer out of the provider cache (media: the render's index holds the asset,
        megabytes are not kept twice); ``options`` go to providers whose ``generate`` takes them (FAL's
        ``on_progress`` and ``cancel``)."""
        project_id = getattr(request, "project_id", "") or ""
        ledger = self.ledger_of(project_id) if project_id else None
        key = request_key(capability, request)
        stage = stage or getattr(request, "task", "") or capability
        if cache and ledger is not None and (hit := ledger.cached(key)) is not None:
            ledger.record(Entry(capability, hit["provider"], hit["model"], key, "cached", stage=stage, job=job))
            result = result_type.model_validate(hit["result"])
            if on_text is not None:
                on_text(result.text)
            return result
        failures: list[str] = []
        chain = self.chain(capability, project_id)
        if only is not None:
            chain = [(n, m) for n, m in chain if n == only] or (
                [(only, None)] if self._usable(capability, only) else []
            )
        for name, model in chain:
            provider = self.provider(capability, name, model)
            if not self._breakers[name].allow():
                failures.append(f"{name}: circuit open after repeated failures")
                continue
            offline = self.registry.get(capability, name).offline
            try:
                if ledger is not None and not offline:
                    self._check_budget(project_id, ledger, key, capability, name, model, request, stage, job)
            except BudgetExceededError as exc:
                if capability == "text":
                    raise  # a story stage waits for the budget; a picture or a voice falls back to an offline one
                failures.append(f"{name}: {exc.message}")
                continue
            try:
                result = self._attempts(capability, name, model or "", provider, request, ledger, key, stage, job,
                                        check, on_text, offline, options)  # fmt: skip
            except ProviderError as exc:
                failures.append(f"{name}: {exc.message}")
                continue
            if cache and ledger is not None and not offline:
                ledger.keep(
                    key, result.provider, getattr(result, "model", "") or model or "", result.model_dump(mode="json")
                )
            return result
        raise ProviderError(
            f"no {capability} provider could answer ({'; '.join(failures) or 'none is configured'})",
            f"check the providers' keys and URLs ('moviegen status'), or put an offline one in the chain "
            f"(MOVIEGEN_PROVIDERS__{capability.upper()})",
        )

    def _usable(self, capability: str, name: str) -> bool:
        try:
            spec = self.registry.get(capability, name)
        except ProviderError:
            return False
        return all(getattr(self.settings, need, None) for need in spec.needs)

    def _attempts(self, capability, name, model, provider, request, ledger, key, stage, job, check=None,
                  on_text=None, offline=False, options=None):  # fmt: skip
        r = self.settings.router
        repaired = False
        attempt = 0
        extra = _accepted(provider, options)
        while True:
            started = time.perf_counter()
            charged = 0.0  # what an answer that failed ``check`` cost: the provider was paid for it
            try:
                # an offline provider runs on this machine's cores: no provider's rate limit applies to it
                with contextlib.nullcontext() if offline else self._limits[name].slot():
                    if on_text is not None and hasattr(provider, "stream"):
                        result = provider.stream(request, on_text)
                    else:
                        result = provider.generate(request, **extra)
                        if on_text is not None:
                            on_text(result.text)
                if check is not None:
                    charged = self._cost(name, model, getattr(result, "usage", None))
                    check(result)
            except MoviegenError as exc:
                latency = (time.perf_counter() - started) * 1000
                status = {RateLimitedError: "rate_limited", ProviderUnavailableError: "timeout",
                          ProviderDeadlineError: "timeout", JobCancelledError: "cancelled"}.get(type(exc), "failed")  # fmt: skip
                if ledger is not None:
                    ledger.record(Entry(capability, name, model, key, status, latency, cost_usd=charged, stage=stage,
                                        job=job, error=exc.message))  # fmt: skip
                if isinstance(exc, JobCancelledError):
                    raise  # the caller stopped: no retry, no fallback
                self._breakers[name].failure()
                if isinstance(exc, ProviderResponseError) and not repaired:
                    repaired = True  # a language model is told what was wrong; a media request is sent again
                    if capability == "text":
                        request = request.model_copy(update={"prompt": f"{request.prompt}\n\n"
                                                             + REPAIR.format(problem=exc.message[:300])})  # fmt: skip
                    continue
                if isinstance(exc, RETRIED) and attempt < r.retries:
                    wait = min(r.max_backoff, r.backoff * 2**attempt)
                    if isinstance(exc, RateLimitedError) and exc.retry_after is not None:
                        wait = min(r.max_backoff, max(wait, exc.retry_after))
                    attempt += 1
                    self.sleep(wait)
                    continue
                if isinstance(exc, ProviderError):
                    raise
                raise ProviderError(exc.message, exc.hint) from None  # e.g. a task this provider cannot do
            latency = (time.perf_counter() - started) * 1000
            self._breakers[name].success()
            if ledger is not None:
                usage = getattr(result, "usage", None)
                units = usage.model_dump(exclude={"cost_usd"}, exclude_defaults=True) if usage is not None else {}
                cost = self._cost(name, model, usage)
                ledger.record(Entry(capability, name, getattr(result, "model", "") or model, key, "ok", latency,
                                    units, cost, stage, job))  # fmt: skip
            return result

    # ------------------------------------------------------------------ money
    def price(self, name: str, model: str | None):
        prices = self.settings.prices
        return prices.get(f"{name}:{model}") or prices.get(name)

    def _cost(self, name: str, model: str | None, usage) -> float:
        if usage is None:
            return 0.0
        if usage.cost_usd is not None:
            return float(usage.cost_usd)
        p = self.price(name, model)
        if p is None:
            return 0.0
        return (usage.input_tokens * p.input_per_mtok + usage.output_tokens * p.output_per_mtok) / 1e6 + \
            usage.images * p.per_image + usage.seconds * p.per_second + usage.characters * p.per_kchar / 1000  # fmt: skip

    def estimate(self, name: str, model: str | None, request: Any) -> float:
        """What a call would cost at most, from the price table (0 when the provider has no price): a text
        call by its tokens, a still per image, a clip or sound per second, speech per thousand characters."""
        p = self.price(name, model)
        if p is None:
            return 0.0
        kind = type(request).__name__
        if kind in ("ImageRequest", "Model3DRequest"):
            return p.per_image
        if kind in ("VideoRequest", "SoundRequest"):
            return p.per_second * (getattr(request, "duration", None) or 10.0)
        if kind == "SpeechRequest":
            return p.per_kchar * len(request.text) / 1000
        text = f"{getattr(request, 'system', '')}{getattr(request, 'prompt', '')}"
        tokens_in = len(text) / 4
        tokens_out = getattr(request, "max_tokens", None) or 4096
        return (tokens_in * p.input_per_mtok + tokens_out * p.output_per_mtok) / 1e6

    def _check_budget(self, project_id, ledger, key, capability, name, model, request, stage, job) -> None:
        budget = self.project_of(project_id).info.budget_usd
        if budget is None:
            return
        spent = ledger.spent()
        estimate = self.estimate(name, model, request)
        if spent + estimate > budget:
            ledger.record(Entry(capability, name, model or "", key, "refused", stage=stage, job=job,
                                error=f"budget {budget:.2f} USD, spent {spent:.4f}, this call up to {estimate:.4f}"))  # fmt: skip
            raise BudgetExceededError(
                f"{project_id} has spent {spent:.2f} of its {budget:.2f} USD budget; this {capability} call "
                f"({name}) could cost up to {estimate:.4f} USD, so it was not sent",
                "raise budget_usd in the project's moviegen.toml, or use an offline provider",
            )
