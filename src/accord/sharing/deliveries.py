"""Counting the objects a signatory's readers of other organizations pull, for the
accountability figure "objects pulled by others".

A TAXII GET runs in a read-only transaction and is the hub's hottest path, so it writes
nothing: the route hands the page it served to :func:`note`, which appends the rows' ids to an
in-memory buffer keyed by (the reader's organizations, UTC day). A background thread of the
web process (:class:`Flusher`) swaps the buffer out every ``deliveries_flush_seconds``, looks
up the rows' producers in one query per chunk and adds the counts to ``sharing_deliveries``
(producer, reader organization, day) in its own short write transaction, with an upsert that
adds to what other processes flushed. The trade-off (docs/sharing.md): a process killed with
SIGKILL loses the counts of its last unflushed seconds. These are statistics about reads,
never data a client was told is stored.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from accord.background import Every
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.policy import Actor
from accord.sharing.models import ObjectDelivery, StixObject
from accord.sharing.queries import Page

log = logging.getLogger(__name__)
CHUNK = 2_000
Key = tuple[frozenset[int], date]


class Deliveries:
    """The per-process buffer of delivered rows, safe to use from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: defaultdict[Key, list[int]] = defaultdict(list)

    def add(self, reader_orgs: frozenset[int], day: date, row_ids: Iterable[int]) -> None:
        """Count ``row_ids`` as delivered on ``day`` to a reader of ``reader_orgs``."""
        with self._lock:
            self._pending[(reader_orgs, day)].extend(row_ids)

    def pending(self) -> int:
        """How many deliveries wait for the next flush."""
        with self._lock:
            return sum(len(ids) for ids in self._pending.values())

    def flush(self, sessions: sessionmaker[Session]) -> int:
        """Add the buffered counts to the table (one write transaction); the objects counted.

        If the write fails, the counts go back into the buffer for the next flush.
        """
        with self._lock:
            taken, self._pending = self._pending, defaultdict(list)
        if not taken:
            return 0
        try:
            with unit_of_work(sessions) as db:
                return _store(db, taken)
        except Exception:
            with self._lock:
                for key, ids in taken.items():
                    self._pending[key].extend(ids)
            raise


def _store(db: Session, taken: dict[Key, list[int]]) -> int:
    counts: Counter[tuple[int, int, date]] = Counter()
    producers = _producers(db, sorted({row_id for ids in taken.values() for row_id in ids}))
    for (reader_orgs, day), row_ids in taken.items():
        # A reader in several organizations is counted once, for the lowest of their ids.
        reader = min(reader_orgs)
        for row_id in row_ids:
            producer = producers.get(row_id)
            # Own reads are no pulls by others; rows deleted meanwhile are not counted.
            if producer is not None and producer not in reader_orgs:
                counts[(producer, reader, day)] += 1
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for (producer, reader, day), objects in sorted(counts.items()):
        statement = insert(ObjectDelivery).values(
            producer_org_id=producer, reader_org_id=reader, day=day, objects=objects
        )
        db.execute(
            statement.on_conflict_do_update(
                index_elements=["producer_org_id", "reader_org_id", "day"],
                set_={"objects": ObjectDelivery.objects + statement.excluded.objects},
            )
        )
    return sum(counts.values())


def _producers(db: Session, row_ids: list[int]) -> dict[int, int | None]:
    found: dict[int, int | None] = {}
    for start in range(0, len(row_ids), CHUNK):
        chunk = row_ids[start : start + CHUNK]
        query = select(StixObject.id, StixObject.producer_org_id).where(StixObject.id.in_(chunk))
        for row_id, producer in db.execute(query):
            found[row_id] = producer
    return found


def note(request: Request, actor: Actor, page: Page) -> None:
    """Count a served page of objects (the one call a TAXII GET route makes): nothing but
    appending ids to a list, and nothing at all for anonymous readers or empty pages."""
    if not actor.roles or not page.row_ids:
        return
    buffer: Deliveries | None = getattr(request.app.state, "deliveries", None)
    if buffer is not None:
        buffer.add(frozenset(actor.roles), utcnow().date(), page.row_ids)


class Flusher(Every):
    """A daemon thread flushing a buffer every ``every`` seconds, and once more at stop (a
    clean shutdown loses nothing)."""

    def __init__(
        self, buffer: Deliveries, sessions: sessionmaker[Session], *, every: float
    ) -> None:
        super().__init__(
            lambda: buffer.flush(sessions),
            seconds=every,
            name="accord-deliveries",
            failure="flushing delivery counts failed; kept for the next flush",
        )
