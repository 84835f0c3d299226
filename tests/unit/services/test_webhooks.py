"""Webhooks through the brain, delivered over real HTTP to a receiver on 127.0.0.1 that checks each signature
with standardwebhooks' own Webhook.verify: signing, retries with backoff, giving up, turning a failing webhook
off (with the reason), the test message, secrets kept out of every view, and the URLs and names refused."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from moviegen.core.errors import NotFoundError, UsageError
from tests.conftest import FIXTURES
from tests.fakes.webhook_receiver import Receiver

TWO_LINES = (FIXTURES / "two_lines.fountain").read_text(encoding="utf-8")


@pytest.fixture
def make_brain():
    """LocalBrains with webhook settings of the test's choosing (receivers on 127.0.0.1 allowed)."""
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings, WebhookSettings

    made = []

    def make(slug: str | None = "two", mode: str = "in-process", **webhooks):
        webhooks.setdefault("allow_private", True)
        brain = LocalBrain(Settings(webhooks=WebhookSettings(**webhooks)), workers=1, mode=mode)
        made.append(brain)
        if slug and not brain.store.exists(slug):
            brain.project_import(TWO_LINES, slug=slug)
        return brain

    yield make
    for brain in made:
        brain.close()


def touch_screenplay(brain, slug: str = "two") -> str:
    sp = brain.screenplay_get(slug)
    return brain.screenplay_update(slug, sp["text"] + "\n", sp["digest"])["digest"]


def until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return value


def test_a_delivery_is_signed_so_standardwebhooks_verifies_it(make_brain):
    brain = make_brain()
    with Receiver() as receiver:
        hook = brain.webhook_add("two", receiver.url, ["screenplay.updated"])
        assert hook["secret"].startswith("whsec_") and hook["enabled"] and hook["events"] == ["screenplay.updated"]
        digest = touch_screenplay(brain)
        (delivery,) = receiver.wait(1)
    payload = delivery.verify(hook["secret"])
    assert payload["type"] == "screenplay.updated"
    assert payload["data"] == {"project": "two", "digest": digest}
    assert payload["timestamp"].endswith("Z") and delivery.headers["webhook-id"].startswith("msg_")
    assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 30
    assert delivery.headers["content-type"] == "application/json"
    other = make_brain(slug=None).webhook_add("two", receiver.url, ["job.failed"])["secret"]
    with pytest.raises(WebhookVerificationError):
        delivery.verify(other)  # another webhook's secret does not match
    tampered = type(delivery)(delivery.headers, delivery.body.replace(b"two", b"six"), delivery.at, 200)
    with pytest.raises(WebhookVerificationError):
        tampered.verify(hook["secret"])


def test_only_the_events_asked_for_are_sent(make_brain):
    brain = make_brain()
    with Receiver() as receiver:
        brain.webhook_add("two", receiver.url, ["take.approved"])
        touch_screenplay(brain)  # not asked for
        brain.shots_plan("two")
        brain.storyboard_paint("two")
        brain.take_approve("two", "1.1", 1)
        (delivery,) = receiver.wait(1)
        time.sleep(0.3)
        assert len(receiver.deliveries) == 1
    assert json.loads(delivery.body)["type"] == "take.approved"


def test_a_failing_receiver_is_retried_with_backoff_until_it_takes_the_message(make_brain):
    brain = make_brain(backoff=[0.4, 0.8])
    with Receiver(answers=[500, 503]) as receiver:
        hook = brain.webhook_add("two", receiver.url, ["screenplay.updated"])
        touch_screenplay(brain)
        first, second, third = receiver.wait(3)
        time.sleep(0.3)
        assert len(receiver.deliveries) == 3  # delivered: no more attempts
    assert [d.answered for d in (first, second, third)] == [500, 503, 200]
    assert len({d.headers["webhook-id"] for d in (first, second, third)}) == 1  # one message, tried three times
    assert second.at - first.at >= 0.38 and third.at - second.at >= 0.78
    for delivery in (first, second, third):
        assert delivery.verify(hook["secret"])["type"] == "screenplay.updated"  # each attempt signed anew
    log = brain.webhook_log("two", hook["id"])
    assert [(e["attempt"], e["status_code"], e["outcome"]) for e in log] == [
        (3, 200, "delivered"), (2, 503, "retrying"), (1, 500, "retrying")]  # fmt: skip
    assert log[1]["error"] == "HTTP 503 Service Unavailable" and log[0]["latency_ms"] >= 0
    (listed,) = brain.webhook_list("two")
    assert (listed["failures"], listed["queued"], listed["gave_up"], listed["last_delivery"]["ok"]) == (0, 0, 0, True)


