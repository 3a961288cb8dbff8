"""FastAPI dependencies: the session, the settings, the actor and the policy guards.

Every route takes a guard (``guard(Action.X)`` or ``org_guard(Action.X)``), which resolves the
caller and asks :mod:`accord.identity.policy`; the route-coverage test fails if one does not.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker

from accord import prepared
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Unauthenticated
from accord.identity import access, sessions
from accord.identity.models import Organization
from accord.identity.policy import ANONYMOUS, Action, Actor, authorize, require_fresh_factor
from accord.identity.ratelimit import RateLimiter
from accord.identity.services import get_org
from accord.web.credentials import SESSION_COOKIE as SESSION_COOKIE
from accord.web.credentials import TAXII_PREFIX as TAXII_PREFIX
from accord.web.credentials import Lookup, credential_of
from accord.web.direct_routes import DIRECT_DEPENDENCY
from accord.web.guarded_writes import attach_for_write, writes_later
from accord.web.request_session import ADMITTED_AS_READ as ADMITTED_AS_READ
from accord.web.request_session import READ_METHODS as READ_METHODS
from accord.web.request_session import admitted_as_read as admitted_as_read
from accord.web.request_session import get_db, stamp_before_commit

GUARD_ATTRIBUTE = "__accord_action__"


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency on its
# thread pool, and that hop (a queue, a thread switch and back) costs more than their work.
# Those that touch the database keep it off the event loop, in one hop each.


async def get_settings(request: Request) -> Settings:
    """The hub's settings, from the application that serves this request."""
    settings: Settings = request.app.state.settings
    return settings


async def get_sessionmaker(request: Request) -> sessionmaker[Session]:
    """The session factory of the hub database."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    return factory


async def get_reader(request: Request) -> sessionmaker[Session]:
    """The read-only session factory, for routes that manage their own sessions."""
    reader: sessionmaker[Session] = request.app.state.reader
    return reader


async def get_limiter(request: Request) -> RateLimiter:
    """The rate limiter shared by every process of the hub."""
    limiter: RateLimiter = request.app.state.limiter
    return limiter


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbSession = Annotated[Session, Depends(get_db, scope="function")]
Limiter = Annotated[RateLimiter, Depends(get_limiter)]
Reader = Annotated[sessionmaker[Session], Depends(get_reader)]


def state_value(request: Request, name: str) -> Any:
    """``getattr(request.state, name, None)``, read from the dict Starlette keeps the
    request's state in (``scope["state"]``, which ``request.state`` reads and writes): a name
    not set yet cost Starlette's ``State`` a ``KeyError`` caught and an ``AttributeError``
    formatted, raised and caught, on every API and TAXII request (its caller, looked up
    once a request)."""
    found = request.scope.get("state")
    return None if found is None else found.get(name)


def client_ip(request: Request) -> str | None:
    """The client's address as the hub sees it (a proxy in front must set it right)."""
    # The scope's (host, port), as ``request.client`` reads it, without its named tuple.
    found = request.scope.get("client")
    host: str | None = found[0] if found is not None else None
    return host


async def current_actor(request: Request, db: DbSession) -> Actor:
    """Who is calling: a bearer token on the API, a session cookie on pages, else anonymous.

    The API ignores cookies, so a page that a signed-in user visits elsewhere cannot drive the
    API on that user's behalf (no CSRF on the API by construction). A request without a
    credential is answered without touching the database.
    """
    cached: Actor | None = state_value(request, "actor")
    if cached is not None:
        return cached
    lookup = credential_of(request)
    if lookup is None:
        return resolve_actor(request, db)
    if not admitted_as_read(request):
        return await run_in_threadpool(_writer, request, db, lookup)
    return await run_in_threadpool(resolve_actor, request, db)


