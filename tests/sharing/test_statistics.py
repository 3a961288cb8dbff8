"""PostgreSQL keeps planning the ingest's look-up of stored versions through the unique index.

With statistics taken when the table was small, the planner read the stored versions of an
envelope's ids by walking the whole collection along its date index, once per envelope: ingest
slowed down as the collection grew (5,100 to 600 objects a second by 60,000 objects, with
autovacuum off as on this machine). The ingest now refreshes the statistics once the table has
outgrown them twice over.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.db import unit_of_work
from accord.sharing import ingest
from accord.sharing.models import Collection, StixObject
from tests.factories import Factories
from tests.sharing import stixgen
from tests.sharing.conftest import make_collection


def _analyzed(engine: Engine) -> int:
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return int(
            connection.exec_driver_sql(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'sharing_objects'"
            ).scalar_one()
        )


def _plan(db: Session, collection_id: int, ids: list[str]) -> str:
    query = select(StixObject.stix_id, StixObject.version).where(
        StixObject.collection_id == collection_id, StixObject.stix_id.in_(ids)
    )
    compiled = query.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    rows = db.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    return json.dumps(rows)


def test_ingest_keeps_the_statistics_the_planner_needs(
    engine: Engine, session_factory: sessionmaker[Session], make: Factories
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite plans this read with its own hint (tests/sharing/test_query_plans)")
    slug = make.org("Feed Org")
    collection_uuid = make_collection(session_factory, slug, title="Feed")
    before = _analyzed(engine)
    envelopes = [[stixgen.indicator(uuid.uuid4().hex * 2) for _ in range(1000)] for _ in range(12)]
    for objects in envelopes:
        with unit_of_work(session_factory) as db:
            collection = db.scalars(
                select(Collection).where(Collection.uuid == collection_uuid)
            ).one()
            report = ingest.store_objects(
                db,
                collection=collection,
                objects=objects,
                source=ingest.Source(producer_org_id=None),
                now=utcnow(),
            )
            assert report.stored == 1000
    assert _analyzed(engine) > before
    with unit_of_work(session_factory) as db:
        collection_id = db.scalars(
            select(Collection.id).where(Collection.uuid == collection_uuid)
        ).one()
        plan = _plan(db, collection_id, [o["id"] for o in envelopes[-1][:500]])
        known = db.execute(
            text("SELECT reltuples FROM pg_class WHERE oid = 'sharing_objects'::regclass")
        ).scalar_one()
    # The planner knows the table holds thousands of rows (not the handful of its first look),
    # so it no longer walks the whole collection along the date index to find 500 ids.
    assert known >= 6000
    assert "ix_sharing_objects_page" not in plan, plan[:300]
