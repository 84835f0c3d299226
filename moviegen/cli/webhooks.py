"""moviegen webhook: a project's events sent to a URL, signed per Standard Webhooks, with a delivery log."""

from __future__ import annotations

import time

import typer

from moviegen.cli import context
from moviegen.cli.output import emit_json, note, out

webhook_app = typer.Typer(
    help="Send a project's events to a URL (signed per Standard Webhooks): add, list, test, log, enable, remove.",
    no_args_is_help=True,
)

_SLUG = typer.Argument(..., help="The project (see 'moviegen list').")
_ID = typer.Argument(..., help="The webhook's id, wh_... (see 'moviegen webhook list SLUG').")
_JSON = typer.Option(False, "--json", help="Print as JSON.")
EVENTS_HELP = (
    "Events to send; repeat it or give a comma list. render.finished (a render or make finished), job.failed, "
    "screenplay.updated; or any event the brain publishes by its own name: job.queued, job.started, job.progress, "
    "job.done, job.cancelled, job.interrupted, job.cancelling, story.stage, story.paused, story.developed, "
    "story.updated, shots.planned, storyboard.progress, storyboard.painted, take.painted, take.approved, "
    "take.rejected, cast.recast, export.written, memory.stored, memory.progress, memory.reindexed, graph.linked, "
    "workflow.stored, assistant.answered, job.resumed, comment.added, media.uploaded, story.shared, cast.sheet."
)


def _print(line: str) -> None:
    out.print(line, markup=False, highlight=False, soft_wrap=True)  # a URL is never broken


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) if at else "—"


def _state(hook: dict) -> str:
    return "enabled" if hook["enabled"] else "DISABLED"


@webhook_app.command("add")
def add(
    slug: str = _SLUG,
    url: str = typer.Argument(..., help="The receiver: an http(s) URL (no user name or password in it)."),
    events: list[str] = typer.Option(..., "--events", "-e", help=EVENTS_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the webhook, its secret included, as JSON."),
) -> None:
    """Send the project's events to URL. Prints the signing secret once: the receiver verifies each delivery
    with it (standardwebhooks' Webhook(secret).verify); it is never shown again."""
    made = context.brain().webhook_add(slug, url, events)
    if json_out:
        emit_json(made)
        return
    _print(f"{made['id']}  {made['url']}  {', '.join(made['events'])}")
    _print(f"secret: {made['secret']}")
    note("keep the secret now: it is shown this once. Try the receiver with "
         f"'moviegen webhook test {slug} {made['id']}'.")  # fmt: skip


@webhook_app.command("list")
def list_(slug: str = _SLUG, json_out: bool = _JSON) -> None:
    """The project's webhooks: state, URL, events, messages queued, failures in a row, the last delivery and,
    for one that was disabled, why. Secrets are never listed."""
    hooks = context.brain().webhook_list(slug)
    if json_out:
        emit_json(hooks)
        return
    if not hooks:
        note(f"no webhooks — add one with 'moviegen webhook add {slug} URL --events render.finished'")
    for hook in hooks:
        last = hook["last_delivery"]
        said = "—" if last is None else (str(last["status_code"] or "no answer") + ("" if last["ok"] else " (failed)"))
        _print(f"{hook['id']}  {_state(hook):<8} {hook['url']}  {','.join(hook['events'])}")
        _print(f"  queued {hook['queued']}, gave up {hook['gave_up']}, failures in a row {hook['failures']}, "
               f"last: {said} at {_when(last and last['at'])}")  # fmt: skip
        if hook["disabled_reason"]:
            _print(f"  disabled: {hook['disabled_reason']}")
            _print(f"  → fix the receiver, then 'moviegen webhook enable {slug} {hook['id']}'")


@webhook_app.command("test")
def test(slug: str = _SLUG, webhook_id: str = _ID, json_out: bool = _JSON) -> None:
    """Send a signed webhook.test message now and say how the receiver answered (exit 1 if it did not take it)."""
    result = context.brain().webhook_test(slug, webhook_id)
    if json_out:
        emit_json(result)
    elif result["ok"]:
        _print(f"delivered: HTTP {result['status_code']} in {result['latency_ms']:.0f} ms ({result['msg_id']})")
    else:
        _print(f"not delivered: {result['error']} after {result['latency_ms']:.0f} ms")
    if not result["ok"]:
        raise typer.Exit(1)


@webhook_app.command("log")
def log(
    slug: str = _SLUG, webhook_id: str = _ID,
    limit: int = typer.Option(50, "--limit", "-n", min=1, max=1000, help="How many attempts, newest first."),
    json_out: bool = _JSON,
) -> None:  # fmt: skip
    """A webhook's latest delivery attempts: time, event, attempt, status code, latency, outcome, error."""
    entries = context.brain().webhook_log(slug, webhook_id, limit)
    if json_out:
        emit_json(entries)
        return
    if not entries:
        note("nothing sent yet")
    for e in entries:
        code = e["status_code"] if e["status_code"] is not None else "---"
        error = f"  {e['error']}" if e["error"] else ""
        _print(f"{_when(e['at'])}  {e['event']:<20} #{e['attempt']}  {code}  {e['latency_ms']:>6.0f} ms  "
               f"{e['outcome']}{error}")  # fmt: skip


@webhook_app.command("enable")
def enable(slug: str = _SLUG, webhook_id: str = _ID, json_out: bool = _JSON) -> None:
    """Turn a webhook that was disabled after a run of failures back on (new events; failures start at 0)."""
    hook = context.brain().webhook_enable(slug, webhook_id)
    emit_json(hook) if json_out else note(f"{webhook_id} is enabled again")


@webhook_app.command("remove")
def remove(slug: str = _SLUG, webhook_id: str = _ID, json_out: bool = _JSON) -> None:
    """Remove a webhook, with its queued messages and its delivery log."""
    hook = context.brain().webhook_remove(slug, webhook_id)
    emit_json(hook) if json_out else note(f"removed {webhook_id} ({hook['url']})")
