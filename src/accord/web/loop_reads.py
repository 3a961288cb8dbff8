"""Reads tried on the event loop: on SQLite, a read made of point reads runs there, on the
loop's own connection, without the hop to a worker thread and back (which cost a kept TAXII
page or a kept OSV answer as much CPU as its own work; ``sharing.reading`` says when and
why, docs/benchmarks.md "The served request measured").

The read gives up, having written nothing, by raising ``prepared.OffLoop`` where it would
need more than point reads (``prepared.leave_loop``), or when a statement meets a lock (the
loop's connection has a busy timeout of 0); the caller then does it afresh in a worker
thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from anyio import to_thread

from accord.prepared import OffLoop, Reading

T = TypeVar("T")


def on_loop(state: Any, work: Callable[[Reading], T]) -> T | None:
    """``work`` in a read transaction on the event loop, or None when it is to run in a worker
    thread: the loop's connection not made yet (PostgreSQL never has one), a worker thread at
    work, or the work gave up."""
    if not (state.read_connections.ready_on_loop() and threads_idle()):
        return None
    try:
        with Reading(state.engine, state.access_cache, state.read_connections, on_loop=True) as db:
            return work(db)
    except (OffLoop, sqlite3.OperationalError):
        return None  # nothing written: read again where waiting is allowed


def threads_idle() -> bool:
    """Whether no worker thread of the loop's pool works.

    Reads run on the loop only then: pysqlite lets the interpreter lock go around every
    statement, and taking it back from busy threads costs the loop up to a switch interval
    (5 ms) a statement, which a burst of reads on the loop added up to a stall
    (tests/web/test_load.py's mixed burst). With threads at work the reads take the thread;
    alone, the hop is all the saving.

    The pool's limiter is the event loop's (anyio keeps one a loop, made at its first use and
    kept for the loop's life): it is looked up once a loop, as admission does for sizing it;
    anyio's look-up cost the read on the loop more than one of its statements (profiled,
    docs/benchmarks.md "Matched once")."""
    global _kept
    loop = asyncio.get_running_loop()
    kept = _kept  # read once: another thread's loop may replace it meanwhile
    if kept[0] is not loop:
        kept = _kept = (loop, to_thread.current_default_thread_limiter())
    return bool(kept[1].borrowed_tokens == 0)


# The last event loop asked about and its thread pool's limiter (``threads_idle``).
_kept: tuple[Any, Any] = (None, None)
