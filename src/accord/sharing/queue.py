"""Large envelopes: acknowledged once checked, then stored by a drainer, many in one batch.

Why a queue. On SQLite each object adds a key at a random place of two large indexes (the
unique (collection, id, version) and the observable keys), and a commit writes every page it
dirtied whole to the write-ahead log: near a million objects, an envelope of 1,000 dirtied some
3,000 pages. The envelopes waiting here are stored together, so they share those pages, and the
checking of the next envelopes goes on while a batch is stored. TAXII 2.1 allows it (section
4.3.1): a POST may answer with a status whose ``status`` is ``pending``, which the client polls
(taxii2-client's ``add_objects`` does by default).

How nothing acknowledged is lost or stored twice:
- An envelope is checked first; its entry holds only its valid objects, as checked
  (:func:`encode`), and the pending status lists the invalid ones at once.
- The 202 is sent once the entry is committed: on SQLite in a side file (``queue.db`` in the
  data directory, ``synchronous=FULL`` like the hub's), so that acknowledging never waits for
  the hub database's one write lock while a batch is stored; on PostgreSQL in the hub database.
- :func:`drain` takes the hub's write lock before it reads the queue, stores each entry's
  objects and its final status in one transaction, and forgets the entries only after that
  commit. An entry whose status exists already was stored by a drain that died before
  forgetting it: it is forgotten without being stored again.
- A failed drain leaves the queue as it was and is tried again; an acknowledged envelope is
  never dropped. The queue is bounded (``taxii_queue_max_objects``): past it a POST waits for
  room, then gets 503 with Retry-After.
- Each try of an entry is counted before it is made (``QueueAttempt``), so that one that makes
  the drain fail, or kills the drainer, is found: an entry tried before is tried alone, and
  after :data:`MAX_ATTEMPTS` tries it is set aside (kept, with the reason, listed by
  ``accord sharing queue``) instead of holding every entry behind it back forever.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from accord import collector
from accord.accountability import events
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.models import Organization, User
from accord.sharing import ingest, ingest_locks
from accord.sharing.models import Collection, QueuedEnvelope, TaxiiStatus
from accord.sharing.queue_store import DIED_WHILE_STORING, MAX_ATTEMPTS, Queue, QueueFull
from accord.sharing.stix_validation import CheckedObject, format_timestamp, granular_tlp_refs

# The store itself (Queue) is in queue_store.py; callers import it from here as before.
__all__ = [
    "DIED_WHILE_STORING",
    "MAX_ATTEMPTS",
    "WRITER_CACHE_KIB",
    "Queue",
    "QueueFull",
    "decode",
    "drain",
    "encode",
    "entry_for",
    "status_fields",
    "writer_cache",
]


def encode(valid: Sequence[ingest.Valid]) -> bytes:
    """Valid objects as checked, for an entry's ``payload`` (the inverse of :func:`decode`)."""
    return orjson.dumps(
        [
            [
                c.stix_id,
                c.stix_type,
                c.spec_version,
                c.version_text,
                c.revoked,
                c.marking_refs,
                c.sighting_of,
                c.sighting_count,
                observables,
                body,
                c.granular_tlp_refs,
            ]
            for c, body, observables in valid
        ]
    )


def decode(payload: bytes) -> list[ingest.Valid]:
    """The valid objects of an entry, as :func:`ingest.check_objects` gave them."""
    found: list[ingest.Valid] = []
    for item in orjson.loads(payload):
        if len(item) == 11:
            stix_id, stix_type, spec, text, revoked, markings, of, count, pairs, body, granular = (
                item
            )
        else:  # queued by a release that did not keep them: read from the object itself
            stix_id, stix_type, spec, text, revoked, markings, of, count, pairs, body = item
            granular = granular_tlp_refs(orjson.loads(body))
        version = None if text is None else fromisoformat(text)
        if version is not None and text[-1] != "Z":
            text = format_timestamp(version)  # queued by a release that kept isoformat's form
        # As CheckedObject(...) positionally, in the named tuple's order, without the Python
        # frame of its __new__ (once an object); the pattern's comparisons (empty) served only
        # to find the observables, kept beside.
        checked = _tuple_new(
            CheckedObject,
            (
                stix_id,
                stix_type,
                spec,
                version,
                text,
                revoked,
                tuple(markings),
                (),
                of,
                count,
                tuple(granular) if granular else (),
            ),
        )
        if len(pairs) == 1:  # most indicators: one hash (a third of the general form's cost)
            ((kind, value),) = pairs
            found.append((checked, body, ((kind, value),)))
        else:
            found.append((checked, body, tuple(map(tuple, pairs))))
    return found


fromisoformat = datetime.fromisoformat
_tuple_new = tuple.__new__


def _pendings(valid: Sequence[ingest.Valid]) -> bytes:
    """The status entries of valid objects waiting to be stored, as JSON."""
    return orjson.dumps(
        [
            {"id": c.stix_id}
            if c.version_text is None
            else {"id": c.stix_id, "version": c.version_text}
            for c, _, _ in valid
        ]
    )


def entry_for(
    *,
    collection_id: int,
    user_id: int | None,
    producer_org_id: int,
    outcomes: Sequence[ingest.Outcome],
    now: datetime,
    status_uuid: str,
) -> QueuedEnvelope:
    """The queue entry of a checked envelope."""
    valid = [o for o in outcomes if not isinstance(o, dict)]
    return QueuedEnvelope(
        status_uuid=status_uuid,
        user_id=user_id,
        collection_id=collection_id,
        producer_org_id=producer_org_id,
        request_timestamp=now,
        total_count=len(outcomes),
        objects=len(valid),
        failures=[o for o in outcomes if isinstance(o, dict)],
        pendings=_pendings(valid),
        payload=encode(valid),
    )