def _writer(request: Request, db: Session, lookup: Lookup) -> Actor:
    """The caller of a write, looked up through a read-only session of its own.

    On SQLite the request's session takes the one write turn at its first statement and
    keeps it until its commit, every thread hop between included: looked up there, the
    token or the browser's session held the turn through the guard's hop too, while the
    writers behind waited. That the caller just changed something (a token's or a browser
    session's "last used") is written in the request's own transaction, just before its
    commit, so a failed request leaves it as it was.
    """
    with request.app.state.reader() as reader:
        actor = resolve_actor(request, reader, record_use=False)
    credential: access.Credential | None = getattr(request.state, "credential", None)
    if credential is not None and access.use_due(credential):
        stamp_before_commit(db, partial(access.mark_used, credential=credential))
    elif lookup.cookie and actor.user_id is not None:
        stamp_before_commit(db, partial(sessions.mark_used, secret=lookup.secret))
    return actor


# ``resolve_actor``'s default: the request's credential not read yet.
_UNREAD: Any = object()


def resolve_actor(
    request: Request, db: prepared.Reads, *, record_use: bool = True, lookup: Any = _UNREAD
) -> Actor:
    """:func:`current_actor` in the calling thread (a worker thread when it reads the database).

    Without ``record_use`` a writing request's token is not marked as used here: the route
    does it with :func:`record_use` in a transaction of its choice. ``lookup``: the request's
    credential (:func:`credential_of`) when the caller already read it.
    """
    cached: Actor | None = state_value(request, "actor")
    if cached is not None:
        return cached
    ip = client_ip(request)
    if lookup is _UNREAD:
        lookup = credential_of(request)
    if lookup is None:
        actor = Actor(ip_address=ip) if ip else ANONYMOUS
    else:
        writes = record_use and not admitted_as_read(request)
        actor = _resolve(request, db, lookup, ip=ip, writes=writes)
    request.state.actor = actor
    return actor


def record_use(request: Request, sessions: sessionmaker[Session]) -> None:
    """Mark the caller's token as used, in a transaction of its own, if it is due (once a
    minute): for routes whose guard was told not to (``deferred_guard(record_use=False)``)."""
    if use_due(request):
        with unit_of_work(sessions) as db:
            access.mark_used(db, request.state.credential)


def use_due(request: Request) -> bool:
    """Whether the caller's token is due to be marked used (:func:`record_use`)."""
    credential: access.Credential | None = getattr(request.state, "credential", None)
    return credential is not None and access.use_due(credential)


def _resolve(
    request: Request, db: prepared.Reads, lookup: Lookup, *, ip: str | None, writes: bool
) -> Actor:
    need = request.app.state.settings.operators_need_second_factor
    if lookup.cookie:
        # An unknown or expired cookie is no credential at all: the visitor is anonymous.
        actor = access.session_actor(db, lookup.secret, ip_address=ip, operators_need_factor=need)
        if actor is not None and writes:
            sessions.mark_used(_writing(db), lookup.secret)
        return actor or (Actor(ip_address=ip) if ip else ANONYMOUS)
    found = access.token_actor(
        db, lookup.secret, ip_address=ip, username=lookup.username, operators_need_factor=need
    )
    if found is None:
        raise Unauthenticated("this API token is unknown, expired or revoked")
    request.state.credential = found
    if writes:
        # Recorded in the request's own (writing) transaction: reads (GETs, look-ups,
        # queries) stay read-only, so this reads "last used to change something"; a failed
        # request leaves it as it was.
        access.mark_used(_writing(db), found)
    return found.actor


def _writing(db: prepared.Reads) -> Session:
    """The session a writing request's caller is stamped in: never a bare reading
    (:class:`accord.prepared.Reading`), which serves reads only."""
    if not isinstance(db, Session):
        raise TypeError("a write's caller is looked up in its own session")
    return db


CurrentActor = Annotated[Actor, Depends(current_actor)]


def step_up(request: Request, actor: Actor) -> None:
    """Ask a browser for a fresh second factor before a sensitive action (the policy decides
    whom it asks: :func:`accord.identity.policy.require_fresh_factor`)."""
    settings: Settings = request.app.state.settings
    require_fresh_factor(actor, max_age=timedelta(minutes=settings.step_up_minutes), now=utcnow())


