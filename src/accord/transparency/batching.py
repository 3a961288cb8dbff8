"""Publications that share a transaction write their entries together, at its commit.

A publication reserves its index and writes its entry in one statement
(:func:`store.reserve_and_write`): one round trip to the database each. When many share a
transaction (a group commit, :class:`Publications`), that was one round trip per
publication while the head's row lock was held, and on PostgreSQL the driver's round trips
were most of the process's CPU. Here, in a session marked by :func:`batch_appends`, the first
publication of a transaction reserves its index and writes its entry as before (the head's
row is then locked, PostgreSQL, or the write lock held, SQLite, until the commit), and the
ones after it are handed the next indexes without a statement; their entries, and the head's
size, are written in one statement just before the commit (or before anything reads the
head or the entries in the same transaction: :func:`accord.transparency.store.settle`).
Nothing is acknowledged before the commit that holds it, as before: a publication's index is
only a promise until then, and a rolled-back transaction takes its reservation with it.

Only for sessions whose transactions commit or roll back whole: the writes of
:class:`Publications` run without savepoints (a savepoint rolled back alone would leave the
indexes handed out after it unwritten).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import TextClause, event, text
from sqlalchemy.orm import Session, sessionmaker

from accord import prepared
from accord.group_commit import GroupCommit
from accord.transparency import store
from accord.transparency.store import LogIntegrityError

T = TypeVar("T")


class Batch:
    """The indexes handed out in this transaction after its first publication, and their entries.

    ``start`` is the first index not yet written, ``entries`` the entries from it on, all
    under ``origin``; ``start`` is None while no publication of the transaction holds the head.
    """

    __slots__ = ("entries", "origin", "start")

    def __init__(self) -> None:
        self.start: int | None = None
        self.origin = ""
        self.entries: list[bytes] = []

    def take(self, origin: str, entry: bytes) -> int | None:
        """The index of ``entry``, written at the commit; None: the caller reserves one."""
        if self.start is None or origin != self.origin:
            return None
        self.entries.append(entry)
        return self.start + len(self.entries) - 1

    def started(self, origin: str, index: int) -> None:
        """A publication reserved ``index`` and wrote its entry: the next ones follow it."""
        if self.start is None:
            self.start, self.origin = index + 1, origin

    def flush(self, db: Session) -> None:
        """Write the entries handed out and raise the head past them (in one statement)."""
        start, entries = self.start, self.entries
        self.start, self.entries = None, []
        if start is None or not entries:
            return
        rows = store.segment_rows(start, entries)
        # The head must be where this transaction left it (its row lock is held): anything
        # else means the reservation was lost, and nothing of this transaction may commit.
        if db.get_bind().dialect.name == "postgresql":
            params = _params(self.origin, start, len(entries), rows)
            written = len(prepared.rows(db, _statement(len(rows)), params))
        else:  # in-process: two statements cost no round trip
            first = store.reserve(db, origin=self.origin, count=len(entries))
            written = len(rows) if first == start else 0
            if written:
                store.write_segment_rows(db, rows)
        if written != len(rows):
            raise LogIntegrityError(
                f"the log's head moved under a batch of {len(entries)} entries from {start}"
            )

    def forget(self, _db: Session) -> None:
        """The transaction rolled back: its reservations went with it."""
        self.start, self.entries = None, []


def batch_appends(db: Session) -> None:
    """From now on, the publications of each of ``db``'s transactions after the first are
    written together at its commit (see the module's doc)."""
    if store.PENDING in db.info:
        return
    batch = db.info[store.PENDING] = Batch()
    event.listen(db, "before_commit", batch.flush)
    event.listen(db, "after_rollback", batch.forget)


def batch_of(db: Session) -> Batch | None:
    """The session's batch, if it was marked by :func:`batch_appends`."""
    found = db.info.get(store.PENDING)
    return found if isinstance(found, Batch) else None


def _params(origin: str, start: int, count: int, rows: list[store.SegmentRow]) -> dict[str, object]:
    params: dict[str, object] = {"id": store.HEAD_ID, "origin": origin, "count": count}
    params["expected"] = start + count
    for i, row in enumerate(rows):
        params[f"s{i}"], params[f"c{i}"], params[f"d{i}"] = row["start"], row["count"], row["data"]
    return params


@functools.cache
def _statement(rows: int) -> TextClause:
    # PostgreSQL: raise the head, and insert the segments only where it lands as this
    # transaction expects; the rows inserted come back.
    values = ", ".join(
        f"(CAST(:s{i} AS BIGINT), CAST(:c{i} AS INTEGER), CAST(:d{i} AS BYTEA))"
        for i in range(rows)
    )
    # Only placeholders are formatted in.
    sql = (
        "WITH head AS (UPDATE log_head SET size = size + :count "  # noqa: S608
        "WHERE id = :id AND origin = :origin RETURNING size) "
        "INSERT INTO log_segments (start, count, data) SELECT v.start, v.count, v.data "
        f"FROM (VALUES {values}) AS v(start, count, data), head "
        "WHERE head.size = :expected RETURNING start"
    )
    return text(sql)


class Publications:
    """Publications of many requests in shared transactions: one commit and, past the first,
    no round trip each (:class:`accord.group_commit.GroupCommit`, grouped on every database,
    without savepoints).

    ``run(work)`` returns ``work``'s result once the transaction holding it committed; a
    ``work`` that fails has the batch run again one write at a time, so only it gets its
    error. ``work`` must touch nothing but the database (it may run twice).
    """

    def __init__(self, factory: sessionmaker[Session], *, most: int = 32) -> None:
        self.group = GroupCommit(factory, most=most, grouped=True, savepoints=False)

    def run(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` in a shared transaction; its result once committed."""

        def batched(db: Session) -> T:
            batch_appends(db)
            return work(db)

        return self.group.run(batched)
