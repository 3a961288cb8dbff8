"""Rows inserted through the driver come back as the ORM would have stored them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.db import unit_of_work
from accord.sharing import bulk
from accord.sharing.models import Collection, Observable, StixObject
from tests.sharing.conftest import SharingWorld


def _row(collection_id: int, row_id: int, when: datetime) -> dict[str, Any]:
    return {
        "id": row_id,
        "collection_id": collection_id,
        "stix_id": f"indicator--00000000-0000-4000-8000-{row_id:012d}",
        "stix_type": "indicator",
        "spec_version": "2.1",
        "version": when,
        "date_added": when,
        "is_latest": True,
        "is_first": row_id % 2 == 0,
        "revoked": False,
        "tlp": "green",
        "producer_org_id": None,
        "audience_id": None,
        "origin_remote_id": None,
        "sighting_of": None,
        "sighting_count": None,
        "body": '{"name":"é"}',
    }


def test_rows_round_trip_with_their_types(
    world: SharingWorld, session_factory: sessionmaker[Session], db: Session
) -> None:
    # A time zone other than UTC is converted as UTCDateTime does for the ORM.
    paris = datetime(2024, 5, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    with unit_of_work(session_factory) as writing:
        collection_id = writing.scalar(
            select(Collection.id).where(Collection.uuid == world.collection)
        )
        assert collection_id is not None
        rows = [_row(collection_id, 900_001, paris), _row(collection_id, 900_002, paris)]
        connection = writing.connection()
        bulk.insert_rows(connection, StixObject, rows)
        bulk.insert_rows(
            connection,
            Observable,
            [{"object_id": 900_001, "key": -(2**63), "kind": "sha256", "value": "ab"}],
        )
        bulk.insert_rows(connection, Observable, [])
    stored = db.scalars(select(StixObject).order_by(StixObject.id)).all()
    assert [(s.id, s.is_first, s.body) for s in stored] == [
        (900_001, False, '{"name":"é"}'),
        (900_002, True, '{"name":"é"}'),
    ]
    assert stored[0].version == datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert db.execute(select(Observable.object_id, Observable.key)).one() == (900_001, -(2**63))


def test_a_column_with_a_default_must_be_given(db: Session) -> None:
    row = _row(1, 1, datetime.now(UTC))
    del row["revoked"]  # it has a Python-side default, which the driver would not apply
    with pytest.raises(ValueError, match="revoked"):
        bulk.insert_rows(db.connection(), StixObject, [row])