async def fresh_factor(request: Request, db: DbSession) -> None:
    """A dependency for a sensitive route: declared after its guard, it asks a browser whose
    last proof of a second factor is too old to prove it again (:func:`step_up`)."""
    step_up(request, await current_actor(request, db))


FreshFactor = Annotated[None, Depends(fresh_factor)]


def guard(action: Action, *, fresh: bool = False) -> Any:
    """A dependency that lets the request through only if the policy allows ``action``;
    ``fresh``: a sensitive action, for which a browser proves its second factor again."""

    # The actor is resolved here rather than through a nested ``Depends(current_actor)``:
    # each level of dependencies costs FastAPI a solving pass on every request.
    async def dependency(request: Request, db: DbSession) -> Actor:
        actor = await current_actor(request, db)
        authorize(actor, action)
        if fresh:
            step_up(request, actor)
        return actor

    setattr(dependency, GUARD_ATTRIBUTE, action)
    return Depends(dependency)


@dataclass
class Caller:
    """A caller let through to a route that looks it up itself, with the rest of its work.

    For async routes that do all their database work in one place (one worker thread, or the
    loop for short local reads): looking the caller up in a thread hop of its own, then the
    route's work in another, cost two queue round trips and thread switches per request, more
    than the token's query. :meth:`actor` is the guard's check, made before anything else
    reads the database.
    """

    request: Request
    action: Action
    record_use: bool = True
    # The request's credential as the guard read it (None: anonymous).
    lookup: Lookup | None = field(default=None, repr=False)
    _actor: Actor | None = field(default=None, repr=False)

    def actor(self, db: prepared.Reads) -> Actor:
        """The caller, authenticated and authorized for the guard's action (or an error);
        looked up once per request, however many steps of the route ask."""
        if self._actor is None:
            actor = resolve_actor(self.request, db, record_use=self.record_use, lookup=self.lookup)
            authorize(actor, self.action)
            self._actor = actor
        return self._actor


def deferred_guard(
    action: Action,
    *,
    record_use: bool = True,
    first: Callable[[Request], None] | None = None,
) -> Any:
    """Like :func:`guard`, for a route that calls :meth:`Caller.actor` where it reads; without
    ``record_use``, a writing route marks the token used itself (:func:`record_use`).

    ``first``: a check of the request that reads nothing (TAXII's Accept header), made before
    the credential's: one dependency where a router-level one would cost FastAPI a second
    solving pass on every request of a hot route.
    """

    async def dependency(request: Request) -> Caller:
        if first is not None:
            first(request)
        # A malformed Authorization header is refused here, before the route, as by ``guard``.
        lookup = credential_of(request)
        return Caller(request=request, action=action, record_use=record_use, lookup=lookup)

    setattr(dependency, GUARD_ATTRIBUTE, action)
    # It takes the request alone and reads nothing: a DirectRoute may call it itself.
    setattr(dependency, DIRECT_DEPENDENCY, True)
    return Depends(dependency)


@dataclass(frozen=True)
class OrgAccess:
    """An organization from the path, and the actor the policy let act on it."""

    actor: Actor
    org: Organization


def org_guard(action: Action, *, fresh: bool = False) -> Any:
    """Like :func:`guard`, for routes on ``/.../{slug}/...``: loads that organization first."""

    def dependency(request: Request, slug: str, actor: CurrentActor, db: DbSession) -> OrgAccess:
        later = writes_later(db, reads=admitted_as_read(request))
        with request.app.state.reader() if later else nullcontext(db) as reading:
            org = get_org(reading, slug)
        authorize(actor, action, org_id=org.id)
        if later:
            org = attach_for_write(db, org, actor, action, org_id=org.id)
        if fresh:
            step_up(request, actor)
        return OrgAccess(actor=actor, org=org)

    setattr(dependency, GUARD_ATTRIBUTE, action)
    return Depends(dependency)


def guarded_actions(call: Callable[..., Any]) -> Action | None:
    """The action a dependency guards, if it is a guard (used by the route-coverage test)."""
    return getattr(call, GUARD_ATTRIBUTE, None)
