"""OpenRouter and OpenAI-compatible text providers against a local server that speaks the documented
chat-completions API over real HTTP (tests/fakes/openai_server.py), faults included."""

from __future__ import annotations

import email.utils
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Literal

import pytest
from pydantic import BaseModel

from moviegen.brain.providers.chat_api import schema_problem
from moviegen.brain.providers.openai_compat import OpenAICompat
from moviegen.brain.providers.openrouter import OpenRouter
from moviegen.core.brain import TextRequest, TextResult, Usage
from moviegen.core.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
    RateLimitedError,
)
from moviegen.core.settings import Settings
from tests.fakes.openai_server import (
    KEY,
    PRICE_IN,
    PRICE_OUT,
    Drop,
    FakeChat,
    Malformed,
    SchemaInvalid,
    Stall,
    Status,
    StreamError,
)


class Scene(BaseModel):
    title: str
    beats: list[str]
    mood: Literal["tense", "warm"]


class Outline(BaseModel):
    logline: str
    scenes: list[Scene]
    runtime: int | None = None


SCHEMA = Outline.model_json_schema()  # $defs, $ref, anyOf, enum, required: what the brain will send
OUTLINE = {"logline": "A keeper relights the lamp.", "scenes": [{"title": "Dusk", "beats": ["rain"], "mood": "warm"}],
           "runtime": None}  # fmt: skip


@pytest.fixture
def router_fake():
    with FakeChat(openrouter=True) as server:
        yield server


@pytest.fixture
def local_fake():
    with FakeChat() as server:
        yield server


@pytest.fixture
def make():
    """make('openrouter' | 'compat', server, model=None, timeout=5, **settings) -> a provider, closed afterwards."""
    made = []

    def _make(kind, server, model=None, timeout=5.0, **settings):
        if kind == "openrouter":
            base = {"openrouter_api_key": KEY, "openrouter_base_url": server.base_url}
            cls = OpenRouter
        else:
            base = {"openai_compat_base_url": server.base_url, "openai_compat_api_key": KEY,
                    "openai_compat_model": "llama3.2"}  # fmt: skip
            cls = OpenAICompat
        provider = cls(Settings(**{**base, **settings}, router={"timeout": timeout}), model)
        made.append(provider)
        return provider

    yield _make
    for provider in made:
        provider.close()


def ask(**kw) -> TextRequest:
    return TextRequest(**{"task": "story.outline", "prompt": "Outline a film about a lighthouse.", **kw})


def call(provider, request, stream):
    pieces: list[str] = []
    result = provider.stream(request, pieces.append) if stream else provider.generate(request)
    return result, pieces


# ---------------------------------------------------------------------- the wire format
def test_a_request_goes_out_in_the_documented_shape_and_the_answer_comes_back(local_fake, make):
    request = ask(system="You are a story editor.", max_tokens=50, temperature=0.2, seed=3, params={"premise": "x"})
    result = make("compat", local_fake).generate(request)
    (sent,) = local_fake.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {KEY}" and sent.headers["content-type"] == "application/json"
    assert sent.body == {
        "model": "llama3.2",
        "messages": [
            {"role": "system", "content": "You are a story editor."},
            {"role": "user", "content": "Outline a film about a lighthouse."},
        ],
        "max_tokens": 50,
        "temperature": 0.2,
        "seed": 3,
    }
    assert result == TextResult(
        text="Echo: Outline a film about a lighthouse.",
        provider="openai-compat",
        model="llama3.2",
        usage=Usage(input_tokens=11, output_tokens=7, cost_usd=None),
    )


def test_without_a_system_message_or_limits_only_the_user_message_and_seed_go(local_fake, make):
    make("compat", local_fake).generate(ask())
    assert local_fake.requests[0].body == {
        "model": "llama3.2",
        "messages": [{"role": "user", "content": "Outline a film about a lighthouse."}],
        "seed": 7,
    }


