"""The CSRF check of every state-changing page request, on top of the cookies' SameSite=Strict.

Double submit: a page hands the browser a random token in the ``mg_csrf`` cookie and in the page itself; htmx
sends it back as the ``X-CSRF-Token`` header (``hx-headers`` on the body) and a plain form as its ``csrf``
field. A forged request from another site can make the browser send the cookie (were SameSite not there) but
cannot read it, so it cannot send the same value.
"""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "mg_csrf"
HEADER = "x-csrf-token"
FIELD = "csrf"


_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,128}")


def token_of(request: Request) -> str:
    """The token this browser holds, or a new one (set it with ``remember``)."""
    held = request.cookies.get(COOKIE, "")
    return held if _TOKEN.fullmatch(held) else secrets.token_urlsafe(32)


def remember(request: Request, response: Response, token: str) -> None:
    if request.cookies.get(COOKIE) != token:
        response.set_cookie(COOKIE, token, httponly=False, samesite="strict", secure=request.url.scheme == "https",
                            path="/")  # fmt: skip


async def passes(request: Request) -> bool:
    """Whether a state-changing request carries the browser's token (header, or form field)."""
    held = request.cookies.get(COOKIE, "")
    if not _TOKEN.fullmatch(held):
        return False
    sent = request.headers.get(HEADER)
    if sent is None:
        form = await request.form()
        sent = form.get(FIELD)
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), held.encode())