def test_a_message_is_given_up_after_the_last_wait(make_brain):
    brain = make_brain(backoff=[0.1])
    with Receiver(answers=[500, 500, 500]) as receiver:
        hook = brain.webhook_add("two", receiver.url, ["screenplay.updated"])
        touch_screenplay(brain)
        receiver.wait(2)
        until(lambda: brain.webhook_list("two")[0]["gave_up"] == 1)
        time.sleep(0.3)
        assert len(receiver.deliveries) == 2
    assert [e["outcome"] for e in brain.webhook_log("two", hook["id"])] == ["failed", "retrying"]
    assert brain.webhook_list("two")[0]["enabled"]  # two failures are not a run of ten


def test_a_run_of_failures_turns_the_webhook_off_with_the_reason(make_brain):
    brain = make_brain(backoff=[0.05] * 5, disable_after=3)
    with Receiver(answers=[500] * 3) as receiver:
        hook = brain.webhook_add("two", receiver.url, ["screenplay.updated"])
        touch_screenplay(brain)
        touch_screenplay(brain)
        listed = until(lambda: next((h for h in brain.webhook_list("two") if not h["enabled"]), None))
        assert listed["disabled_reason"] == "3 deliveries failed in a row; the last: HTTP 500 Internal Server Error"
        assert (listed["failures"], listed["queued"]) == (3, 0)  # what was still queued was dropped
        touch_screenplay(brain)  # a disabled webhook gets nothing
        time.sleep(0.4)
        assert len(receiver.deliveries) == 3
        assert brain.webhook_log("two", hook["id"])[0]["outcome"] == "disabled"
        again = brain.webhook_enable("two", hook["id"])
        assert again["enabled"] and again["failures"] == 0 and again["disabled_reason"] is None
        touch_screenplay(brain)
        assert receiver.wait(4)[3].answered == 200


def test_the_test_message_goes_now_and_counts_against_nothing(make_brain):
    brain = make_brain()
    with Receiver(answers=[500]) as receiver:
        hook = brain.webhook_add("two", receiver.url, ["job.failed"])
        failed = brain.webhook_test("two", hook["id"])
        assert (failed["ok"], failed["status_code"], failed["error"]) == (False, 500, "HTTP 500 Internal Server Error")
        passed = brain.webhook_test("two", hook["id"])
        assert passed["ok"] and passed["status_code"] == 200
        first, second = receiver.wait(2)
    assert second.verify(hook["secret"]) == {"type": "webhook.test", "timestamp": json.loads(second.body)["timestamp"],
                                             "data": {"project": "two", "webhook": hook["id"]}}  # fmt: skip
    assert first.headers["webhook-id"] != second.headers["webhook-id"]
    (listed,) = brain.webhook_list("two")
    assert listed["failures"] == 0 and listed["enabled"] and listed["last_delivery"] is None  # tests are not deliveries
    assert [e["outcome"] for e in brain.webhook_log("two", hook["id"])] == ["test", "test"]
    with Receiver() as gone:
        url = gone.url
    dead = brain.webhook_add("two", url, ["job.failed"])
    refused = brain.webhook_test("two", dead["id"])
    assert not refused["ok"] and refused["status_code"] is None and "ConnectError" in refused["error"]


def test_secrets_are_shown_once_and_kept_in_a_private_file(make_brain):
    brain = make_brain()
    with Receiver() as receiver, brain.bus.listen() as heard:
        hook = brain.webhook_add("two", receiver.url, ["screenplay.updated"])
        touch_screenplay(brain)
        receiver.wait(1)
        brain.webhook_test("two", hook["id"])
        views = [brain.webhook_list("two"), brain.webhook_log("two", hook["id"])]
        views += [brain.webhook_enable("two", hook["id"]), brain.webhook_remove("two", hook["id"])]
        events = []
        while not heard.empty():
            events.append(heard.get_nowait())
    secret = hook["secret"]
    assert {e["kind"] for e in events} >= {"webhook.added", "webhook.removed", "screenplay.updated"}
    for seen in views + events:
        text = json.dumps(seen)
        assert secret not in text and secret.removeprefix("whsec_") not in text and "secret" not in text
    assert not any(receiver.url in json.dumps(e) for e in events)  # a URL may itself be a secret
    db = brain.project("two").path / ".moviegen" / "webhooks.sqlite"
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert brain.webhook_list("two") == []