def test_streaming_hands_over_text_as_it_arrives_and_returns_the_whole_answer(local_fake, make):
    local_fake.faults = [Stall(0.6, after=3)]  # role, 'Echo:', ' Outline' arrive; then the server pauses
    arrived: list[tuple[float, str]] = []
    start = time.monotonic()
    result = make("compat", local_fake).stream(ask(), lambda piece: arrived.append((time.monotonic() - start, piece)))
    body = local_fake.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert [p for _, p in arrived] == ["Echo:", " Outline", " a", " film", " about", " a", " lighthouse."]
    assert arrived[1][0] < 0.5 <= 0.6 <= arrived[2][0] + 0.05  # the first pieces came before the pause
    assert "".join(p for _, p in arrived) == result.text == "Echo: Outline a film about a lighthouse."
    assert (result.provider, result.model) == ("openai-compat", "llama3.2")
    assert result.usage == Usage(input_tokens=6, output_tokens=7, cost_usd=None)


@pytest.mark.parametrize("stream", [False, True])
def test_openrouter_sends_its_fallback_list_headers_and_usage_accounting_and_reports_cost(router_fake, make, stream):
    router_fake.unavailable_models = {"vendor/primary"}
    provider = make("openrouter", router_fake, openrouter_model="vendor/primary, vendor/backup")
    result, pieces = call(provider, ask(), stream)
    (sent,) = router_fake.requests
    assert sent.path == "/api/v1/chat/completions"
    assert sent.body["model"] == "vendor/primary"
    assert sent.body["models"] == ["vendor/primary", "vendor/backup"]
    assert sent.body["usage"] == {"include": True}
    assert sent.headers["http-referer"] and sent.headers["x-title"] == "moviegen"
    assert (result.provider, result.model) == ("openrouter", "vendor/backup")  # the model that answered
    assert result.usage.input_tokens == 6 and result.usage.output_tokens == 7
    assert result.usage.cost_usd == pytest.approx(6 * PRICE_IN + 7 * PRICE_OUT)
    assert "".join(pieces) == (result.text if stream else "")


def test_one_openrouter_model_sends_no_models_list_and_a_chain_entry_wins(router_fake, make):
    result = make("openrouter", router_fake, "vendor/chosen", openrouter_model="a/x,b/y").generate(ask())
    assert router_fake.requests[0].body["model"] == "vendor/chosen" and "models" not in router_fake.requests[0].body
    assert result.model == "vendor/chosen"


def test_the_environment_configures_both_providers(router_fake, local_fake, monkeypatch):
    monkeypatch.setenv("OPENROUTER_API_KEY", KEY)
    monkeypatch.setenv("OPENROUTER_BASE_URL", router_fake.base_url)
    monkeypatch.setenv("OPENROUTER_MODEL", "a/x,b/y")
    monkeypatch.setenv("OPENAI_COMPAT_BASE_URL", local_fake.base_url)
    monkeypatch.setenv("OPENAI_COMPAT_MODEL", "qwen2.5:7b")
    online, local = OpenRouter(Settings()), OpenAICompat(Settings())
    try:
        assert online.generate(ask()).model == "a/x"
        assert router_fake.requests[0].body["models"] == ["a/x", "b/y"]
        local_fake.key = None  # a local server without a key: no Authorization header at all
        assert local.generate(ask()).model == "qwen2.5:7b"
        assert "authorization" not in local_fake.requests[0].headers
    finally:
        online.close()
        local.close()


# ---------------------------------------------------------------------- structured output
@pytest.mark.parametrize("stream", [False, True])
def test_structured_output_sends_the_schema_and_returns_json_that_fits_it(router_fake, make, stream):
    router_fake.answers = [OUTLINE]
    result, _ = call(make("openrouter", router_fake), ask(json_schema=SCHEMA), stream)
    assert router_fake.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "story_outline", "strict": True, "schema": SCHEMA},
    }
    assert Outline.model_validate_json(result.text) == Outline.model_validate(OUTLINE)


