"""Webhooks through a real brain server: a message still queued when the brain stops (SIGTERM) is delivered
by the next brain started on the same projects — the outbox is in the project, not in the process — and the
CLI reaches the webhooks through the server."""

from __future__ import annotations

import json

import pytest

from moviegen.services.webhooks.store import WebhookStore
from tests.conftest import FIXTURES
from tests.fakes.webhook_receiver import Receiver
from tests.server.conftest import start_brain, stop_brain

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")
ENV = {"MOVIEGEN_WEBHOOKS__ALLOW_PRIVATE": "1", "MOVIEGEN_WEBHOOKS__BACKOFF": "[3]"}


@pytest.mark.integration
def test_a_message_queued_when_the_brain_stops_is_delivered_by_the_next(tmp_path):
    from moviegen.brain.remote import RemoteBrain

    with Receiver(answers=[503]) as receiver:
        brain = start_brain(tmp_path, env_extra=ENV)
        try:
            remote = RemoteBrain(brain.ws)
            try:
                remote.project_import(TWO_LINES, slug="two")
                hook = remote.webhook_add("two", receiver.url, ["screenplay.updated"])
                sp = remote.screenplay_get("two")
                remote.screenplay_update("two", sp["text"] + "\n", sp["digest"])
                (refused,) = receiver.wait(1)  # answered 503: the message waits 3 s for its retry
            finally:
                remote.close()
        finally:
            stop_brain(brain)
        assert brain.proc.returncode == 0
        with WebhookStore(tmp_path / "projects" / "two") as store:
            queued = store.db.execute("SELECT msg_id, status, attempts FROM outbox").fetchall()
        assert [tuple(row) for row in queued] == [(refused.headers["webhook-id"], "pending", 1)]
        assert len(receiver.deliveries) == 1

        brain = start_brain(tmp_path, env_extra=ENV)
        try:
            _, delivered = receiver.wait(2, timeout=30)
            listed = json.loads(brain.cli("webhook", "list", "two", "--json", remote=True).stdout)
        finally:
            stop_brain(brain)
    assert delivered.answered == 200 and delivered.headers["webhook-id"] == refused.headers["webhook-id"]
    payload = delivered.verify(hook["secret"])
    assert payload["type"] == "screenplay.updated" and payload["data"]["project"] == "two"
    assert [(h["id"], h["queued"], h["failures"], h["last_delivery"]["status_code"]) for h in listed] == [
        (hook["id"], 0, 0, 200)]  # fmt: skip
    assert hook["secret"] not in brain.log.read_text()
