"""Sign-in with an OpenID Connect provider: the authorization code flow with PKCE, for the web view.

On when ``MOVIEGEN_OIDC__ISSUER`` and ``MOVIEGEN_OIDC__CLIENT_ID`` are set (moviegen.core.settings.OidcSettings).
Both routes are open paths of the door (no token: the person is signing in):

- ``GET /auth/oidc/start?next=/p/SLUG`` sends the browser to the provider's authorization endpoint (found by
  discovery, ``{issuer}/.well-known/openid-configuration``) with a fresh ``state``, ``nonce`` and S256 PKCE
  challenge. Those three, the verifier and ``next`` travel in the ``mg_oidc`` cookie: a JWT signed with the
  brain's own HS256 key (people.py), valid ``FLOW_TTL`` seconds, on ``/auth/oidc`` only, SameSite=Lax (the
  provider's redirect back is a cross-site navigation, which does not carry a Strict cookie).
- ``GET /auth/oidc/callback?code&state`` checks that ``state`` is the cookie's and was not used before (in this
  process), exchanges the code at the token endpoint (with the PKCE verifier; ``client_secret_basic`` when a
  secret is configured), and verifies the id_token: its signature against the provider's JWKS (asymmetric
  algorithms only), ``iss``, ``aud`` = the client id, ``exp``/``iat`` and ``nonce``. The claim
  ``MOVIEGEN_OIDC__USER_CLAIM`` (``preferred_username``) must name an existing moviegen user: nobody is created.
  Then the browser gets the same token pair and cookies as a password login (web/pages.py ``signed_in``) and is
  sent on to ``next`` by a small page (a redirect would be part of the provider's cross-site chain, in which a
  browser does not send the SameSite=Strict cookies it has just been given).

Every refusal is the web view's one-line error page (403; 400 when the provider cannot be reached or answers
nonsense).
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
import httpx
import jwt
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from moviegen.core.errors import AccessDeniedError, MoviegenError, ProviderResponseError

PATHS = frozenset({"/auth/oidc/start", "/auth/oidc/callback"})
FLOW_COOKIE = "mg_oidc"
FLOW_TTL = 600  # seconds from /start to the callback
FLOW_AUDIENCE = "moviegen-oidc-flow"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY = 30  # seconds of clock difference allowed on exp and iat
TIMEOUT = 10.0


def _refused(message: str, hint: str = "start again from the login page (/login)") -> AccessDeniedError:
    return AccessDeniedError(message, hint)


def _provider_error(message: str) -> ProviderResponseError:
    return ProviderResponseError(message, "check MOVIEGEN_OIDC__ISSUER and that the identity provider is up")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Oidc:
    """One provider: its discovery document and keys (fetched on first use, the keys again for an unknown
    ``kid``), and the states already used."""

    def __init__(self, settings, people) -> None:
        self.settings, self.people = settings, people
        self.issuer = settings.issuer.rstrip("/")
        self._config: dict[str, Any] | None = None
        self._keys: dict[str, Any] = {}
        self._used: dict[str, float] = {}  # state -> when its flow expires
        self._lock = anyio.Lock()

    @property
    def label(self) -> str:
        """What the login button names: the issuer's host."""
        return urlsplit(self.issuer).hostname or self.issuer

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                r = await client.get(url)
        except httpx.HTTPError as exc:
            raise _provider_error(f"the identity provider could not be reached ({type(exc).__name__}: {url})") from exc
        if r.status_code != 200:
            raise _provider_error(f"the identity provider answered {r.status_code} for {url}")
        try:
            data = r.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise _provider_error(f"the identity provider's {url} is not a JSON object")
        return data

    async def config(self) -> dict[str, Any]:
        async with self._lock:
            if self._config is None:
                data = await self._get(self.issuer + "/.well-known/openid-configuration")
                if str(data.get("issuer", "")).rstrip("/") != self.issuer:
                    raise _provider_error(f"the discovery document names issuer {data.get('issuer')!r}, not "
                                          f"{self.issuer!r}")  # fmt: skip
                missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not data.get(k)]
                if missing:
                    raise _provider_error(f"the discovery document lacks {', '.join(missing)}")
                self._config = data
            return self._config

    async def key(self, kid: str | None) -> Any:
        """The provider's signing key ``kid`` (the only one when the token names none)."""
        for attempt in (0, 1):
            if attempt or not self._keys:
                jwks = await self._get((await self.config())["jwks_uri"])
                try:
                    keys = jwt.PyJWKSet.from_dict(jwks).keys
                except jwt.PyJWTError as exc:
                    raise _provider_error(f"the provider's JWKS has no usable key ({exc})") from exc
                self._keys = {k.key_id or "": k for k in keys if k.public_key_use in (None, "sig")}
            if kid is not None and kid in self._keys:
                return self._keys[kid]
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
        raise _refused("the id_token is signed with a key the identity provider does not publish")

    def redirect_uri(self, request: Request) -> str:
        return self.settings.redirect_url or str(request.url_for("oidc_callback"))

    # ------------------------------------------------------------------ the two steps
    async def start(self, request: Request, next_path: str) -> Response:
        config = await self.config()
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
        challenge = _b64(hashlib.sha256(verifier.encode()).digest())
        query = {"response_type": "code", "client_id": self.settings.client_id, "scope": self.settings.scope,
                 "redirect_uri": self.redirect_uri(request), "state": state, "nonce": nonce,
                 "code_challenge": challenge, "code_challenge_method": "S256"}  # fmt: skip
        endpoint = config["authorization_endpoint"]
        response = RedirectResponse(endpoint + ("&" if "?" in endpoint else "?") + urlencode(query), status_code=302)
        now = int(time.time())
        flow = {"aud": FLOW_AUDIENCE, "iat": now, "exp": now + FLOW_TTL, "state": state, "nonce": nonce,
                "verifier": verifier, "next": next_path}  # fmt: skip
        cookie = jwt.encode(flow, await anyio.to_thread.run_sync(self.people.key), algorithm="HS256")
        response.set_cookie(FLOW_COOKIE, cookie, max_age=FLOW_TTL, path="/auth/oidc", httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")  # fmt: skip
        return response

    async def callback(self, request: Request) -> tuple[str, str]:
        """The moviegen user the provider vouches for, and where to go next (raises a MoviegenError)."""
        q = request.query_params
        if q.get("error"):
            raise _refused(f"the identity provider refused the sign-in: {q.get('error')} "
                           f"{(q.get('error_description') or '')[:200]}".strip())  # fmt: skip
        flow = self._flow(request)
        code = q.get("code")
        if not code:
            raise _refused("the identity provider sent no code")
        config = await self.config()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri(request),
                "client_id": self.settings.client_id, "code_verifier": flow["verifier"]}  # fmt: skip
        secret = self.settings.client_secret
        auth = (self.settings.client_id, secret.get_secret_value()) if secret else None
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                r = await client.post(config["token_endpoint"], data=form, auth=auth,
                                      headers={"Accept": "application/json"})  # fmt: skip
        except httpx.HTTPError as exc:
            raise _provider_error(f"the token endpoint could not be reached ({type(exc).__name__})") from exc
        try:
            answer = r.json()
        except ValueError:
            answer = {}
        if r.status_code != 200 or not isinstance(answer, dict) or not answer.get("id_token"):
            detail = answer.get("error") if isinstance(answer, dict) else None
            said = f"{r.status_code}, {str(detail)[:80]}" if detail else str(r.status_code)
            raise _refused(f"the identity provider would not exchange the code ({said})")
        claims = await self.verify(str(answer["id_token"]), flow["nonce"])
        name = claims.get(self.settings.user_claim)
        if not isinstance(name, str) or not name:
            raise _refused(f"the id_token has no '{self.settings.user_claim}' claim to name a moviegen user",
                           "set MOVIEGEN_OIDC__USER_CLAIM to a claim the provider sends (e.g. email)")  # fmt: skip
        if await anyio.to_thread.run_sync(self.people.get, name) is None:
            raise _refused(f"'{name}' signed in at {self.label} but is no moviegen user",
                           f"a producer must add them first: moviegen user add {name} --role ROLE")  # fmt: skip
        return name, flow["next"]

    def _flow(self, request: Request) -> dict[str, Any]:
        held = request.cookies.get(FLOW_COOKIE)
        if not held:
            raise _refused("this sign-in was not started from this browser, or took longer than "
                           f"{FLOW_TTL // 60} minutes")  # fmt: skip
        try:
            flow = jwt.decode(held, self.people.key(), algorithms=["HS256"], audience=FLOW_AUDIENCE,
                              options={"require": ["exp", "state", "nonce", "verifier"]})  # fmt: skip
        except jwt.PyJWTError as exc:
            raise _refused(f"the sign-in's cookie is not valid ({exc})") from exc
        state = request.query_params.get("state") or ""
        if not secrets.compare_digest(state.encode(), str(flow["state"]).encode()):
            raise _refused("the sign-in's state does not match this browser's")
        now = time.time()
        self._used = {s: t for s, t in self._used.items() if t > now}
        if state in self._used:
            raise _refused("this sign-in was already used")
        self._used[state] = float(flow["exp"])
        return flow

    async def verify(self, token: str, nonce: str) -> dict[str, Any]:
        """The id_token's claims after checking its signature, iss, aud, exp, iat and nonce."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _refused(f"the id_token is not a JWT ({exc})") from exc
        if header.get("alg") not in ALGORITHMS:
            raise _refused(f"the id_token's algorithm {header.get('alg')!r} is not an asymmetric signature")
        key = await self.key(header.get("kid"))
        try:
            claims = jwt.decode(token, key.key, algorithms=[header["alg"]], audience=self.settings.client_id,
                                leeway=LEEWAY, options={"require": ["iss", "aud", "exp", "iat", "sub"]})  # fmt: skip
        except jwt.PyJWTError as exc:
            raise _refused(f"the id_token was refused: {exc}") from exc
        if str(claims["iss"]).rstrip("/") != self.issuer:  # a trailing slash is the same issuer
            raise _refused(f"the id_token was issued by {str(claims['iss'])[:100]!r}, not {self.issuer!r}")
        if not secrets.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise _refused("the id_token's nonce is not this sign-in's")
        return claims


def from_settings(settings, people) -> Oidc | None:
    return Oidc(settings, people) if settings.enabled else None


def arrived(to: str, response: Response) -> Response:
    """A page that takes the browser on to ``to`` from this site, keeping ``response``'s cookies."""
    target = html.escape(to, quote=True)
    body = (f'<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url={target}">'
            f'<title>Signed in · moviegen</title><p>Signed in. <a href="{target}">Continue</a></p>')  # fmt: skip
    page = HTMLResponse(body, headers={"Cache-Control": "no-store"})
    for name, value in response.raw_headers:
        if name == b"set-cookie":
            page.raw_headers.append((name, value))
    page.delete_cookie(FLOW_COOKIE, path="/auth/oidc")
    return page