def test_a_fenced_json_answer_is_unwrapped(local_fake, make):
    local_fake.answers = ["```json\n" + json.dumps(OUTLINE) + "\n```"]
    assert json.loads(make("compat", local_fake).generate(ask(json_schema=SCHEMA)).text) == OUTLINE


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("Sure! Here is your outline: a keeper relights the lamp.", "not JSON"),
        (json.dumps({**OUTLINE, "logline": 3}), "$.logline: expected string, got integer"),
        (json.dumps({"logline": "x", "runtime": 90}), "$: missing required key 'scenes'"),
        (json.dumps({**OUTLINE, "scenes": [{"title": "Dusk", "beats": ["rain"], "mood": "glum"}]}), "$.scenes[0].mood"),
        (json.dumps({**OUTLINE, "runtime": "long"}), "$.runtime: fits none of anyOf"),
    ],
)
def test_an_answer_that_is_not_json_or_breaks_the_schema_is_a_response_error(local_fake, make, stream, answer, said):
    local_fake.faults = [SchemaInvalid(answer)]
    with pytest.raises(ProviderResponseError) as info:
        call(make("compat", local_fake), ask(json_schema=SCHEMA), stream)
    assert said in info.value.message


def test_structured_output_cut_off_by_max_tokens_says_so(local_fake, make):
    with pytest.raises(ProviderResponseError, match="cut off at max_tokens") as info:
        make("compat", local_fake).generate(ask(json_schema=SCHEMA, max_tokens=3))
    assert info.value.hint == "raise max_tokens"


@pytest.mark.parametrize(
    ("value", "schema", "problem"),
    [
        (True, {"type": "integer"}, "$: expected integer, got boolean"),
        (3.0, {"type": "integer"}, None),
        (2.5, {"type": "integer"}, "$: expected integer, got number"),
        (None, {"type": ["string", "null"]}, None),
        ({"a": 1, "b": 2}, {"type": "object", "properties": {"a": {}}, "additionalProperties": False}, "$: unexpected key 'b'"),
        ({"x": [1, "2"]}, {"properties": {"x": {"items": {"$ref": "#/$defs/N"}}}, "$defs": {"N": {"type": "number"}}},
         "$.x[1]: expected number, got string"),
        ([], {"type": "array", "minItems": 1}, "$: 0 items, outside minItems/maxItems"),
        ("b", {"const": "a"}, '$: expected "a"'),
        ("x", {"allOf": [{"type": "string"}, {"enum": ["y"]}]}, '$: expected one of ["y"]'),
    ],
)  # fmt: skip
def test_the_schema_check_reads_the_subset_it_documents(value, schema, problem):
    assert schema_problem(value, schema) == problem


# ---------------------------------------------------------------------- failures
@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("code", "kind", "hint"),
    [
        (401, ProviderAuthError, "OPENROUTER_API_KEY"),
        (403, ProviderAuthError, "OPENROUTER_API_KEY"),
        (402, ProviderAuthError, "credits"),
        (408, ProviderUnavailableError, "try again"),
        (500, ProviderUnavailableError, "try again"),
        (502, ProviderUnavailableError, "try again"),
        (503, ProviderUnavailableError, "try again"),
        (400, ProviderError, "OPENROUTER_MODEL"),
    ],
)
def test_each_status_is_one_kind_of_error(router_fake, make, stream, code, kind, hint):
    router_fake.faults = [Status(code, message="Scripted: it went wrong")]
    with pytest.raises(ProviderError) as info:
        call(make("openrouter", router_fake), ask(), stream)
    assert type(info.value) is kind
    assert info.value.message == f"openrouter answered {code}: Scripted: it went wrong"
    assert hint in info.value.hint


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("0.5", 0.5), ("date", 120.0), (None, None), ("soon", None)],
)
def test_429_carries_retry_after_from_seconds_or_an_http_date(router_fake, make, stream, header, seconds):
    if header == "date":
        header = email.utils.formatdate(time.time() + 120, usegmt=True)
    router_fake.faults = [Status(429, message="Rate limit exceeded: free-models-per-min", retry_after=header)]
    with pytest.raises(RateLimitedError) as info:
        call(make("openrouter", router_fake), ask(), stream)
    assert "Rate limit exceeded" in info.value.message
    if seconds is None:
        assert info.value.retry_after is None
    else:
        assert info.value.retry_after == pytest.approx(seconds, abs=2.0)


