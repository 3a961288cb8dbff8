"""Group commit: small writes of many requests in one SQLite transaction, one commit for all.

On SQLite the writers of a process take turns on one writer (``accord.db.WriteTurn``), and
each turn paid for itself: BEGIN IMMEDIATE, the write, and a COMMIT that waits for the disk
(``synchronous=FULL``), then a hand-over to the next thread, which must first win the
interpreter lock back from a dozen busy ones. Under the mixed load (bench/load.py) a TAXII POST
of five indicators spent about a third of its turn in the commit, and TAXII POSTs ran at
15 a second, alone or not. Here the writes waiting for a turn go together: the first becomes
the leader, takes the turn once, runs each write in a savepoint of its own (a write that fails
is rolled back alone and its request gets its error), commits once, and hands the lead to the
first write that arrived meanwhile. Nothing is acknowledged before the commit that holds it.

On PostgreSQL, whose writers do not take turns, each write is its own transaction as before,
unless the writes do take turns there too (``grouped=True``: publications through the log).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work

T = TypeVar("T")
# Writes in one transaction at most: the leader's own request waits for all of them.
MOST_PER_COMMIT = 32
# PostgreSQL ends one of two transactions that wait on each other (deadlock_detected) or a
# serializable one that lost (serialization_failure), rolled back whole: the write is run
# again in a new transaction rather than answered with a 500. Such waits are rare but
# possible between writes of different collections that each insert a new shared row (an
# audience, a network prefix length, the accountability refresh job) in another order.
TRANSIENT_STATES = frozenset({"40P01", "40001"})
TRIES = 3


@dataclass
class _Write(Generic[T]):
    work: Callable[[Session], T]
    result: T | None = None
    error: BaseException | None = None
    finished: bool = False
    leads: bool = False
    wake: threading.Event = field(default_factory=threading.Event)


class GroupCommit:
    """Runs ``work(session)`` for many threads in shared transactions (see the module's doc)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        most: int = MOST_PER_COMMIT,
        grouped: bool | None = None,
        savepoints: bool = True,
    ) -> None:
        self.factory = factory
        self.most = most
        # Without savepoints (two statements a write, compiled anew each time), the writes of
        # a batch run straight in its transaction; when one fails, the batch is rolled back
        # and each write run again alone, so that only the one at fault gets its error. For
        # writes that touch nothing but the database and seldom fail (log publications).
        self.savepoints = savepoints
        bind = factory.kw.get("bind")
        # ``grouped=True`` groups on PostgreSQL too: for writes that take turns there as well
        # (publications through the log all lock its head row until they commit).
        sqlite = bind is not None and bind.dialect.name == "sqlite"
        self.grouped = sqlite if grouped is None else grouped
        self._lock = threading.Lock()
        self._waiting: list[_Write[object]] = []
        self._leading = False

    def run(self, work: Callable[[Session], T]) -> T:
        """``work``'s result once committed, or its error (or the shared commit's)."""
        if not self.grouped:
            return self._run_own(work)
        write: _Write[T] = _Write(work)
        with self._lock:
            self._waiting.append(write)  # type: ignore[arg-type]
            if not self._leading:
                self._leading = write.leads = True
        while not write.finished:
            if write.leads:
                self._lead()
            else:
                write.wake.wait()
                write.wake.clear()
        if write.error is not None:
            raise write.error
        return write.result  # type: ignore[return-value]

    def _run_own(self, work: Callable[[Session], T]) -> T:
        """``work`` in a transaction of its own, run again if the database ended it as
        transient (see ``TRANSIENT_STATES``)."""
        for attempt in range(1, TRIES + 1):
            try:
                with unit_of_work(self.factory) as db:
                    return work(db)
            except DBAPIError as exc:
                if attempt == TRIES or not transient(exc):
                    raise
        raise AssertionError("unreachable")  # the last try returns or raises

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
        try:
            if self.savepoints:
                self._run_in_savepoints(batch)
            elif not self._run_straight(batch):
                for write in batch:
                    self._run_alone(write)
        except BaseException as exc:  # the turn or the commit failed: every write with it
            for write in batch:
                if write.error is None:
                    write.error, write.result = exc, None
        finally:
            for write in batch:
                write.finished = True
            with self._lock:
                successor = self._waiting[0] if self._waiting else None
                if successor is None:
                    self._leading = False
                else:
                    successor.leads = True
            for write in batch:
                write.wake.set()
            if successor is not None:
                successor.wake.set()

    def _run_in_savepoints(self, batch: list[_Write[object]]) -> None:
        with unit_of_work(self.factory) as db:
            for write in batch:
                try:
                    with db.begin_nested():
                        write.result = write.work(db)
                except Exception as exc:  # this write alone; the others go on
                    write.error = exc

    def _run_straight(self, batch: list[_Write[object]]) -> bool:
        # False when a write failed: nothing of the batch is committed then.
        try:
            with unit_of_work(self.factory) as db:
                for write in batch:
                    write.result = write.work(db)
        except Exception:
            for write in batch:
                write.result = None
            return False
        return True

    def _run_alone(self, write: _Write[object]) -> None:
        try:
            with unit_of_work(self.factory) as db:
                write.result = write.work(db)
        except Exception as exc:
            write.error, write.result = exc, None


def transient(exc: DBAPIError) -> bool:
    """Whether the database ended the transaction for a reason that another try can avoid."""
    return getattr(exc.orig, "sqlstate", None) in TRANSIENT_STATES
