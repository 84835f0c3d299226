"""One delivery attempt: the body signed as Standard Webhooks says (``webhook-id``, ``webhook-timestamp``,
``webhook-signature`` made by the ``standardwebhooks`` package, the same code receivers verify with) and
POSTed. A 2xx answer is a delivery; anything else — another status, a redirect (never followed: it could lead
anywhere), a timeout, a refused connection, an address the brain will not send to — is a failure whose one
line goes to the delivery log. The secret never appears in what this returns."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from moviegen import __version__
from moviegen.services.webhooks.store import Attempt
from moviegen.services.webhooks.urls import refused_address

USER_AGENT = f"moviegen-webhooks/{__version__}"


def headers(msg_id: str, secret: str, payload: str, now: float | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for this body, timestamped now (receivers refuse stale ones, so a
    retry is signed again with its own time)."""
    from standardwebhooks.webhooks import Webhook

    at = datetime.fromtimestamp(int(now if now is not None else time.time()), tz=UTC)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, at, payload)}  # fmt: skip


def send(client, url: str, msg_id: str, secret: str, payload: str, *, allow_private: bool) -> Attempt:
    """POST the signed body once with ``client`` (an httpx.Client; its timeout is the attempt's)."""
    import httpx

    started, at = time.perf_counter(), time.time()

    def took() -> float:
        return (time.perf_counter() - started) * 1000

    refusal = refused_address(urlsplit(url).hostname or "", allow_private)
    if refusal:
        return Attempt(False, None, took(), f"not sent: {refusal}", at)
    sent = {"content-type": "application/json", "user-agent": USER_AGENT, **headers(msg_id, secret, payload)}
    try:
        response = client.post(url, content=payload.encode(), headers=sent)
    except httpx.TimeoutException:
        return Attempt(False, None, took(), f"no answer within {client.timeout.read or 0:g} s", at)
    except httpx.HTTPError as exc:
        return Attempt(False, None, took(), f"{type(exc).__name__}: {exc}"[:300], at)
    code = response.status_code
    if 200 <= code < 300:
        return Attempt(True, code, took(), "", at)
    why = f"HTTP {code} {response.reason_phrase}".strip()
    if 300 <= code < 400:
        why += " (redirects are not followed: give the final URL)"
    return Attempt(False, code, took(), why, at)
