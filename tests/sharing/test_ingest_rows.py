"""The drainer's rows hold, byte for byte, what the timestamps' own formatting would store.

``ingest_rows`` builds an object row as a tuple straight from the queue entry: on SQLite the
version's text is sliced from its STIX text and the dates added written once per second they
span. These tests hold both to the text ``UTCDateTime`` writes, and the rows stored by the
queue's path (entry encoded, decoded, stored) to values computed here independently.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.sharing import ingest, ingest_rows, queue
from accord.sharing.models import Collection, ObjectRef, Observable, PageVersion, StixObject
from accord.sharing.stix_validation import format_timestamp
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

_SQLITE_TEXT = ingest_rows.timestamp_processor(sqlite.dialect())


def _sqlite(value: datetime) -> str:
    """SQLite's text of a timestamp, field by field (not the code under test's isoformat)."""
    v = value.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d} "
        f"{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"
    )


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 1, 31, 12, 0, 0, tzinfo=UTC),
        datetime(2024, 1, 31, 12, 0, 0, 123000, tzinfo=UTC),
        datetime(2024, 1, 31, 12, 0, 0, 120000, tzinfo=UTC),
        datetime(2024, 1, 31, 12, 0, 0, 123456, tzinfo=UTC),
        datetime(2024, 1, 31, 12, 0, 0, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
def test_a_version_text_gives_what_the_column_would_store(value: datetime) -> None:
    text = format_timestamp(value)  # the form a checked object's version text has
    assert ingest_rows.sqlite_text(text) == _SQLITE_TEXT(value) == _sqlite(value)


@pytest.mark.parametrize(
    "text", ["2024-01-31T12:00:00Z", "2024-01-31T12:00:00.1Z", "2024-01-31T12:00:00.123+00:00"]
)
def test_a_version_text_of_another_form_is_left_to_the_formatting(text: str) -> None:
    assert ingest_rows.sqlite_text(text) is None
    assert ingest_rows.sqlite_text(None) is None


@pytest.mark.parametrize(
    ("now", "count"),
    [
        (datetime(2024, 1, 31, 12, 0, 0, 5, tzinfo=UTC), 7),
        (datetime(2024, 1, 31, 12, 0, 0, 999_997, tzinfo=UTC), 7),  # into the next second
        (datetime(2023, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), 3),  # into the next year
        (datetime(2024, 1, 31, 12, 0, 0, 999_990, tzinfo=UTC), 2_000_020),  # three seconds
        (datetime(2024, 1, 31, 13, 0, 0, 5, tzinfo=UTC), 0),
    ],
)
def test_dates_added_are_the_column_text_a_microsecond_apart(now: datetime, count: int) -> None:
    found = ingest_rows.added_texts(now, count)
    expected = [_sqlite(now + timedelta(microseconds=i)) for i in range(count)]
    assert found == expected
    step = max(1, count // 1000)  # the processor itself on a sample
    sample = range(0, count, step)
    assert all(found[i] == _SQLITE_TEXT(now + timedelta(microseconds=i)) for i in sample)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        ingest_rows.added_texts(datetime(2024, 1, 1), 1)


def _sco(value: str) -> dict[str, Any]:
    return {"type": "ipv4-addr", "spec_version": "2.1", "id": f"ipv4-addr--{uuid.uuid4()}",
            "value": value}  # fmt: skip


def _envelopes() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two envelopes covering each way a row is built: millisecond, microsecond, unfractioned
    and trailing-zero versions, one without a version, markings, revocation, a sighting, a
    relationship, an address, and versions of one id in both (the flags of stored rows)."""
    chain = stixgen.indicator(name="chain", modified=stixgen.T0 + timedelta(days=2))
    cidr = stixgen.indicator("10.1.0.0/16", kind="ipv4")
    first = [
        stixgen.indicator(tlp=Tlp.RED),
        {**stixgen.indicator(), "modified": "2024-03-05T06:07:08.123456Z"},
        {**stixgen.indicator(), "modified": "2024-03-05T06:07:08Z"},
        {**stixgen.indicator(), "modified": "2024-03-05T06:07:08.120000Z"},
        {**stixgen.indicator(), "revoked": True},
        chain,
        {**chain, "modified": "2024-01-04T00:00:00.000Z"},
        {**chain, "modified": "2024-01-04T00:00:00.000Z"},  # repeated: stored once
        _sco("192.0.2.7"),
        cidr,
    ]
    target = first[0]["id"]
    second = [
        {**chain, "modified": "2024-01-02T00:00:00.500Z"},  # older than the stored: first
        {**chain, "modified": "2024-01-09T00:00:00.000001Z"},  # newer: latest
        stixgen.sighting(target, count=4),
        {"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uuid.uuid4()}",
         "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
         "relationship_type": "indicates", "source_ref": first[1]["id"], "target_ref": target},
    ]  # fmt: skip
    return first, second