def test_receivers_the_brain_will_not_send_to(make_brain):
    brain = make_brain(allow_private=False)
    for url, words in [
        ("http://127.0.0.1:9/hook", "loopback, private or reserved address (127.0.0.1)"),
        ("http://localhost/hook", "loopback, private or reserved"),
        ("http://[::1]/hook", "loopback, private or reserved"),
        ("http://10.1.2.3/hook", "(10.1.2.3)"),
        ("http://169.254.169.254/latest/meta-data", "(169.254.169.254)"),  # the cloud's metadata service
        ("http://[::ffff:192.168.0.1]/hook", "(192.168.0.1)"),
        ("ftp://example.com/hook", "is not an http(s) URL"),
        ("https://user:pw@example.com/hook", "carries a user name or password"),
        ("example.com/hook", "is not an http(s) URL"),
        ("http://example.com:port/hook", "is not a URL"),
    ]:  # fmt: skip
        with pytest.raises(UsageError) as caught:
            brain.webhook_add("two", url, ["job.failed"])
        assert words in caught.value.message, (url, caught.value.message)
    with pytest.raises(UsageError) as caught:
        brain.webhook_add("two", "http://127.0.0.1/hook", ["job.failed"])
    assert "MOVIEGEN_WEBHOOKS__ALLOW_PRIVATE=1" in caught.value.hint
    assert brain.webhook_list("two") == []


def test_event_names_and_ids_that_are_refused(make_brain):
    brain = make_brain()
    with pytest.raises(UsageError, match="'render.finshed' is not an event a webhook can receive"):
        brain.webhook_add("two", "http://127.0.0.1:9/h", ["render.finished,render.finshed"])
    with pytest.raises(UsageError, match="name at least one event"):
        brain.webhook_add("two", "http://127.0.0.1:9/h", [" , "])
    hook = brain.webhook_add("two", "http://127.0.0.1:9/h", ["job.failed,render.finished", "job.failed"])
    assert hook["events"] == ["job.failed", "render.finished"]
    with pytest.raises(UsageError, match="invalid webhook_id"):
        brain.webhook_log("two", "not-an-id")
    with pytest.raises(NotFoundError, match="no webhook 'wh_0000'"):
        brain.webhook_remove("two", "wh_0000")
    brain.project_import(TWO_LINES, slug="bare")
    with pytest.raises(NotFoundError, match="no webhook 'wh_0000'"):
        brain.webhook_test("bare", "wh_0000")
    assert not (brain.project("bare").path / ".moviegen" / "webhooks.sqlite").exists()  # asking made no file


def publish(brain, count: int, first: int = 0, slug: str = "two") -> list[str]:
    """``count`` workflow.stored events on the brain's bus; their workflow names."""
    names = [f"w{i}" for i in range(first, first + count)]
    for name in names:
        brain.bus.publish("workflow.stored", project=slug, workflow=name)
    return names


def test_a_slow_receiver_gets_several_messages_at_once_and_holds_up_no_other(make_brain):
    from moviegen.services.webhooks.pool import PER_WEBHOOK

    brain = make_brain()
    with Receiver(delay=0.4) as slow, Receiver() as fast:
        brain.webhook_add("two", slow.url, ["workflow.stored"])
        brain.webhook_add("two", fast.url, ["workflow.stored"])
        started = time.monotonic()
        names = publish(brain, 2 * PER_WEBHOOK)
        fast.wait(len(names), timeout=5)
        assert len(slow.deliveries) < len(names)  # the fast one was not kept waiting for the slow one
        got = slow.wait(len(names), timeout=10)
        took = time.monotonic() - started
    assert slow.most_at_once == PER_WEBHOOK  # several at once, never more than its share
    assert took < len(names) * 0.4 / 2, took  # one at a time would take 3.2 s; four at once about 0.8 s
    for receiver in (slow, fast):
        assert sorted(json.loads(d.body)["data"]["workflow"] for d in receiver.deliveries) == names
    assert all(d.answered == 200 for d in got)


