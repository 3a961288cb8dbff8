"""FastAPI dependencies: the session, the settings, the actor and the policy guards.

Every route takes a guard (``guard(Action.X)`` or ``org_guard(Action.X)``), which resolves the
caller and asks :mod:`accord.identity.policy`; the route-coverage test fails if one does not.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Unauthenticated
from accord.identity import access
from accord.identity.models import ApiToken, Organization, User
from accord.identity.policy import ANONYMOUS, Action, Actor, authorize
from accord.identity.ratelimit import RateLimiter
from accord.identity.services import actor_for, get_org

SESSION_COOKIE = "accord_session"
TAXII_PREFIX = "/taxii2/"
GUARD_ATTRIBUTE = "__accord_action__"


def get_settings(request: Request) -> Settings:
    """The hub's settings, from the application that serves this request."""
    settings: Settings = request.app.state.settings
    return settings


def get_sessionmaker(request: Request) -> sessionmaker[Session]:
    """The session factory of the hub database."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


def get_reader(request: Request) -> sessionmaker[Session]:
    """The read-only session factory, for routes that manage their own sessions."""
    reader: sessionmaker[Session] = request.app.state.reader
    return reader


def get_limiter(request: Request) -> RateLimiter:
    """The rate limiter shared by every process of the hub."""
    limiter: RateLimiter = request.app.state.limiter
    return limiter


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the route returns, else rolled back.

    Used with ``scope="function"`` so that the commit happens before the response is sent:
    a client never sees success for a change that failed to commit.
    """
    reads = request.method in ("GET", "HEAD")
    state = request.app.state
    with unit_of_work(state.reader if reads else state.sessionmaker) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_db, scope="function")]
Limiter = Annotated[RateLimiter, Depends(get_limiter)]
Reader = Annotated[sessionmaker[Session], Depends(get_reader)]


def client_ip(request: Request) -> str | None:
    """The client's address as the hub sees it (a proxy in front must set it right)."""
    return request.client.host if request.client else None


def current_actor(request: Request, db: DbSession) -> Actor:
    """Who is calling: a bearer token on the API, a session cookie on pages, else anonymous.

    The API ignores cookies, so a page that a signed-in user visits elsewhere cannot drive the
    API on that user's behalf (no CSRF on the API by construction).
    """
    cached: Actor | None = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    actor = _resolve(request, db)
    request.state.actor = actor
    return actor


def _resolve(request: Request, db: Session) -> Actor:
    ip = client_ip(request)
    header = request.headers.get("authorization")
    taxii = request.url.path.startswith(TAXII_PREFIX)
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if taxii and scheme.lower() == "basic":
            # TAXII clients speak HTTP Basic: the username and an API token as the password.
            # Never an account password: tokens are scoped, revocable and cheap to check.
            found = _basic_token_user(db, secret.strip())
        elif scheme.lower() != "bearer" or not secret:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        else:
            found = access.token_user(db, secret.strip())
        if found is None:
            raise Unauthenticated("this API token is unknown, expired or revoked")
        user, token = found
        if request.method not in ("GET", "HEAD"):
            # Recorded in the request's own (writing) transaction: GETs stay read-only, so
            # this reads "last used to change something"; a failed request leaves it as it was.
            access.touch_token(token)
        return actor_for(db, user, ip_address=ip, token_scope=token.scope)
    if not request.url.path.startswith("/api/") and not taxii:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            session_user = access.session_user(db, cookie)
            if session_user is not None:
                return actor_for(db, session_user, ip_address=ip)
    return Actor(ip_address=ip) if ip else ANONYMOUS


def _basic_token_user(db: Session, credentials: str) -> tuple[User, ApiToken] | None:
    try:
        username, _, secret = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise Unauthenticated("the Basic credentials are not base64 of 'user:token'") from None
    found = access.token_user(db, secret)
    if found is None or found[0].username != username:
        return None
    return found


CurrentActor = Annotated[Actor, Depends(current_actor)]


def guard(action: Action) -> Any:
    """A dependency that lets the request through only if the policy allows ``action``."""

    def dependency(actor: CurrentActor) -> Actor:
        authorize(actor, action)
        return actor

    setattr(dependency, GUARD_ATTRIBUTE, action)
    return Depends(dependency)


@dataclass(frozen=True)
class OrgAccess:
    """An organization from the path, and the actor the policy let act on it."""

    actor: Actor
    org: Organization


def org_guard(action: Action) -> Any:
    """Like :func:`guard`, for routes on ``/.../{slug}/...``: loads that organization first."""

    def dependency(slug: str, actor: CurrentActor, db: DbSession) -> OrgAccess:
        org = get_org(db, slug)
        authorize(actor, action, org_id=org.id)
        return OrgAccess(actor=actor, org=org)

    setattr(dependency, GUARD_ATTRIBUTE, action)
    return Depends(dependency)


def guarded_actions(call: Callable[..., Any]) -> Action | None:
    """The action a dependency guards, if it is a guard (used by the route-coverage test)."""
    return getattr(call, GUARD_ATTRIBUTE, None)