def _drain(db: Session, collection: Collection, objects: list[Any], now: datetime) -> list[Any]:
    """Store ``objects`` as the drainer does: checked, queued, decoded, stored."""
    valid = [o for o in ingest.check_objects(objects) if not isinstance(o, dict)]
    assert len(valid) == len(objects)
    report = ingest.store_checked(
        db,
        collection=collection,
        outcomes=queue.decode(queue.encode(valid)),
        source=ingest.Source(producer_org_id=collection.owner_org_id),
        now=now,
    )
    return report.successes


def _expected_version(obj: dict[str, Any], added: datetime) -> datetime:
    text = obj.get("modified")
    return added if text is None else datetime.fromisoformat(text)


def test_stored_rows_hold_what_is_computed_independently(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    first, second = _envelopes()
    # The first batch's dates added cross a second; the second's do not.
    nows = [datetime(2024, 6, 1, 8, 0, 0, 999_996, tzinfo=UTC), datetime(2024, 6, 2, tzinfo=UTC)]
    expected: list[dict[str, Any]] = []
    with unit_of_work(session_factory) as db:
        collection = db.scalars(select(Collection).where(Collection.uuid == world.collection)).one()
        producer = collection.owner_org_id
        successes_first: list[Any] = []
        for objects, now in zip((first, second), nows, strict=True):
            successes = _drain(db, collection, objects, now)
            successes_first = successes_first or successes
            fresh = [o for n, o in enumerate(objects) if o not in objects[:n]]
            for index, obj in enumerate(fresh):
                added = now + timedelta(microseconds=index)
                version = _expected_version(obj, added)
                expected.append({"obj": obj, "version": version, "added": added})
            assert [s["message"] for s in successes].count("stored") == len(fresh)
        # The unversioned object's status names its date added (the eighth fresh object).
        (unversioned,) = [s for s in successes_first if s["id"] == first[8]["id"]]
        assert unversioned["version"] == format_timestamp(nows[0] + timedelta(microseconds=7))
        collection_id, default_tlp = collection.id, collection.default_tlp
    versions: dict[str, list[datetime]] = {}
    for row in expected:
        versions.setdefault(row["obj"]["id"], []).append(row["version"])
    tlp = {first[0]["id"]: "red"}
    sqlite_db = session_factory.kw["bind"].dialect.name == "sqlite"
    columns = [c for c in ingest_rows.COLUMNS if c != "id"]
    with session_factory() as db:
        # Raw, as stored: on SQLite each value as SQL quotes it (its type and its text).
        listed = ", ".join(f"quote({c})" if sqlite_db else c for c in columns)
        # The listed columns are the model's own names.
        query = f"SELECT {listed}, id FROM sharing_objects WHERE collection_id = :c"  # noqa: S608
        stored = db.execute(text(query + " ORDER BY id"), {"c": collection_id}).all()
        audience_id = db.scalar(select(StixObject.audience_id).limit(1))
        row_ids = [r[-1] for r in stored]
        refs = db.execute(select(ObjectRef.object_id, ObjectRef.role, ObjectRef.ref)).all()
        observables = db.execute(
            select(Observable.object_id, Observable.kind, Observable.value)
        ).all()

    def cell(value: Any) -> Any:
        if not sqlite_db:
            if isinstance(value, datetime):
                return value.astimezone(UTC).replace(tzinfo=None)
            return value
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return str(int(value))
        if isinstance(value, int):
            return str(value)
        text = _sqlite(value) if isinstance(value, datetime) else str(value)
        return "'" + text.replace("'", "''") + "'"

    assert audience_id is not None
    want = []
    for row in expected:
        obj, version = row["obj"], row["version"]
        chain = versions[obj["id"]]
        values = [
            collection_id,
            obj["id"],
            obj["type"],
            "2.1",
            version,
            row["added"],
            version == max(chain),
            version == min(chain),
            bool(obj.get("revoked", False)),
            tlp.get(obj["id"], default_tlp),
            producer,
            audience_id,
            None,
            obj.get("sighting_of_ref"),
            obj.get("count"),
            orjson.dumps(obj).decode(),
        ]
        want.append(tuple(cell(v) for v in values))
    assert [tuple(r[:-1]) for r in stored] == want
    assert row_ids == list(range(row_ids[0], row_ids[0] + len(want)))
    relationship = second[3]
    by_id = {r["obj"]["id"]: row_id for r, row_id in zip(expected, row_ids, strict=True)}
    assert sorted(refs) == sorted(
        [
            (by_id[relationship["id"]], "source", relationship["source_ref"]),
            (by_id[relationship["id"]], "target", relationship["target_ref"]),
        ]
    )
    assert (by_id[first[9]["id"]], "ipv4-net", "10.1.0.0/16") in observables
    # One observable an indicator row (each pattern compares one value).
    assert len(observables) == sum(r["obj"]["type"] == "indicator" for r in expected)


def test_each_insert_of_objects_moves_the_collections_page_version(
    world: SharingWorld, session_factory: sessionmaker[Session]
) -> None:
    # On SQLite the insert bumps the version itself (sharing_0016), on PostgreSQL a statement
    # trigger does: either way a cached page of the collection is no longer served.
    def version(db: Session, collection_id: int) -> int:
        query = select(func.coalesce(func.sum(PageVersion.version), 0))
        return int(db.scalar(query.where(PageVersion.collection_id == collection_id)) or 0)

    now = datetime(2024, 6, 1, tzinfo=UTC)
    seen = []
    with unit_of_work(session_factory) as db:
        collection = db.scalars(select(Collection).where(Collection.uuid == world.collection)).one()
        seen.append(version(db, collection.id))
        for count in (1, 3):
            objects = [stixgen.indicator() for _ in range(count)]
            _drain(db, collection, objects, now)
            seen.append(version(db, collection.id))
        others = db.scalar(
            select(func.count())
            .select_from(PageVersion)
            .where(PageVersion.collection_id != collection.id, PageVersion.version > 0)
        )
    assert seen[0] < seen[1] < seen[2], seen
    assert others == 0  # only the collection written to


# Where an INSERT into sharing_objects could be written in the package's source.
_OBJECT_INSERTS = re.compile(
    r"insert\(\s*StixObject\b|insert_(?:rows|values)\([^)]*\bStixObject\b|"
    r"(?<!class )\bStixObject\(|INTO\s+sharing_objects\b",
    re.IGNORECASE,
)


def test_objects_are_inserted_only_where_the_page_version_is_bumped() -> None:
    # SQLite has no row trigger on inserts of objects any more (sharing_0016): a new place
    # that inserts them must bump the collection's page version as ingest_rows.insert does,
    # or cached TAXII pages would be served without its objects.
    package = Path(ingest_rows.__file__).resolve().parents[1]
    found = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "migrations" not in path.parts and _OBJECT_INSERTS.search(path.read_text())
    )
    assert found == ["sharing/ingest_rows.py"]
