"""The rows of an envelope's new objects: the versions already stored, the audience, the
latest and first flags, and one insert per table (what ``ingest.py`` decided to store)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction

from accord.sharing import bulk, lookup, refs
from accord.sharing.models import (
    Audience,
    AudienceMember,
    Collection,
    CollectionGrant,
    Observable,
    ObservablePrefix,
    StixObject,
)
from accord.sharing.tlp import Tlp, level_of

if TYPE_CHECKING:
    from accord.sharing.ingest import Source, Valid

_CHUNK = 500


# PostgreSQL advisory lock namespaces (the two-key form): a collection, one object of one.
_COLLECTION_LOCK = 7160
_OBJECT_LOCK = 7162
# db.info: the collections whose every envelope this transaction may write (locked whole).
_WHOLE = "accord.sharing.collections_locked"
# Object locks an envelope takes at most. Each is a slot of PostgreSQL's shared lock table
# (max_locks_per_transaction, 64 by default, for each connection): two dozen envelopes of a
# few hundred objects side by side filled it, and they failed ("out of shared memory"), as
# did any other transaction needing a lock meanwhile. A larger one takes its collection whole.
MOST_OBJECT_LOCKS = 32


def lock(db: Session, collection_id: int, stix_ids: Iterable[str]) -> None:
    """Serialise the envelopes that write the same objects into one collection (PostgreSQL;
    SQLite has one writer anyway).

    Concurrent envelopes carrying versions of one object would race on its latest and first
    flags, on who created it and on duplicates. Each envelope takes, until its commit, its
    collection's lock shared and one lock per object id, in one statement and in key order
    (two such envelopes never wait for each other in a cycle); envelopes of other objects go
    on side by side. An envelope of more than ``MOST_OBJECT_LOCKS`` objects takes the
    collection whole instead, as before object locks. A transaction that stores several
    envelopes takes the collection whole first (:func:`lock_whole`): taking more object locks
    after its first ones could close a cycle with another envelope. A deletion of an object's
    versions takes its lock too (``services.delete_object``): it marks the versions left again.
    """
    if db.get_bind().dialect.name != "postgresql" or collection_id in db.info.get(_WHOLE, ()):
        return
    keys = sorted({object_key(collection_id, stix_id) for stix_id in stix_ids})
    if len(keys) > MOST_OBJECT_LOCKS:
        lock_whole(db, collection_id)
        return
    # unnest hands the keys over in the array's order: the locks are taken in key order.
    db.execute(
        text(
            "SELECT pg_advisory_xact_lock_shared(:n, :c), "
            "(SELECT count(pg_advisory_xact_lock(:o, k)) FROM unnest(CAST(:keys AS integer[])) k)"
        ),
        {"n": _COLLECTION_LOCK, "c": collection_id, "o": _OBJECT_LOCK, "keys": keys},
    )


def lock_whole(db: Session, collection_id: int) -> None:
    """Take the collection from every other envelope until the commit: for a transaction that
    stores more than one envelope into it (a drain of the queue, a pull from a remote)."""
    if db.get_bind().dialect.name != "postgresql":
        return
    whole = db.info.get(_WHOLE)
    if whole is None:
        whole = db.info[_WHOLE] = set()
        event.listen(db, "after_transaction_end", _forget_whole)
    if collection_id not in whole:
        db.execute(
            text("SELECT pg_advisory_xact_lock(:n, :c)"),
            {"n": _COLLECTION_LOCK, "c": collection_id},
        )
        whole.add(collection_id)


def _forget_whole(db: Session, transaction: SessionTransaction) -> None:
    # The locks end with the outermost transaction (a savepoint's end keeps them).
    if transaction.parent is None and _WHOLE in db.info:
        db.info[_WHOLE].clear()


def object_key(collection_id: int, stix_id: str) -> int:
    """The 32-bit key of one object's lock: two objects sharing one only wait for each other."""
    digest = hashlib.blake2b(f"{collection_id}/{stix_id}".encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


# A stored version: its row id, latest and first flags, and producing organization.
Stored = tuple[int, bool, bool, int | None]


def existing_versions(
    db: Session, collection_id: int, ids: Iterable[str]
) -> dict[str, dict[datetime, Stored]]:
    """The stored versions of ``ids`` in the collection, by id and version."""
    found: dict[str, dict[datetime, Stored]] = {}
    pending = sorted(ids)
    for start in range(0, len(pending), _CHUNK):
        query = select(
            StixObject.stix_id,
            StixObject.version,
            StixObject.id,
            StixObject.is_latest,
            StixObject.is_first,
            StixObject.producer_org_id,
        ).where(
            StixObject.collection_id == collection_id,
            StixObject.stix_id.in_(pending[start : start + _CHUNK]),
        )
        for stix_id, version, row_id, latest, first, producer in db.execute(query):
            found.setdefault(stix_id, {})[version] = (row_id, latest, first, producer)
    return found


def audience(db: Session, collection: Collection) -> int:
    """The audience row naming the collection's owner and its readers by grant, as of now."""
    named = db.execute(
        select(CollectionGrant.organization_id, CollectionGrant.group_id).where(
            CollectionGrant.collection_id == collection.id, CollectionGrant.can_read.is_(True)
        )
    ).all()
    orgs = sorted({collection.owner_org_id} | {o for o, _ in named if o is not None})
    groups = sorted({g for _, g in named if g is not None})
    digest = hashlib.sha256(json.dumps([orgs, groups]).encode()).hexdigest()
    found = db.scalar(select(Audience.id).where(Audience.digest == digest))
    if found is not None:
        return found
    # Two envelopes into one collection may name a new audience at once (only the objects
    # they write are locked): the second waits for the first's row, adds none, and reads it.
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    created: int | None = db.scalar(
        insert(Audience)
        .values(digest=digest)
        .on_conflict_do_nothing(index_elements=[Audience.digest])
        .returning(Audience.id)
    )
    if created is None:
        return int(db.scalars(select(Audience.id).where(Audience.digest == digest)).one())
    db.add_all(AudienceMember(audience_id=created, organization_id=o) for o in orgs)
    db.add_all(AudienceMember(audience_id=created, group_id=g) for g in groups)
    db.flush()
    return created


def rows_of(
    collection: Collection,
    fresh: list[Valid],
    source: Source,
    audience_id: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """The rows of the fresh objects, each with its TLP level and its own date added."""
    default = Tlp(collection.default_tlp)
    levels: dict[tuple[str, ...], str] = {}  # a feed marks most of its objects alike
    rows = []
    for index, (result, body, _) in enumerate(fresh):
        tlp = levels.get(result.marking_refs)
        if tlp is None:
            tlp = level_of(result.marking_refs, default=default).value
            levels[result.marking_refs] = tlp
        # One microsecond apart: date_added orders objects, and each has its own.
        added = now + timedelta(microseconds=index)
        rows.append(
            {
                "collection_id": collection.id,
                "stix_id": result.stix_id,
                "stix_type": result.stix_type,
                "spec_version": result.spec_version,
                "version": result.version or added,
                "date_added": added,
                "is_latest": True,
                "is_first": True,
                "revoked": result.revoked,
                "tlp": tlp,
                "producer_org_id": source.producer_org_id,
                "audience_id": audience_id,
                "origin_remote_id": source.origin_remote_id,
                "sighting_of": result.sighting_of,
                "sighting_count": result.sighting_count,
                "body": body,
            }
        )
    return rows


def set_flags(
    db: Session,
    rows: list[dict[str, Any]],
    existing: dict[str, dict[datetime, Stored]],
) -> None:
    """Mark each id's newest and oldest version, among new ones and the stored ones they
    join (spec 3.4)."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_id.setdefault(row["stix_id"], []).append(row)
    unset_latest: list[int] = []
    unset_first: list[int] = []
    for stix_id, new_rows in by_id.items():
        stored = existing.get(stix_id, {})
        versions = [r["version"] for r in new_rows] + list(stored)
        newest, oldest = max(versions), min(versions)
        for row in new_rows:
            row["is_latest"] = row["version"] == newest
            row["is_first"] = row["version"] == oldest
        for version, (row_id, latest, first, _) in stored.items():
            if latest and version != newest:
                unset_latest.append(row_id)
            if first and version != oldest:
                unset_first.append(row_id)
    if unset_latest:
        db.execute(
            update(StixObject).where(StixObject.id.in_(unset_latest)).values(is_latest=False)
        )
    if unset_first:
        db.execute(update(StixObject).where(StixObject.id.in_(unset_first)).values(is_first=False))


def note_prefixes(db: Session, observables: list[dict[str, Any]]) -> None:
    """Record the prefix lengths of the address ranges among ``observables`` (see
    ``lookup.network_keys``): one insert of the few new ones."""
    lengths = {
        (o["kind"], lookup.prefix_length(o["value"]))
        for o in observables
        if o["kind"] in lookup.NETWORK_KINDS.values()
    }
    if not lengths:
        return
    known = {(k, n) for k, n in db.execute(select(ObservablePrefix.kind, ObservablePrefix.length))}
    fresh = lengths - known
    if fresh:
        insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
        db.execute(
            insert(ObservablePrefix)
            .values([{"kind": k, "length": n} for k, n in sorted(fresh)])
            .on_conflict_do_nothing()
        )


def insert(db: Session, rows: list[dict[str, Any]], fresh: list[Valid]) -> None:
    """Insert the rows, their references and their look-up index entries."""
    if not rows:
        return
    # Row ids are reserved first and the rows go in as one executemany of the driver (no ORM
    # bookkeeping, no per-row parameter building: see bulk.py), the look-up index with them.
    row_ids = bulk.reserve_ids(db, len(rows))
    for row, row_id in zip(rows, row_ids, strict=True):
        row["id"] = row_id
    connection = db.connection()
    bulk.insert_rows(connection, StixObject, rows)
    refs.insert(connection, rows)
    observables = [
        {"object_id": row_id, "key": lookup.key(kind, value), "kind": kind, "value": value}
        for row_id, (_, _, pairs) in zip(row_ids, fresh, strict=True)
        for kind, value in pairs
    ]
    bulk.insert_rows(connection, Observable, observables)
    note_prefixes(db, observables)
    if db.get_bind().dialect.name == "postgresql":
        bulk.keep_statistics(db, row_ids[-1])