def drain(
    queue: Queue, sessions: sessionmaker[Session], *, limit: int, max_attempts: int = MAX_ATTEMPTS
) -> int:
    """Store the oldest entries, up to about ``limit`` objects, in one transaction of the hub
    database; returns how many entries it took (0: the queue was empty). A failure is kept
    with the entries it was tried with, and raised."""
    if not queue.backlog():
        return 0  # checked without the hub's write lock, which an idle poll must not take
    entries: list[QueuedEnvelope] = []
    try:
        # The collector paused: a batch makes a few hundred thousand short-lived rows, tuples
        # and dicts without cycles, and the collections they set off each looked at all of them.
        with collector.PAUSED, unit_of_work(sessions) as db:
            _lock(db)
            entries = queue.take(limit, max_attempts=max_attempts)
            if not entries:
                return 0  # all that waited was set aside
            queue.attempting(entries)
            # Several envelopes in one transaction: their collections are taken whole, in
            # order, before any is written (see ingest_locks.lock).
            for collection_id in sorted({e.collection_id for e in entries}):
                ingest_locks.lock_whole(db, collection_id)
            uuids = [e.status_uuid for e in entries]
            done = set(db.scalars(select(TaxiiStatus.uuid).where(TaxiiStatus.uuid.in_(uuids))))
            batch = _Batch()
            for entry in entries:
                if entry.status_uuid not in done:
                    _store(db, entry, batch)
            batch.refresh(db)
    except Exception as exc:
        if entries:
            queue.failed(entries, f"{type(exc).__name__}: {exc}", max_attempts=max_attempts)
        raise
    queue.forget(entries)
    return len(entries)


def _lock(db: Session) -> None:
    # The hub's write lock before the queue is read, so that two drainers (two processes)
    # never store the same entry: on SQLite the first statement takes it (BEGIN IMMEDIATE);
    # on PostgreSQL a transaction-scoped advisory lock serialises drains.
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(7161)"))
    else:
        db.execute(text("SELECT 1"))


class _Batch:
    """What the entries of one drain share in its one transaction, read or done once.

    The rows its entries name (collection, producer, account): the session's identity map
    holds rows weakly, so each entry read them again (three statements an entry). And the
    accountability refresh: queued once a batch for the periods its stored envelopes fall
    in, not once an entry (a read of the queued job each time); a batch that crosses into a
    new month queues both months' refreshes, as one envelope at a time did.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[type[Any], int], Any] = {}
        self.moments: dict[tuple[str, ...], datetime] = {}

    def get(self, db: Session, model: type[Any], row_id: int | None) -> Any:
        """The row of ``model`` with ``row_id`` (None if there is none), read once a batch."""
        if row_id is None:
            return None
        key = (model, row_id)
        if key not in self.rows:
            self.rows[key] = db.get(model, row_id)
        return self.rows[key]

    def stored_at(self, moment: datetime) -> None:
        """Objects were stored at ``moment``: its periods' figures are to be refreshed."""
        self.moments.setdefault(tuple(events.affected(moment)), moment)

    def refresh(self, db: Session) -> None:
        """Queue the refresh of each period the batch stored objects in."""
        for moment in self.moments.values():
            events.recorded(db, at=moment)


def _store(db: Session, entry: QueuedEnvelope, batch: _Batch) -> None:
    collection = batch.get(db, Collection, entry.collection_id)
    if collection is None:
        # Deleted meanwhile (with its owner): its statuses went with it, and so does this one.
        return
    # The side file has no foreign keys: an organization or account deleted meanwhile is
    # written as their deletion left what was stored before it (SET NULL), never as a
    # dangling id that would fail the whole batch at every try.
    producer = _existing(db, batch, Organization, entry.producer_org_id)
    source = ingest.Source(producer_org_id=producer)
    outcomes = decode(entry.payload)
    report = ingest.store_checked(
        db, collection=collection, outcomes=outcomes, source=source, now=utcnow(), refresh=False
    )
    if report.stored:
        batch.stored_at(utcnow())
    report.failures[:0] = entry.failures
    ingest.record_status(
        db,
        collection_id=entry.collection_id,
        user_id=_existing(db, batch, User, entry.user_id),
        total=entry.total_count,
        report=report,
        status_uuid=entry.status_uuid,
        requested=entry.request_timestamp,
    )


def _existing(
    db: Session, batch: _Batch, model: type[Organization] | type[User], row_id: int | None
) -> int | None:
    return row_id if batch.get(db, model, row_id) is not None else None


# The drainer's page cache on SQLite, in KiB. A batch of 20,000 objects dirties some 30,000
# pages at a million stored (leaves of the two random-keyed indexes, mostly): past the 64 MB
# every connection has (accord.db), SQLite spills dirty pages to the log before the commit,
# and writes again those changed after. One connection, so 256 MB is what the drainer costs.
WRITER_CACHE_KIB = 262_144


def writer_cache(dbapi_connection: Any, _record: Any) -> None:
    """Give a new SQLite connection the drainer's page cache (a ``connect`` event listener)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
    cursor.close()


def status_fields(entry: QueuedEnvelope) -> dict[str, Any]:
    """The parts of a pending status resource an entry gives (TAXII 2.1, section 4.3.1).

    The pendings are spliced in as the JSON they were stored as (an ``orjson.Fragment``):
    a client polling the status of an envelope of a thousand objects costs no decoding and
    re-encoding of a thousand entries a poll.
    """
    return {
        "total_count": entry.total_count,
        "success_count": 0,
        "successes": [],
        "failure_count": len(entry.failures),
        "failures": entry.failures,
        "pending_count": entry.objects,
        "pendings": orjson.Fragment(entry.pendings),
    }
