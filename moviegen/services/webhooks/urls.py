"""Where a webhook may point. The producer who adds a webhook answers for its receiver; the brain only keeps
itself from being turned against its own network: http(s) only, no credentials in the URL, and — unless
``allow_private`` (MOVIEGEN_WEBHOOKS__ALLOW_PRIVATE) — no loopback, private, link-local or reserved address,
checked when the webhook is added and again before every delivery (a name may change what it points to).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from moviegen.core.errors import UsageError

MAX_URL = 2000
EXAMPLE = "give the receiver's full URL, e.g. https://example.com/hooks"


def check_url(url: str, allow_private: bool) -> str:
    """The URL, if a webhook may point there; else UsageError saying why."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise UsageError(f"'{url}' is not a URL", EXAMPLE) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"'{url}' is not an http(s) URL", EXAMPLE)
    if parts.username is not None or parts.password is not None:
        raise UsageError("the webhook URL carries a user name or password",
                         "remove them: receivers check each delivery's signature instead")  # fmt: skip
    if len(url) > MAX_URL:
        raise UsageError(f"the webhook URL is {len(url):,} characters; the limit is {MAX_URL:,}")
    refusal = refused_address(parts.hostname, allow_private)
    if refusal:
        raise UsageError(refusal, "point it at a public address, or set MOVIEGEN_WEBHOOKS__ALLOW_PRIVATE=1 on "
                                  "the brain to allow addresses of its own network")  # fmt: skip
    return url


def refused_address(host: str, allow_private: bool) -> str | None:
    """Why the brain will not send to ``host`` (None: it will). Resolves names."""
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        return f"cannot resolve {host}: {exc.args[-1] if exc.args else exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return f"{host} is a loopback, private or reserved address ({address})"
    return None
