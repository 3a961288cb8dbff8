"""OpenID Connect, the client's side: discovery, PKCE, the code exchange, ID token checks.

OpenID Connect Core 1.0 §3.1 (authorization code flow), §3.1.3.7 (ID token validation);
OpenID Connect Discovery 1.0 §4; RFC 7636 (PKCE, S256 only). Every request goes through
``accord.outbound`` (non-public addresses refused unless the operator allowed them). JOSE is
joserfc's: keys picked by ``kid`` from the provider's JWKS, and only the asymmetric
algorithms below accepted, so neither ``none`` nor an HMAC keyed with a public key passes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from accord import outbound
from accord.clock import utcnow
from accord.config import Settings
from accord.errors import InvalidInput, Message, Unauthenticated
from accord.web.i18n import N_

# Asymmetric signatures only (RFC 7518 §3.1, RFC 8037): an HS* token "signed" with the
# provider's public key, or an unsigned one, never matches this list.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
# How far the provider's clock may run ahead of the hub's.
LEEWAY_SECONDS = 120


class Refusal(Unauthenticated):
    """A sign-in the hub refuses; ``reason`` is the audit log's short code."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Metadata:
    """What the hub uses of a provider's discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class Identity:
    """What a verified ID token says about the person."""

    subject: str
    email: str


def new_pkce() -> tuple[str, str]:
    """A code verifier and its S256 challenge (RFC 7636 §4.1, §4.2)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode("ascii")


def _get_json(settings: Settings, url: str, *, what: str) -> dict[str, Any]:
    try:
        with outbound.client(settings) as client, client.stream("GET", url) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > settings.outbound_max_bytes:
                    raise InvalidInput(
                        Message(
                            N_("%(what)s: larger than %(outbound_max_bytes)s bytes"),
                            what=what,
                            outbound_max_bytes=settings.outbound_max_bytes,
                        )
                    )
            if response.status_code != 200:
                raise InvalidInput(
                    Message(
                        N_("%(what)s: the provider answered %(status_code)s"),
                        what=what,
                        status_code=response.status_code,
                    )
                )
    except outbound.Refused as exc:
        raise InvalidInput(
            Message(N_("%(what)s: %(message)s"), what=what, message=exc.message), field="issuer"
        ) from None
    except httpx.HTTPError as exc:
        raise InvalidInput(
            Message(N_("%(what)s: %(kind)s"), what=what, kind=type(exc).__name__), field="issuer"
        ) from None
    try:
        found = json.loads(body)
    except ValueError:
        raise InvalidInput(Message(N_("%(what)s: not JSON"), what=what), field="issuer") from None
    if not isinstance(found, dict):
        raise InvalidInput(Message(N_("%(what)s: not a JSON object"), what=what), field="issuer")
    return found


def discover(settings: Settings, issuer: str) -> Metadata:
    """The provider's metadata, whose ``issuer`` must be exactly the one registered."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    doc = _get_json(settings, url, what="discovery")
    if doc.get("issuer") != issuer:
        raise InvalidInput(
            Message(
                N_("issuer: the provider calls itself %(detail)r"),
                detail=str(doc.get("issuer"))[:200],
            ),
            field="issuer",
        )
    values: list[str] = []
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        value = doc.get(name)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise InvalidInput(
                Message(N_("issuer: the discovery document has no %(name)s"), name=name),
                field="issuer",
            )
        values.append(value)
    methods = doc.get("code_challenge_methods_supported")
    if isinstance(methods, list) and "S256" not in methods:
        raise InvalidInput(
            N_("issuer: the provider does not support PKCE with S256"), field="issuer"
        )
    return Metadata(issuer, *values)


def authorization_url(
    metadata: Metadata, *, client_id: str, redirect_uri: str, state: str, nonce: str, challenge: str
) -> str:
    """Where the browser goes to sign in (Core §3.1.2.1)."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid email",
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return f"{metadata.authorization_endpoint}?{urlencode(query)}"


def exchange_code(
    settings: Settings,
    metadata: Metadata,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    verifier: str,
    redirect_uri: str,
) -> dict[str, Any]:
    """The token endpoint's answer to the code (Core §3.1.3), client_secret_basic."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    return _token_request(settings, metadata, client_id, client_secret, form)


def refresh(
    settings: Settings,
    metadata: Metadata,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
) -> dict[str, Any] | None:
    """A refresh grant: the answer, or None where the provider refuses it (``invalid_grant``:
    the person or the grant is gone)."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    try:
        return _token_request(settings, metadata, client_id, client_secret, form)
    except Refusal as exc:
        if exc.reason == "invalid_grant":
            return None
        raise


def _token_request(
    settings: Settings,
    metadata: Metadata,
    client_id: str,
    client_secret: str,
    form: dict[str, str],
) -> dict[str, Any]:
    try:
        with outbound.client(settings) as client:
            response = client.post(
                metadata.token_endpoint, data=form, auth=(client_id, client_secret)
            )
    except (outbound.Refused, httpx.HTTPError):
        raise Refusal(
            N_("the identity provider could not be reached"), reason="unreachable"
        ) from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise Refusal(N_("the identity provider gave no usable answer"), reason="token_endpoint")
    if response.status_code != 200:
        error = str(answer.get("error", "error"))[:64]
        raise Refusal(N_("the identity provider refused the sign-in"), reason=error)
    return answer


def verify_id_token(
    token: str, *, jwks: dict[str, Any], issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once every check of Core §3.1.3.7 passes; else :class:`Refusal`.

    The signature first (by ``kid`` against the provider's JWKS, asymmetric algorithms
    only), then ``iss``, ``aud``, ``azp``, ``exp``, ``iat`` and ``nonce``.
    """
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        decoded = jwt.decode(token, keys, algorithms=ALGORITHMS)
    except (JoseError, ValueError, KeyError, TypeError):
        raise Refusal(N_("the ID token's signature is not valid"), reason="signature") from None
    claims: dict[str, Any] = dict(decoded.claims)
    if claims.get("iss") != issuer:
        raise Refusal(N_("the ID token comes from another issuer"), reason="issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise Refusal(N_("the ID token was issued to another client"), reason="audience")
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
        raise Refusal(N_("the ID token was issued to another client"), reason="azp")
    now = utcnow().timestamp()
    expires, issued = claims.get("exp"), claims.get("iat")
    if not isinstance(expires, int | float) or expires + LEEWAY_SECONDS < now:
        raise Refusal(N_("the ID token has expired"), reason="expired")
    if not isinstance(issued, int | float) or issued - LEEWAY_SECONDS > now:
        raise Refusal(N_("the ID token was issued in the future"), reason="iat")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise Refusal(N_("the ID token does not answer this sign-in"), reason="nonce")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Refusal(N_("the ID token names nobody"), reason="subject")
    return claims


def fetch_jwks(settings: Settings, metadata: Metadata) -> dict[str, Any]:
    """The provider's public keys."""
    return _get_json(settings, metadata.jwks_uri, what="jwks")


def identity(claims: dict[str, Any], *, allowed_domains: list[str]) -> Identity:
    """The person, once their address is verified and in one of the allowed domains."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise Refusal(N_("the identity provider sent no e-mail address"), reason="email")
    if claims.get("email_verified") is not True:
        raise Refusal(
            N_("the identity provider has not verified this address"), reason="unverified"
        )
    domain = email.rsplit("@", 1)[1].lower()
    if domain not in allowed_domains:
        raise Refusal(N_("this address's domain is not allowed here"), reason="domain")
    return Identity(subject=claims["sub"], email=email.lower())
