"""Which envelopes may write into one collection side by side on PostgreSQL: a lock per
object, the collection's shared, or the collection whole (SQLite has one writer anyway)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction

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
