"""How a TAXII read runs: in a read transaction of its own, on the event loop when it is
short and bounded, else in one worker thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from accord.prepared import Reading
from accord.web.loop_reads import on_loop


async def read(work: Callable[..., Response], request: Request, *args: Any) -> Response:
    """Run a read's work in a read-only transaction of its own: on the event loop if it can
    be done there without waiting, else in one worker thread.

    Over HTTP the hop to a worker thread and back (a queue, a condition, the interpreter lock
    handed over twice, the loop woken) cost a kept page of 100 about as much CPU as all of
    the page's own work (docs/benchmarks.md, "The request stack"). On SQLite, a kept page
    needs only point reads by key (the collection's versions, the caller's and the
    collection's access rows when not kept) on a local file, each a few microseconds; so the
    read is tried first on the loop, on the loop's own connection
    (``ReadConnections.take_on_loop``), which never waits: its busy timeout is 0, it is never
    shared, and it exists only once made in a worker thread. The attempt gives up, having
    written nothing, on anything longer: a page not kept (but one object's, ``match[id]``
    and the object routes, found by the index), a lock met (``SQLITE_BUSY`` at once), the
    connection not made yet or in use; the read is then done afresh in a worker thread. It is
    not tried while any worker thread works (``web.loop_reads.threads_idle``). The
    loop never waits for a connection (``tests/web/test_load.py``: with the pool exhausted the
    loop keeps serving). PostgreSQL's reads are round trips to a server: always in a thread.

    The session is opened and ended where the read runs: a request-scoped session
    (``DbSession``) cost the loop a generator dependency and a commit of the read
    transaction, a fifth of a page's CPU (docs/benchmarks.md). The transaction is a bare one
    on the driver's connection (``prepared.Reading``): every statement of these reads (the
    caller's token, the collection's rights, the reader's facts, the page) runs through
    ``accord.prepared``, and a session's own machinery cost them more CPU than the token's
    look-up.
    """
    found = on_loop(request.app.state, lambda db: work(request, db, *args))
    if found is not None:
        return found
    return await run_in_threadpool(_in_reading, work, request, *args)


def _in_reading(work: Callable[..., Response], request: Request, *args: Any) -> Response:
    state = request.app.state
    with Reading(state.engine, state.access_cache, state.read_connections) as db:
        answer = work(request, db, *args)
    # The loop's own connection, made here where a connect may wait (once a process).
    state.read_connections.prepare_loop()
    return answer


async def read_orm(work: Callable[..., Response], request: Request, *args: Any) -> Response:
    """:func:`read` for the reads that load ORM objects (the collections): in a read-only
    session of their own."""
    return await run_in_threadpool(_in_session, work, request, *args)


def _in_session(work: Callable[..., Response], request: Request, *args: Any) -> Response:
    # Reads only (GET and HEAD: the caller's token is not marked used on a read), so the
    # transaction is ended by closing the session, which rolls it back.
    with request.app.state.reader() as db:
        return work(request, db, *args)