def test_the_servers_message_comes_through_on_one_line_and_shortened(router_fake, make):
    router_fake.faults = [Status(502, message="upstream\nmodel   crashed: " + "x" * 500)]
    with pytest.raises(ProviderUnavailableError) as info:
        make("openrouter", router_fake).generate(ask())
    assert info.value.message.startswith("openrouter answered 502: upstream model crashed: xxx")
    assert "\n" not in info.value.message and len(info.value.message) < 250


@pytest.mark.parametrize(("fault", "stream", "delivered", "said"), [
    (Drop(), False, [], "broke off"),
    (Drop(), True, [], "broke off"),
    (Drop(after=3), True, ["Echo:", " Outline"], "broke off"),  # mid-chunk: the body is cut short
    (Drop(after=3, clean=True), True, ["Echo:", " Outline"], r"ended before it was finished \(2 pieces, no \[DONE\]\)"),
])  # fmt: skip
def test_a_dropped_connection_or_stream_is_unavailable(local_fake, make, fault, stream, delivered, said):
    local_fake.faults = [fault]
    pieces: list[str] = []
    provider = make("compat", local_fake)
    with pytest.raises(ProviderUnavailableError, match=said):
        provider.stream(ask(), pieces.append) if stream else provider.generate(ask())
    assert pieces == delivered
    assert provider.generate(ask()).text.startswith("Echo:")  # and the next call works


@pytest.mark.parametrize(("fault", "stream"), [(Stall(5.0), False), (Stall(5.0), True), (Stall(5.0, after=2), True)])
def test_a_stall_is_unavailable_not_a_hang(local_fake, make, fault, stream):
    local_fake.faults = [fault]
    start = time.monotonic()
    with pytest.raises(ProviderUnavailableError, match=r"did not answer within 0.3 s \(ReadTimeout\)"):
        call(make("compat", local_fake, timeout=0.3), ask(), stream)
    assert time.monotonic() - start < 2.0


def test_an_error_event_mid_stream_is_unavailable(router_fake, make):
    router_fake.faults = [StreamError(after=2, message="Provider disconnected")]
    pieces: list[str] = []
    with pytest.raises(ProviderUnavailableError, match="failed mid-stream: Provider disconnected"):
        make("openrouter", router_fake).stream(ask(), pieces.append)
    assert pieces == ["Echo:"]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(("what", "said"), [("not-json", "not JSON"), ("no-choices", "choices")])
def test_a_malformed_answer_is_a_response_error(router_fake, make, stream, what, said):
    router_fake.faults = [Malformed(what)]
    with pytest.raises(ProviderResponseError, match=said):
        call(make("openrouter", router_fake), ask(), stream)


def test_a_server_that_cannot_be_reached_is_unavailable(make):
    class Nowhere:
        base_url = "http://127.0.0.1:9/v1"

    with pytest.raises(ProviderUnavailableError, match="could not reach openai-compat at http://127.0.0.1:9/v1"):
        make("compat", Nowhere).generate(ask())


