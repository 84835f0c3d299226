"""A local OpenID Connect provider over real HTTP on 127.0.0.1, following the spec's shapes (OIDC Core 1.0,
Discovery 1.0, RFC 7636 PKCE):

- ``GET /.well-known/openid-configuration``: issuer, authorization/token endpoints, jwks_uri, the supported
  response types, algorithms and PKCE methods;
- ``GET /jwks``: the public half of an RSA key generated per instance (``kid`` "test-key");
- ``GET /authorize``: checks response_type=code, client_id, redirect_uri, an S256 code_challenge, state and
  nonce, then auto-approves ``user`` (no login page): 302 to ``redirect_uri?code=…&state=…``;
- ``POST /token`` (form): grant_type=authorization_code, the code (single use, 60 s), client_id (and the
  secret, by HTTP Basic or in the form, when the client has one), the same redirect_uri and the PKCE verifier;
  answers ``{"access_token", "token_type": "Bearer", "expires_in", "id_token"}`` with an RS256 id_token
  (iss, aud, exp, iat, nonce, sub, preferred_username, email), or ``{"error": "invalid_grant" | …}`` 400/401.

Tests misbehave it on purpose with ``tamper`` (claims to override in the next id_tokens) and ``rogue_key``
(sign with another key under the same kid).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes._http import handler, send_json

KID = "test-key"


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeOidc:
    def __init__(self, client_id: str = "moviegen", client_secret: str | None = None,
                 user: dict | None = None) -> None:  # fmt: skip
        self.client_id, self.client_secret = client_id, client_secret
        self.user = user or {"sub": "u-1", "preferred_username": "dan", "email": "dan@example.com"}
        self.key, self.rogue_key = _new_key(), None
        self.tamper: dict = {}  # claims to override in id_tokens (None removes one)
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler(self._handle))
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOidc:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ documents
    def discovery(self) -> dict:
        return {"issuer": self.issuer, "authorization_endpoint": self.issuer + "/authorize",
                "token_endpoint": self.issuer + "/token", "jwks_uri": self.issuer + "/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile", "email"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"]}  # fmt: skip

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "RS256"}]}

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "exp": now + 300, "iat": now, "nonce": nonce,
                  **self.user}  # fmt: skip
        for name, value in self.tamper.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return jwt.encode(claims, self.rogue_key or self.key, algorithm="RS256", headers={"kid": KID})

    # ------------------------------------------------------------------ HTTP
    def _handle(self, req) -> None:
        url = urlsplit(req.path)
        if req.command == "GET" and url.path == "/.well-known/openid-configuration":
            return send_json(req, 200, self.discovery())
        if req.command == "GET" and url.path == "/jwks":
            return send_json(req, 200, self.jwks())
        if req.command == "GET" and url.path == "/authorize":
            return self._authorize(req, {k: v[0] for k, v in parse_qs(url.query).items()})
        if req.command == "POST" and url.path == "/token":
            length = int(req.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(req.rfile.read(length).decode()).items()}
            return self._token(req, form)
        send_json(req, 404, {"error": "not_found"})

    def _authorize(self, req, q: dict) -> None:
        problems = [
            q.get("response_type") != "code" and "response_type must be code",
            q.get("client_id") != self.client_id and "unknown client_id",
            not q.get("redirect_uri") and "redirect_uri is required",
            "openid" not in (q.get("scope") or "").split() and "scope must include openid",
            q.get("code_challenge_method") != "S256" and "code_challenge_method must be S256",
            not q.get("code_challenge") and "code_challenge is required",
            not q.get("state") and "state is required",
            not q.get("nonce") and "nonce is required",
        ]
        problems = [p for p in problems if p]
        if problems:
            return send_json(req, 400, {"error": "invalid_request", "error_description": "; ".join(problems)})
        code = secrets.token_urlsafe(16)
        self.codes[code] = {"client_id": q["client_id"], "redirect_uri": q["redirect_uri"], "nonce": q["nonce"],
                            "challenge": q["code_challenge"], "expires": time.time() + 60}  # fmt: skip
        target = q["redirect_uri"] + ("&" if "?" in q["redirect_uri"] else "?")
        req.send_response(302)
        req.send_header("Location", target + urlencode({"code": code, "state": q["state"]}))
        req.send_header("Content-Length", "0")
        req.end_headers()

    def _token(self, req, form: dict) -> None:
        self.token_requests.append(form)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = req.headers.get("Authorization") or ""
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != self.client_id or (self.client_secret is not None and secret != self.client_secret):
            return send_json(req, 401, {"error": "invalid_client"})
        if form.get("grant_type") != "authorization_code":
            return send_json(req, 400, {"error": "unsupported_grant_type"})
        grant = self.codes.pop(form.get("code") or "", None)  # a code works once
        if grant is None or grant["expires"] < time.time() or grant["client_id"] != client_id:
            return send_json(req, 400, {"error": "invalid_grant", "error_description": "unknown or used code"})
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return send_json(req, 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"})
        verifier = form.get("code_verifier") or ""
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or challenge != grant["challenge"]:
            return send_json(req, 400, {"error": "invalid_grant", "error_description": "PKCE verifier mismatch"})
        send_json(req, 200, {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300,
                             "id_token": self.id_token(grant["nonce"])}, {"Cache-Control": "no-store"})  # fmt: skip
