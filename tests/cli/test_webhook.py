"""moviegen webhook, run as a user runs it (the real entry point, a subprocess, an in-process brain each time),
against a receiver on 127.0.0.1 that checks signatures with standardwebhooks' own Webhook.verify."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES, moviegen
from tests.fakes.webhook_receiver import Receiver

LOCAL = {"MOVIEGEN_WEBHOOKS__ALLOW_PRIVATE": "1"}  # the receiver is on loopback


def _one_error(proc, code: int, *needles: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout.strip() == ""
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


def test_add_shows_the_secret_once_and_test_delivers_a_signed_message():
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", check=True)
    with Receiver() as receiver:
        human = moviegen("webhook", "add", "two", receiver.url, "--events", "render.finished,job.failed",
                         "-e", "screenplay.updated", env=LOCAL, check=True)  # fmt: skip
        hook_id, url, events = human.stdout.splitlines()[0].split("  ")
        secret = human.stdout.splitlines()[1].removeprefix("secret: ")
        assert (url, events) == (receiver.url, "render.finished, job.failed, screenplay.updated")
        assert secret.startswith("whsec_") and "shown this once" in human.stderr
        made = json.loads(moviegen("webhook", "add", "two", receiver.url, "-e", "job.failed", "--json", env=LOCAL,
                                   check=True).stdout)  # fmt: skip
        assert made["secret"].startswith("whsec_") and made["secret"] != secret

        tested = moviegen("webhook", "test", "two", hook_id, env=LOCAL, check=True)
        assert tested.stdout.startswith("delivered: HTTP 200 in ")
        (delivery,) = receiver.wait(1)
        assert delivery.verify(secret)["type"] == "webhook.test"
        as_json = json.loads(moviegen("webhook", "test", "two", made["id"], "--json", env=LOCAL, check=True).stdout)
        assert as_json["ok"] and receiver.wait(2)[1].verify(made["secret"])["data"]["webhook"] == made["id"]

        listed = moviegen("webhook", "list", "two", check=True)
        listed_json = moviegen("webhook", "list", "two", "--json", check=True)
        logged = moviegen("webhook", "log", "two", hook_id, "--json", check=True)
        for proc in (listed, listed_json, logged, tested):
            assert secret not in proc.stdout + proc.stderr and made["secret"] not in proc.stdout + proc.stderr
        assert [h["id"] for h in json.loads(listed_json.stdout)] == [hook_id, made["id"]]
        assert f"{hook_id}  enabled  {receiver.url}  render.finished,job.failed,screenplay.updated" in listed.stdout
        assert [(e["event"], e["status_code"], e["outcome"]) for e in json.loads(logged.stdout)] == [
            ("webhook.test", 200, "test")]  # fmt: skip

        removed = moviegen("webhook", "remove", "two", made["id"], check=True)
        assert f"removed {made['id']}" in removed.stderr
        assert [h["id"] for h in json.loads(moviegen("webhook", "list", "two", "--json").stdout)] == [hook_id]


def test_a_run_of_failures_is_shown_in_list_with_the_reason_and_enable_turns_it_back_on():
    env = {**LOCAL, "MOVIEGEN_WEBHOOKS__DISABLE_AFTER": "2", "MOVIEGEN_WEBHOOKS__BACKOFF": "[0.05, 0.05, 0.05]"}
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", check=True)
    with Receiver(answers=[500] * 4) as receiver:
        made = json.loads(moviegen("webhook", "add", "two", receiver.url, "-e", "shots.planned", "--json", env=env,
                                   check=True).stdout)  # fmt: skip
        moviegen("plan", "two", env=env, check=True)  # each run sends (at least) its own event as it ends
        moviegen("plan", "two", "--fresh", env=env, check=True)
        receiver.wait(2)
        listed = moviegen("webhook", "list", "two", env=env, check=True).stdout
        assert f"{made['id']}  DISABLED" in listed
        assert "disabled: 2 deliveries failed in a row; the last: HTTP 500 Internal Server Error" in listed
        assert f"'moviegen webhook enable two {made['id']}'" in listed
        log = moviegen("webhook", "log", "two", made["id"], env=env, check=True).stdout.splitlines()
        assert "shots.planned" in log[0] and "500" in log[0] and log[0].rstrip().endswith(
            "disabled  HTTP 500 Internal Server Error")  # fmt: skip
        moviegen("webhook", "enable", "two", made["id"], env=env, check=True)
        assert f"{made['id']}  enabled" in moviegen("webhook", "list", "two", check=True).stdout
        receiver.answers.clear()
        moviegen("plan", "two", "--fresh", env=env, check=True)
        assert receiver.wait(3)[-1].verify(made["secret"])["type"] == "shots.planned"


def test_broken_requests_are_one_line():
    moviegen("import", str(FIXTURES / "two_lines.fountain"), "--slug", "two", check=True)
    _one_error(moviegen("webhook", "add", "two", "ftp://example.com/x", "-e", "job.failed"), 2,
               "is not an http(s) URL")  # fmt: skip
    _one_error(moviegen("webhook", "add", "two", "http://127.0.0.1:9/x", "-e", "job.failed"), 2,
               "loopback, private or reserved", "MOVIEGEN_WEBHOOKS__ALLOW_PRIVATE=1")  # fmt: skip
    _one_error(moviegen("webhook", "add", "two", "http://127.0.0.1:9/x", "-e", "render.done", env=LOCAL), 2,
               "'render.done' is not an event", "moviegen webhook add --help")  # fmt: skip
    _one_error(moviegen("webhook", "add", "two", "http://127.0.0.1:9/x"), 2, "--events")
    _one_error(moviegen("webhook", "test", "two", "wh_0000"), 1, "no webhook 'wh_0000'")
    _one_error(moviegen("webhook", "log", "nowhere", "wh_0000"), 1, "no project 'nowhere'")
    _one_error(moviegen("webhook", "remove", "two", "hook-1"), 2, "invalid webhook_id")
    hook = json.loads(moviegen("webhook", "add", "two", "http://127.0.0.1:9/x", "-e", "job.failed", "--json",
                               env=LOCAL, check=True).stdout)  # fmt: skip
    dead = moviegen("webhook", "test", "two", hook["id"], env=LOCAL)
    assert dead.returncode == 1 and dead.stdout.startswith("not delivered: ConnectError")


def test_every_command_has_help_and_add_names_every_event():
    from typer.testing import CliRunner

    from moviegen.cli.main import app
    from moviegen.cli.webhooks import EVENTS_HELP
    from moviegen.services.webhooks.events import EVENTS

    for command in ("add", "list", "test", "log", "enable", "remove"):
        shown = CliRunner().invoke(app, ["webhook", command, "--help"])
        assert shown.exit_code == 0 and "Usage: moviegen webhook " + command in shown.output
    named = {word.strip(".,;()") for word in EVENTS_HELP.split()}
    assert set(EVENTS) <= named  # the help names every event a webhook can ask for