def test_a_failing_receiver_is_sent_one_message_at_a_time(make_brain):
    brain = make_brain(backoff=[0.2] * 5, disable_after=1000)
    with Receiver(answers=[503] * 12, delay=0.1) as receiver:
        brain.webhook_add("two", receiver.url, ["workflow.stored"])
        publish(brain, 1)
        until(lambda: brain.webhook_list("two")[0]["failures"] == 1)
        receiver.most_at_once = 0
        publish(brain, 6, first=1)  # six new messages, and the first one's retry, for a receiver that is failing
        receiver.wait(10)
        assert receiver.most_at_once == 1  # probed, not hammered
        until(lambda: brain.webhook_list("two")[0]["queued"] == 0)  # back after 12 refusals: all delivered
    ok = sorted(json.loads(d.body)["data"]["workflow"] for d in receiver.deliveries if d.answered == 200)
    assert ok == ["w0", "w1", "w2", "w3", "w4", "w5", "w6"] and brain.webhook_list("two")[0]["failures"] == 0


def test_attempts_in_flight_when_their_webhook_is_turned_off_are_dropped_not_requeued(make_brain):
    brain = make_brain(backoff=[0.1] * 5, disable_after=2)
    with Receiver(answers=[500] * 4, delay=0.5) as receiver:
        hook = brain.webhook_add("two", receiver.url, ["workflow.stored"])
        publish(brain, 4)  # all four in flight before the first answer: the receiver looked healthy
        receiver.wait(4)
        listed = until(lambda: next((h for h in brain.webhook_list("two") if not h["enabled"]), None))
        until(lambda: len(brain.webhook_log("two", hook["id"])) == 4)
        time.sleep(0.4)
        assert len(receiver.deliveries) == 4  # nothing sent again
    assert listed["disabled_reason"] == "2 deliveries failed in a row; the last: HTTP 500 Internal Server Error"
    assert (listed["failures"], listed["queued"]) == (2, 0)
    outcomes = sorted(e["outcome"] for e in brain.webhook_log("two", hook["id"]))
    assert outcomes == ["disabled", "dropped", "dropped", "retrying"]


def test_queued_messages_wait_in_the_outbox_for_the_next_brain(make_brain):
    """In-process: a brain closes with a message waiting for its retry; the next brain server sends it."""
    first = make_brain(backoff=[60.0])
    with Receiver(answers=[500]) as receiver:
        hook = first.webhook_add("two", receiver.url, ["screenplay.updated"])
        touch_screenplay(first)
        (failed,) = receiver.wait(1)
        until(lambda: first.webhook_list("two")[0]["queued"] == 1)
        first.close()
        from moviegen.services.webhooks.store import WebhookStore

        with WebhookStore(first.project("two").path) as store:  # due now, as if the wait had passed
            store.db.execute("UPDATE outbox SET next_at = 0")
        make_brain(mode="brain server", backoff=[60.0])  # sends what is queued as it starts, events or none
        _, delivered = receiver.wait(2)
    assert delivered.answered == 200 and delivered.headers["webhook-id"] == failed.headers["webhook-id"]
    assert delivered.verify(hook["secret"])["type"] == "screenplay.updated"


@pytest.mark.slow
def test_a_finished_render_is_render_finished_with_its_film(make_brain):
    brain = make_brain()
    brain.shots_plan("two")
    with Receiver() as receiver:
        hook = brain.webhook_add("two", receiver.url, ["render.finished", "job.done"])
        job = brain.render_start("two", resolution="320x180")
        arrived = receiver.wait(2, timeout=120)
    assert brain.job_status(job["id"])["status"] == "done"
    payloads = sorted((d.verify(hook["secret"]) for d in arrived), key=lambda p: p["type"])  # sent side by side
    assert [p["type"] for p in payloads] == ["job.done", "render.finished"]
    data = payloads[1]["data"]
    assert (data["project"], data["job"], data["job_kind"]) == ("two", job["id"], "render")
    assert data["result"]["film"].endswith(".mp4") and data["result"]["width"] == 320
