"""The request's database session: one unit of work, committed where the route's work ran.

Admission decides whether a request is a read or a write (:data:`ADMITTED_AS_READ`); a read
gets a read-only session, which on SQLite never takes the one write turn, a write a writing
session, committed when the route returns and rolled back if it raises.

On SQLite a writing session takes the write turn at its first statement and keeps it until its
commit. A plain ``def`` route runs on a worker thread, but its answer is then validated in a
second thread hop and the commit, at the dependency's exit, would take a third, each waiting
for the event loop, which under load has hundreds of requests to serve first: the turn was held
about 50 ms a write for a few milliseconds of work, while the writers behind it waited. So the
route's own thread commits as soon as the route returns (:func:`commits_where_it_ran`); the
dependency's exit then only closes the session.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from inspect import iscoroutinefunction
from typing import Any

from fastapi import Request, Response
from fastapi._compat import ModelField
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

# The scope key where admission (accord.web.admission) leaves whether it let the request in as
# a read: the one classification of a route, which the session and the token stamp follow.
ADMITTED_AS_READ = "accord.admitted_as_read"
READ_METHODS = frozenset({"GET", "HEAD"})
# What a writing request records about its caller (the token or browser session "last used"),
# waiting in its session's ``info`` to be written just before its commit.
STAMP = "accord.caller_to_stamp"
# The writing session of the request being served, for its route's thread to commit.
_WRITING: ContextVar[Session | None] = ContextVar("accord_writing_session", default=None)


def admitted_as_read(request: Request) -> bool:
    """Whether the request was admitted as a read (else by its method, outside admission)."""
    reads: bool | None = request.scope.get(ADMITTED_AS_READ)
    return request.method in READ_METHODS if reads is None else reads


def stamp_before_commit(db: Session, stamp: Callable[[Session], None]) -> None:
    """Have ``stamp`` write in ``db``'s transaction just before it commits (never if the
    request fails), rather than as the transaction's first statement."""
    db.info[STAMP] = stamp


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One unit of work per request: committed when the route returns, else rolled back.

    Used with ``scope="function"`` so that the commit happens before the response is sent:
    a client never sees success for a change that failed to commit.
    """
    # Reads (GETs, and the POSTs that only read) get a read-only session: on SQLite it never
    # takes the write turn, which the writers wait in line for.
    reads = admitted_as_read(request)
    state = request.app.state
    # Opening a session does no I/O: it connects on its first statement.
    session: Session = (state.reader if reads else state.sessionmaker)()
    # The page's header reads the viewer's organizations through it (web.rendering).
    request.state.db = session
    if not reads:
        _WRITING.set(session)
    try:
        yield session
    except BaseException:
        request.state.db = None
        _WRITING.set(None)
        await _end(session, commit=False, reads=reads)
        raise
    request.state.db = None
    _WRITING.set(None)
    await _end(session, commit=True, reads=reads)


async def _end(session: Session, *, commit: bool, reads: bool) -> None:
    stamps = commit and STAMP in session.info
    if not stamps and (
        not session.in_transaction()
        or (reads and not (session.new or session.dirty) and _local(session))
    ):
        # Nothing began (or the route's thread committed already), or a read-only transaction
        # on SQLite: ending it writes nothing, waits for nothing and costs less than the hop to
        # a thread. PostgreSQL's ROLLBACK is a round trip to a server that may be slow under
        # load: never on the event loop.
        _finish(session, commit=commit)
    else:
        # A write (or the caller's stamp, which writes): the commit waits for the disk
        # (synchronous=FULL) or the server; off the loop.
        await run_in_threadpool(_finish, session, commit=commit)


def _local(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _finish(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            _commit(session)
        elif session.in_transaction():
            session.rollback()
    finally:
        session.close()


def _commit(session: Session) -> None:
    """Write the caller's stamp, then commit; rolled back if either fails. The session stays
    open: what the answer reads next begins a transaction of its own."""
    stamp: Callable[[Session], None] | None = session.info.pop(STAMP, None)
    try:
        if stamp is not None:
            stamp(session)
        if session.in_transaction():
            session.commit()
    except BaseException:
        session.rollback()
        raise


def commits_where_it_ran(routes: list[BaseRoute]) -> None:
    """Have every plain ``def`` route of ``routes`` commit its request's writing session in its
    own worker thread, as it returns (the module's docstring says why).

    FastAPI calls the route's dependant (what integrations wrap), and builds the dependant of
    each router that includes it again from its endpoint: both are wrapped, before the router
    is included (FastAPI reads the parameters through the wrapper, from the route itself).
    """
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        call = route.endpoint
        if iscoroutinefunction(call) or getattr(call, _WRAPPED, False):
            continue
        route.endpoint = route.dependant.call = _committing(call, route.response_field)


_WRAPPED = "__accord_commits_where_it_ran__"


def _committing(call: Callable[..., Any], answer_model: ModelField | None) -> Callable[..., Any]:
    @functools.wraps(call)
    def route(*args: Any, **kwargs: Any) -> Any:
        answer = call(*args, **kwargs)
        session = _WRITING.get()
        if session is not None and _answer_fits(answer, answer_model):
            _commit(session)
        # An answer its model refuses is left uncommitted: FastAPI answers 500 for it after
        # this returns, and the dependency's exit then rolls the write back, as it did before
        # the commit moved here (a client never gets a 500 for a change that was kept).
        return answer

    setattr(route, _WRAPPED, True)
    return route


def _answer_fits(answer: Any, answer_model: ModelField | None) -> bool:
    """Whether FastAPI will accept ``answer`` against the route's response model (checked once
    more here, on writes only, so that the commit can come first)."""
    if answer_model is None or isinstance(answer, Response):
        return True
    _, errors = answer_model.validate(answer, {}, loc=("response",))
    return not errors
