"""The rows of an envelope's new objects: the versions already stored, the audience, the
latest and first flags, and one insert per table (what ``ingest.py`` decided to store)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Dialect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

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


# A stored version: its row id, latest and first flags, and producing organization.
Stored = tuple[int, bool, bool, int | None]


def existing_versions(
    db: Session, collection_id: int, ids: Iterable[str]
) -> dict[str, dict[datetime, Stored]]:
    """The stored versions of ``ids`` in the collection, by id and version."""
    pending = sorted(ids)
    if db.get_bind().dialect.name == "sqlite":
        return _existing_sqlite(db, collection_id, pending)
    found: dict[str, dict[datetime, Stored]] = {}
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


# The ids go in as one JSON array (json_each), not as a bound parameter each: the expanding
# IN of SQLAlchemy built a parameter per id through its compiler, chunk by chunk (2.5 µs an
# object in the drainer's profile), and the table is read through the same unique index.
# Joined, json_each first (CROSS JOIN fixes that order in SQLite), not "IN (SELECT ...)":
# the IN built a temporary index of the ids before the seeks (1.6 to 1.1 µs an id). The ids
# are distinct (a set), so the join gives each stored row once, as the IN did. Left to
# itself the planner read the whole collection by its page index instead (a thousand times
# slower): the order is what keeps it on the unique one.
_EXISTING_SQLITE = (
    "SELECT o.stix_id, o.version, o.id, o.is_latest, o.is_first, o.producer_org_id "
    "FROM json_each(?2) AS j CROSS JOIN sharing_objects AS o "
    "WHERE o.collection_id = ?1 AND o.stix_id = j.value"
)


def _existing_sqlite(
    db: Session, collection_id: int, ids: list[str]
) -> dict[str, dict[datetime, Stored]]:
    found: dict[str, dict[datetime, Stored]] = {}
    if not ids:
        return found
    result = db.connection().exec_driver_sql(
        _EXISTING_SQLITE, (collection_id, orjson.dumps(ids).decode())
    )
    for stix_id, version, row_id, latest, first, producer in result:
        # As UTCDateTime reads SQLite's text: naive UTC, made aware; booleans from 0 and 1.
        when = datetime.fromisoformat(version).replace(tzinfo=UTC)
        found.setdefault(stix_id, {})[when] = (row_id, bool(latest), bool(first), producer)
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


# An object row's columns, in the table's order (the order of its INSERT's parameters), and
# the places of those the drainer sets after building a row.
COLUMNS = (
    "id",
    "collection_id",
    "stix_id",
    "stix_type",
    "spec_version",
    "version",
    "date_added",
    "is_latest",
    "is_first",
    "revoked",
    "tlp",
    "producer_org_id",
    "audience_id",
    "origin_remote_id",
    "sighting_of",
    "sighting_count",
    "body",
)
COLLECTION_ID, STIX_ID, LATEST, FIRST = 1, 2, 7, 8
# Without the columns most batches leave NULL in every row (no remote, no sighting): a NULL
# parameter costs SQLite's driver an adapter look-up (about 0.3 µs a value, measured), and a
# column left out of the INSERT is NULL all the same (none of the three has a default).
_MOSTLY_NULL = ("origin_remote_id", "sighting_of", "sighting_count")
SHORT_COLUMNS = tuple(c for c in COLUMNS if c not in _MOSTLY_NULL)
_OBSERVABLE_COLUMNS = ("object_id", "key", "kind", "value")
# What the row trigger of migration sharing_0015 did for each row inserted, done once an insert
# on SQLite: a row trigger made every row's statement run a sub-program and keep a statement
# journal of the pages it changed (sharing_0016). Updates and deletes keep their triggers.
_BUMP_SQLITE = (
    "INSERT INTO sharing_page_versions (collection_id, shard, version) VALUES (?, 0, 1)"
    " ON CONFLICT (collection_id, shard) DO UPDATE SET version = sharing_page_versions.version + 1"
)


@dataclass
class Rows:
    """The fresh objects' rows as the driver takes them (timestamps already in the form the
    database is given), their ids, and each row's version as a timestamp (its date added when
    it has none), for the flags and the status."""

    values: list[tuple[Any, ...]]
    ids: list[int]
    versions: list[datetime]
    columns: tuple[str, ...] = COLUMNS  # those the values give, in the table's order


def rows_of(
    db: Session,
    collection: Collection,
    fresh: list[Valid],
    source: Source,
    audience_id: int | None,
    now: datetime,
) -> Rows:
    """The rows of the fresh objects, each with its reserved id, its TLP level and its own
    date added.

    Built as tuples straight from the checked objects: on SQLite the timestamps' text is
    sliced from the version's STIX text and the dates added written once per batch
    (:func:`added_texts`), not formatted from a timestamp per object, and the flags given as
    the integers SQLite stores for them (a bool, like None, goes through the driver's adapter
    look-up). A batch with no remote and no sighting leaves their columns out
    (``SHORT_COLUMNS``).
    """
    dialect = db.get_bind().dialect
    to_driver = timestamp_processor(dialect)
    sqlite = dialect.name == "sqlite"
    # One microsecond apart: date_added orders objects, and each has its own.
    added = added_texts(now, len(fresh)) if sqlite else None
    default = Tlp(collection.default_tlp)
    levels: dict[tuple[str, ...], str] = {}  # a feed marks most of its objects alike
    collection_id, producer, remote = (
        collection.id,
        source.producer_org_id,
        source.origin_remote_id,
    )
    yes, no = (1, 0) if sqlite else (True, False)
    short = remote is None and all(result.sighting_of is None for result, _, _ in fresh)
    # Row ids are reserved first, so that each row is built whole, once.
    ids = bulk.reserve_ids(db, len(fresh)) if fresh else []
    values: list[tuple[Any, ...]] = []
    versions: list[datetime] = []
    for index, (result, body, _) in enumerate(fresh):
        tlp = levels.get(result.marking_refs)
        if tlp is None:
            tlp = level_of(result.marking_refs, default=default).value
            levels[result.marking_refs] = tlp
        version = result.version
        if added is not None:
            date_added = added[index]
            if version is None:
                version = now + timedelta(microseconds=index)
                stored_version = date_added
            else:
                stored_version = sqlite_text(result.version_text) or to_driver(version)
        else:
            when = now + timedelta(microseconds=index)
            date_added = to_driver(when)
            if version is None:
                version = when
            stored_version = to_driver(version)
        versions.append(version)
        row = (
            ids[index],
            collection_id,
            result.stix_id,
            result.stix_type,
            result.spec_version,
            stored_version,
            date_added,
            yes,
            yes,
            yes if result.revoked else no,
            tlp,
            producer,
            audience_id,
        )
        values.append(
            (*row, body)
            if short
            else (*row, remote, result.sighting_of, result.sighting_count, body)
        )
    return Rows(values, ids, versions, SHORT_COLUMNS if short else COLUMNS)


def timestamp_processor(dialect: Dialect) -> Callable[[Any], Any]:
    """What a timestamp column gives the driver for a timestamp (``UTCDateTime``'s own)."""
    processor = StixObject.__table__.c.version.type.dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    return processor


def sqlite_text(version_text: str | None) -> str | None:
    """The text SQLite stores for a STIX timestamp in ``format_timestamp``'s form
    ("2024-01-31T12:00:00.123Z", or with microseconds): "2024-01-31 12:00:00.123000";
    None for any other form (the caller formats the timestamp then)."""
    if version_text is None:
        return None
    size = len(version_text)
    if size == 24 and version_text[19] == "." and version_text[23] == "Z":
        return f"{version_text[:10]} {version_text[11:23]}000"
    if size == 27 and version_text[19] == "." and version_text[26] == "Z":
        return f"{version_text[:10]} {version_text[11:26]}"
    return None


def added_texts(now: datetime, count: int) -> list[str]:
    """The SQLite text of ``now`` plus 0, 1, ... ``count - 1`` microseconds: the date and time
    formatted once per second they span, the microseconds appended."""
    if now.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")  # as UTCDateTime does
    found: list[str] = []
    start = now.astimezone(UTC).replace(tzinfo=None)
    while len(found) < count:
        micro = start.microsecond
        span = min(count - len(found), 1_000_000 - micro)
        prefix = start.isoformat(" ", "seconds") + "."
        found.extend([f"{prefix}{m:06d}" for m in range(micro, micro + span)])
        start += timedelta(microseconds=span)
    return found


def set_flags(db: Session, rows: Rows, existing: dict[str, dict[datetime, Stored]]) -> None:
    """Mark each id's newest and oldest version, among new ones and the stored ones they
    join (spec 3.4)."""
    # Rows are built latest and first: only an id with versions stored already, or with
    # several new ones, has flags to set (most of an envelope has neither).
    ids = [row[STIX_ID] for row in rows.values]
    wanted = {stix_id for stix_id, stored in existing.items() if stored}
    if len(set(ids)) != len(ids):
        wanted.update(stix_id for stix_id, n in Counter(ids).items() if n > 1)
    if not wanted:
        return
    by_id: dict[str, list[int]] = {}
    for index, stix_id in enumerate(ids):
        if stix_id in wanted:
            by_id.setdefault(stix_id, []).append(index)
    versions = rows.versions
    unset_latest: list[int] = []
    unset_first: list[int] = []
    for stix_id, indexes in by_id.items():
        stored = existing.get(stix_id) or {}
        ordered = [versions[i] for i in indexes] + list(stored)
        newest, oldest = max(ordered), min(ordered)
        for index in indexes:
            row = rows.values[index]
            given = type(row[LATEST])  # bool, or int as rows_of gives SQLite the flags
            flags = (given(versions[index] == newest), given(versions[index] == oldest))
            rows.values[index] = (*row[:LATEST], *flags, *row[FIRST + 1 :])
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


def note_prefixes(db: Session, observables: Iterable[tuple[str, str]]) -> None:
    """Record the prefix lengths of the address ranges among ``observables`` (``(kind,
    value)`` pairs; see ``lookup.network_keys``): one insert of the few new ones."""
    networks = lookup.NETWORK_KINDS.values()
    lengths = {
        (kind, lookup.prefix_length(value)) for kind, value in observables if kind in networks
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


def insert(db: Session, rows: Rows, fresh: list[Valid]) -> None:
    """Insert the rows, their references and their look-up index entries."""
    if not rows.values:
        return
    # The rows go in as one executemany of the driver (no ORM bookkeeping, no per-row
    # parameter building: see bulk.py), the look-up index with them.
    row_ids = rows.ids
    connection = db.connection()
    bulk.insert_values(connection, StixObject, rows.columns, rows.values)
    if connection.dialect.name == "sqlite":
        # SQLite has no statement triggers: the insert's one bump of the page version, in
        # its transaction (PostgreSQL's statement trigger makes its own; sharing_0016).
        connection.exec_driver_sql(_BUMP_SQLITE, (rows.values[0][COLLECTION_ID],))
    refs.insert(
        connection,
        [
            (row_id, result.stix_type, body)
            for row_id, (result, body, _) in zip(row_ids, fresh, strict=True)
        ],
    )
    owned = [
        (row_id, kind, value)
        for row_id, (_, _, pairs) in zip(row_ids, fresh, strict=True)
        for kind, value in pairs
    ]
    keys = lookup.keys((kind, value) for _, kind, value in owned)
    observables = [
        (row_id, key, kind, value) for (row_id, kind, value), key in zip(owned, keys, strict=True)
    ]
    bulk.insert_values(connection, Observable, _OBSERVABLE_COLUMNS, observables)
    note_prefixes(db, [(kind, value) for _, kind, value in owned])
    if db.get_bind().dialect.name == "postgresql":
        bulk.keep_statistics(db, row_ids[-1])
