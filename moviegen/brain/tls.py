"""How a client trusts a brain served over TLS (``wss://``, ``https://``).

- By default, the system's trust store and the host name in the URL, as a browser would.
- With a CA file (``--ca FILE`` or MOVIEGEN_BRAIN_CA): only that file's certificates are trusted, the host name
  is still checked. The file may hold the CA that signed the brain's certificate or, for a self-signed brain,
  that certificate itself (partial chains are accepted, as Python 3.13 does by default).
- A brain this user started with ``moviegen up --tls-cert``: its own certificate, pinned (the file named in
  the daemon's state file is the only trust anchor, so the host name need not match: the daemon is reached at
  127.0.0.1 whatever names its certificate carries).
"""

from __future__ import annotations

import os
import ssl
from pathlib import Path

from moviegen.core.errors import UsageError

CA_ENV = "MOVIEGEN_BRAIN_CA"
CA_HINT = "pass --ca FILE (or set MOVIEGEN_BRAIN_CA) for a self-signed one"


def ca_from_env() -> str | None:
    return os.environ.get(CA_ENV) or None


def client_context(ca: str | os.PathLike | None = None) -> ssl.SSLContext:
    """The system's trust store, or only ``ca``'s certificates; host names checked either way."""
    if ca is None:
        return ssl.create_default_context()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED are its defaults
    _load(context, ca)
    return context


def pinned_context(cert: str | os.PathLike) -> ssl.SSLContext:
    """Trust exactly the certificate in ``cert`` (a brain this user started), whatever host names it carries."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False  # the only trust anchor is this certificate: whoever holds its key is the brain
    _load(context, cert)
    return context


def _load(context: ssl.SSLContext, path: str | os.PathLike) -> None:
    if not Path(path).is_file():
        raise UsageError(f"no CA file at {path}", "give --ca (or MOVIEGEN_BRAIN_CA) a PEM file of certificates")
    try:
        context.load_verify_locations(cafile=os.fspath(path))
    except ssl.SSLError as exc:
        raise UsageError(f"{path} holds no certificate: {exc.reason or exc}", "give a PEM file") from None
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN


def context_for(url: str, ca: str | os.PathLike | ssl.SSLContext | None) -> ssl.SSLContext | None:
    """The TLS context for a ``wss://``/``https://`` URL (None for ``ws://``/``http://``)."""
    if not url.startswith(("wss://", "https://")):
        return None
    return ca if isinstance(ca, ssl.SSLContext) else client_context(ca)


def why(exc: ssl.SSLError) -> str:
    """A TLS failure in a few words ('certificate has expired', 'wrong version number')."""
    return getattr(exc, "verify_message", None) or exc.reason or str(exc)
