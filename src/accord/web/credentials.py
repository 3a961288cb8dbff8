"""The credential a request carries: a token (Bearer, or HTTP Basic on TAXII) or, on pages, a
browser session's cookie. Read from the headers alone; ``accord.web.deps`` looks it up."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from fastapi import Request

from accord.errors import Unauthenticated
from accord.web.security import cookie_name

SESSION_COOKIE = "accord_session"
TAXII_PREFIX = "/taxii2/"


@dataclass(frozen=True)
class Lookup:
    """A credential to check: a token (with the user it must belong to, for Basic) or a cookie."""

    secret: str
    cookie: bool = False
    username: str | None = None


def credential_of(request: Request) -> Lookup | None:
    """The credential the request carries (None: anonymous); 401 if it is malformed."""
    header = request.headers.get("authorization")
    # The scope's path, not ``request.url``: building the URL object costs more than the rest.
    path: str = request.scope["path"]
    taxii = path.startswith(TAXII_PREFIX)
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if taxii and scheme.lower() == "basic":
            # TAXII clients speak HTTP Basic: the username and an API token as the password.
            # Never an account password: tokens are scoped, revocable and cheap to check.
            return _basic(secret.strip())
        if scheme.lower() != "bearer" or not secret:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        return Lookup(secret=secret.strip())
    if not path.startswith("/api/") and not taxii:
        cookie = request.cookies.get(cookie_name(SESSION_COOKIE, request.app.state.settings))
        if cookie:
            return Lookup(secret=cookie, cookie=True)
    return None


def _basic(credentials: str) -> Lookup:
    try:
        username, _, secret = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise Unauthenticated("the Basic credentials are not base64 of 'user:token'") from None
    return Lookup(secret=secret, username=username)
