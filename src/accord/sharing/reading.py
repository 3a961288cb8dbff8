"""How a TAXII read runs: its work in one worker thread, in a read transaction of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from accord.prepared import Reading


async def read(work: Callable[..., Response], request: Request, *args: Any) -> Response:
    """Run a read's work in one worker thread, in a read-only transaction of its own.

    Never on the event loop, even on SQLite where a short page takes less than the hop to a
    thread: the read first checks a connection out of the pool, and under load the loop then
    waited for a connection that only requests waiting on the loop could give back (the hub
    wedged for good, tests/web/test_load.py). The session is opened and ended in that thread
    too: a request-scoped session (``DbSession``) cost the loop a generator dependency and
    a commit of the read transaction, a fifth of a page's CPU (docs/benchmarks.md).

    The transaction is a bare one on the driver's connection (``prepared.Reading``): every
    statement of these reads (the caller's token, the collection's rights, the reader's facts,
    the page) runs through ``accord.prepared``, and a session's own machinery cost them more
    CPU than the token's look-up.
    """
    return await run_in_threadpool(_in_reading, work, request, *args)


def _in_reading(work: Callable[..., Response], request: Request, *args: Any) -> Response:
    state = request.app.state
    with Reading(state.engine, state.access_cache, state.read_connections) as db:
        return work(request, db, *args)


async def read_orm(work: Callable[..., Response], request: Request, *args: Any) -> Response:
    """:func:`read` for the reads that load ORM objects (the collections): in a read-only
    session of their own."""
    return await run_in_threadpool(_in_session, work, request, *args)


def _in_session(work: Callable[..., Response], request: Request, *args: Any) -> Response:
    # Reads only (GET and HEAD: the caller's token is not marked used on a read), so the
    # transaction is ended by closing the session, which rolls it back.
    with request.app.state.reader() as db:
        return work(request, db, *args)