# ---------------------------------------------------------------------- the key and the configuration
def test_the_key_shows_nowhere_but_the_authorization_header(router_fake, make, caplog):
    caplog.set_level(logging.DEBUG)
    provider = make("openrouter", router_fake)
    router_fake.faults = [Status(401, message=f"Incorrect API key provided: {KEY}")]  # a server that echoes it
    with pytest.raises(ProviderAuthError) as info:
        provider.generate(ask())
    error = info.value
    shown = [str(error), error.hint, error.summary(), json.dumps(error.to_wire()), repr(error)]
    assert "Incorrect API key provided: ***" in error.message
    router_fake.faults = [Malformed()]
    with pytest.raises(ProviderResponseError) as info:
        provider.stream(ask(), lambda _: None)
    shown += [info.value.summary()]
    result = provider.generate(ask(json_schema=SCHEMA))
    shown += [result.model_dump_json(), repr(result), repr(provider), repr(provider.api), repr(vars(provider.api))]
    shown += [caplog.text]
    assert all(KEY not in text for text in shown)
    for sent in router_fake.requests:
        assert sent.headers["authorization"] == f"Bearer {KEY}"
        assert KEY.encode() not in sent.raw
        assert all(KEY not in value for name, value in sent.headers.items() if name != "authorization")
    wrong = make("openrouter", router_fake, openrouter_api_key="sk-or-v1-wrong-secret-999")
    with pytest.raises(ProviderAuthError) as info:
        wrong.generate(ask())
    assert "wrong-secret-999" not in info.value.summary() and "OPENROUTER_API_KEY" in info.value.hint


def test_missing_configuration_names_the_variable_to_set():
    with pytest.raises(ProviderAuthError) as info:
        OpenRouter(Settings())
    assert "OPENROUTER_API_KEY" in info.value.hint
    with pytest.raises(ProviderError) as info:
        OpenRouter(Settings(openrouter_api_key=KEY, openrouter_model=" , "))
    assert "OPENROUTER_MODEL" in info.value.hint
    with pytest.raises(ProviderError) as info:
        OpenAICompat(Settings(openai_compat_model="llama3.2"))
    assert "OPENAI_COMPAT_BASE_URL" in info.value.hint
    with pytest.raises(ProviderError) as info:
        OpenAICompat(Settings(openai_compat_base_url="http://127.0.0.1:11434/v1"))
    assert "OPENAI_COMPAT_MODEL" in info.value.hint


def test_both_are_registered_as_configurable_online_text_providers(local_fake, router_fake):
    from moviegen.brain.providers.registry import registry

    settings = Settings(openrouter_api_key=KEY, openrouter_base_url=router_fake.base_url,
                        openai_compat_base_url=local_fake.base_url, openai_compat_api_key=KEY)  # fmt: skip
    for name, cls, needs in (
        ("openrouter", OpenRouter, ("openrouter_api_key",)),
        ("openai-compat", OpenAICompat, ("openai_compat_base_url",)),
    ):
        spec = registry().get("text", name)
        assert (spec.offline, spec.configurable, spec.needs) == (False, True, needs)
        provider = spec.make(settings, "vendor/model-x")
        try:
            assert isinstance(provider, cls) and provider.generate(ask()).model == "vendor/model-x"
        finally:
            provider.close()


def test_the_fake_counts_the_requests_in_flight(make):
    with FakeChat(latency=0.3) as server:
        provider = make("compat", server)
        start = time.monotonic()
        with ThreadPoolExecutor(5) as pool:
            results = list(pool.map(lambda i: provider.generate(ask(prompt=f"shot {i}")), range(10)))
        assert [r.text for r in results] == [f"Echo: shot {i}" for i in range(10)]
        elapsed = time.monotonic() - start
        deadline = time.monotonic() + 2  # the fake counts a request out after its answer is written: a moment
        while server.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.peak_in_flight == 5 and server.in_flight == 0
        assert 0.6 <= elapsed < 2.7  # two rounds of five at once (one at a time would be 3 s; a busy machine is slow)
        server.reset_peak()
        provider.generate(ask())
        assert server.peak_in_flight == 1
