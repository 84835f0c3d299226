"""The webhook operations through the one client interface: in-process and over the wire, the same views, the
same errors, and a secret that signs what the receiver gets whichever brain handed it out."""

from __future__ import annotations

import threading

import pytest

from moviegen.core.errors import NotFoundError, UsageError
from tests.conftest import FIXTURES
from tests.fakes.webhook_receiver import Receiver
from tests.server.conftest import start_brain, stop_brain

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
VOLATILE = {"id", "created", "at", "latency_ms", "msg_id", "webhook", "url", "secret"}


def stable(value):
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    brain = start_brain(tmp_path_factory.mktemp("webhooks"), env_extra={"MOVIEGEN_WEBHOOKS__ALLOW_PRIVATE": "1"})
    yield brain
    stop_brain(brain)


@pytest.fixture(params=["local", "remote"])
def api(request):
    if request.param == "local":
        from moviegen.brain.local import LocalBrain
        from moviegen.core.settings import Settings, WebhookSettings

        brain = LocalBrain(Settings(webhooks=WebhookSettings(allow_private=True)), workers=1)
    else:
        from moviegen.brain.remote import RemoteBrain

        brain = RemoteBrain(request.getfixturevalue("server").ws)
    yield brain
    brain.close()


def script(api, slug: str, receiver: Receiver) -> list:
    api.project_import(TWO_LINES, slug=slug)
    hook = api.webhook_add(slug, receiver.url, ["screenplay.updated", "render.finished"])
    out = [hook, api.webhook_list(slug), api.webhook_test(slug, hook["id"])]
    out.append(receiver.deliveries[-1].verify(hook["secret"])["type"])  # the test went before webhook_test returned
    out += [api.webhook_log(slug, hook["id"]), api.webhook_remove(slug, hook["id"]), api.webhook_list(slug)]
    return out


def test_the_same_script_gives_the_same_answers_in_both(server):
    from moviegen.brain.local import LocalBrain
    from moviegen.brain.remote import RemoteBrain
    from moviegen.core.settings import Settings, WebhookSettings

    local = LocalBrain(Settings(webhooks=WebhookSettings(allow_private=True)), workers=1)
    remote = RemoteBrain(server.ws)
    try:
        with Receiver() as receiver:
            a = script(local, "hooked", receiver)
            b = script(remote, "hooked", receiver)
    finally:
        local.close()
        remote.close()
    assert stable(a) == stable(b)
    assert a[0]["secret"] != b[0]["secret"] and a[3] == "webhook.test"
    assert stable(a[2]) == {"ok": True, "status_code": 200, "error": ""}
    assert [e["outcome"] for e in a[4]] == ["test"] and a[6] == []


def test_errors_are_the_same_in_both(api):
    slug = f"hooks-{threading.get_native_id() % 100000}-{id(api) % 1000}"
    api.project_import(TWO_LINES, slug=slug)
    with pytest.raises(NotFoundError, match="no webhook 'wh_0000'"):
        api.webhook_test(slug, "wh_0000")
    with pytest.raises(UsageError, match="carries a user name or password"):
        api.webhook_add(slug, "https://me:pw@example.com/hook", ["job.failed"])
    with pytest.raises(UsageError, match="'job.finished' is not an event"):
        api.webhook_add(slug, "http://127.0.0.1:9/hook", ["job.finished"])
    with pytest.raises(UsageError, match="invalid webhook_id"):
        api.webhook_log(slug, "../etc")