def routes() -> list[Route]:
    from moviegen.brain.server.web.pages import safe_next, signed_in
    from moviegen.brain.server.web.render import failure

    def of(request: Request) -> Oidc:
        oidc = request.app.state.oidc
        if oidc is None:
            raise AccessDeniedError("sign-in with an identity provider is not configured on this brain",
                                    "log in with a name and password, or set MOVIEGEN_OIDC__ISSUER and "
                                    "MOVIEGEN_OIDC__CLIENT_ID")  # fmt: skip
        return oidc

    async def start(request: Request) -> Response:
        try:
            return await of(request).start(request, safe_next(request.query_params.get("next")))
        except MoviegenError as exc:
            return failure(request, exc)

    async def callback(request: Request) -> Response:
        try:
            oidc = of(request)
            name, to = await oidc.callback(request)
        except MoviegenError as exc:
            response = failure(request, exc)
            response.delete_cookie(FLOW_COOKIE, path="/auth/oidc")
            return response
        pair = await anyio.to_thread.run_sync(oidc.people.issue, name)
        return arrived(safe_next(to), signed_in(request, pair, safe_next(to)))

    return [Route("/auth/oidc/start", start, name="oidc_start"),
            Route("/auth/oidc/callback", callback, name="oidc_callback")]  # fmt: skip
