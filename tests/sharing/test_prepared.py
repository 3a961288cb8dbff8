"""Statements run on the driver's cursor: the same rows and timestamps as through the ORM, in a
session's transaction or a bare one (``prepared.Reading``)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, Integer, bindparam, delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from accord import prepared
from accord.db import make_sessionmaker, unit_of_work
from accord.identity.models import MemberRole
from accord.identity.policy import Actor
from accord.identity.services import get_org
from accord.prepared import Reading
from accord.sharing import queries
from accord.sharing.models import Collection, StixObject
from accord.sharing.readers import Reader
from accord.sharing.tlp import Tlp
from tests.factories import Factories

START = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
# Whole seconds and microseconds both: SQLite stores text, and a bound timestamp must be
# written the way the stored ones are for comparisons (added_after, the cursor) to hold.
ADDED = [START, START, START + timedelta(microseconds=1), START + timedelta(seconds=1),
         START + timedelta(seconds=1, microseconds=250_000), START + timedelta(days=1)]  # fmt: skip


def _collection(make: Factories, factory: sessionmaker[Session]) -> tuple[int, int]:
    slug = make.org("Producer")
    with unit_of_work(factory) as session:
        org_id = get_org(session, slug).id
        collection = Collection(
            uuid="c", title="t", owner_org_id=org_id, default_tlp="green", public_read=True
        )
        session.add(collection)
        session.flush()
        for n, added in enumerate(ADDED):
            session.add(
                StixObject(
                    collection_id=collection.id,
                    stix_id=f"x--{n}",
                    stix_type="x",
                    spec_version="2.1",
                    version=added - timedelta(hours=1),
                    date_added=added,
                    is_latest=True,
                    is_first=True,
                    tlp=(Tlp.GREEN if n % 2 else Tlp.AMBER_STRICT).value,
                    producer_org_id=org_id,
                    body=json.dumps({"id": f"x--{n}"}),
                )
            )
        return collection.id, org_id


def _reader(org_ids: frozenset[int]) -> Reader:
    actor = Actor(user_id=1, roles=dict.fromkeys(org_ids, MemberRole.MEMBER))
    return Reader(
        actor=actor, org_ids=org_ids, group_ids=frozenset(), org_audiences=frozenset(),
        group_audiences=frozenset(), peer_remote_ids=frozenset(),
    )  # fmt: skip


def _request(
    collection_id: int, reader: Reader, *, with_body: bool = True, **filters: object
) -> queries.PageRequest:
    return queries.PageRequest(
        collection_id=collection_id,
        reader=reader,
        filters=queries.Filters(**filters),  # type: ignore[arg-type]
        key=b"k" * 32,
        now=START,
        with_body=with_body,
    )


def test_a_walk_by_cursor_sees_every_row_once_in_order(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    collection_id, org_id = _collection(make, session_factory)
    # Readers with one, two and three organizations: one expansion of the IN list each.
    for extra in ((), (org_id + 1000,), (org_id + 1000, org_id + 1001)):
        reader = _reader(frozenset({org_id, *extra}))
        seen, added, token = [], [], None
        while True:
            page = queries.page(db, _request(collection_id, reader, limit=2, next=token))
            seen += [json.loads(body)["id"] for body in page.bodies]
            added += [prepared.timestamp(page.first_raw), prepared.timestamp(page.last_raw)]
            if not page.more:
                break
            token = page.next
        assert seen == [f"x--{n}" for n in range(len(ADDED))]
        assert added[0] == ADDED[0]
        assert added[-1] == ADDED[-1]
    with unit_of_work(session_factory) as session:
        session.execute(delete(StixObject))


def test_filters_and_timestamps_match_the_orm(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    collection_id, org_id = _collection(make, session_factory)
    community = _reader(frozenset({org_id + 1000}))  # sees GREEN, not AMBER+STRICT
    page = queries.page(db, _request(collection_id, community, added_after=ADDED[2]))
    assert [json.loads(b)["id"] for b in page.bodies] == ["x--3", "x--5"]
    assert (prepared.timestamp(page.first_raw), prepared.timestamp(page.last_raw)) == (
        ADDED[3],
        ADDED[5],
    )
    ids = ("x--1", "x--2", "x--3")
    manifest = queries.page(db, _request(collection_id, community, with_body=False, ids=ids))
    orm = db.execute(
        select(StixObject.stix_id, StixObject.date_added, StixObject.version)
        .where(StixObject.stix_id.in_(["x--1", "x--3"]))
        .order_by(StixObject.date_added)
    ).all()
    assert [(e.stix_id, e.date_added, e.version) for e in manifest.entries] == [
        tuple(r) for r in orm
    ]
    with unit_of_work(session_factory) as session:
        session.execute(delete(StixObject))


def test_expanding_lists_of_each_length_and_bound_timestamps(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    collection_id, _ = _collection(make, session_factory)
    statement = (
        select(StixObject.stix_id, StixObject.date_added)
        .where(
            StixObject.collection_id == bindparam("collection_id"),
            StixObject.stix_id.in_(bindparam("ids", expanding=True)),
            StixObject.date_added >= bindparam("since", type_=StixObject.date_added.type),
            StixObject.tlp.in_([Tlp.GREEN]),
        )
        .order_by(StixObject.id)
    )
    for ids in (["x--1"], ["x--1", "x--2", "x--3"], ["x--0", "x--3", "x--5", "nothing"]):
        params = {"collection_id": collection_id, "ids": ids, "since": ADDED[1]}
        raw = prepared.rows(db, statement, params)
        found = [(stix_id, prepared.timestamp(added)) for stix_id, added in raw]
        assert found == [tuple(r) for r in db.execute(statement, params)]
    with unit_of_work(session_factory) as session:
        session.execute(delete(StixObject))


def test_a_value_given_in_one_call_and_left_to_the_statement_in_another(db: Session) -> None:
    # ``b`` has a value of its own in the statement: a call that gives ``b`` binds the
    # call's, one that leaves it out binds the statement's, in either order.
    statement = select(bindparam("a", type_=Integer), bindparam("b", value=0, type_=Integer))
    assert prepared.rows(db, statement, {"a": 1}) == [(1, 0)]
    assert prepared.rows(db, statement, {"a": 1, "b": 99}) == [(1, 99)]
    assert prepared.rows(db, statement, {"a": 2}) == [(2, 0)]


_COUNT = select(func.count()).select_from(StixObject)


def _in_transaction(driver: Any) -> bool:
    """Whether the driver's connection has a transaction open (sqlite3 or psycopg)."""
    if isinstance(driver, sqlite3.Connection):
        return driver.in_transaction
    return bool(driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE)


def test_a_bare_reading_reads_what_a_read_only_session_reads(
    make: Factories, session_factory: sessionmaker[Session], engine: Engine
) -> None:
    collection_id, org_id = _collection(make, session_factory)
    request = _request(collection_id, _reader(frozenset({org_id + 1000})), limit=2)
    readers = make_sessionmaker(engine, read_only=True)
    with Reading(engine) as bare, readers() as session:
        first = queries.page(bare, request)
        assert first == queries.page(session, request)
        assert first.bodies
        counted = (prepared.rows(bare, _COUNT, {}), prepared.rows(session, _COUNT, {}))
        # A row committed meanwhile: each sees it, or (SQLite: one snapshot from the first
        # statement to the end) neither does.
        with unit_of_work(session_factory) as writer:
            writer.add(
                StixObject(collection_id=collection_id, stix_id="x--new", stix_type="x",
                           spec_version="2.1", version=START, date_added=START, is_latest=True,
                           is_first=True, tlp=Tlp.GREEN.value, producer_org_id=org_id,
                           body="{}")
            )  # fmt: skip
        again = (prepared.rows(bare, _COUNT, {}), prepared.rows(session, _COUNT, {}))
    assert counted[0] == counted[1] == [(len(ADDED),)]
    assert again[0] == again[1]
    if engine.dialect.name == "sqlite":
        assert again[0] == counted[0]
    with unit_of_work(session_factory) as session:
        session.execute(delete(StixObject))


def _read_then_fail(engine: Engine, drivers: list[Any]) -> None:
    with Reading(engine) as reading:
        cursor = reading.cursor()
        cursor.execute("SELECT 1")
        drivers.append(cursor.connection)
        raise LookupError("the read failed")


def test_a_bare_reading_ends_its_transaction_when_closed_even_on_an_error(
    engine: Engine,
) -> None:
    drivers = []
    with Reading(engine) as reading:
        cursor = reading.cursor()
        cursor.execute("SELECT 1")
        drivers.append(cursor.connection)
        assert _in_transaction(cursor.connection)
    with pytest.raises(LookupError):
        _read_then_fail(engine, drivers)
    assert [_in_transaction(driver) for driver in drivers] == [False, False]
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_kept_read_connections_end_each_reading_and_see_later_commits(
    engine: Engine, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    kept = prepared.ReadConnections(engine, keep=2)
    if engine.dialect.name != "sqlite":
        # PostgreSQL keeps the pool's checkout, whose pre-ping a kept connection would skip.
        assert kept.take() is None
        return
    drivers: list[Any] = []
    with Reading(engine, connections=kept) as reading:
        cursor = reading.cursor()
        cursor.execute("SELECT count(*) FROM sharing_collections")
        before = cursor.fetchall()
        drivers.append(cursor.connection)
        assert _in_transaction(cursor.connection)
    _collection(make, session_factory)  # committed after that reading, before the next
    with Reading(engine, connections=kept) as reading:
        cursor = reading.cursor()
        cursor.execute("SELECT count(*) FROM sharing_collections")
        after = cursor.fetchall()
        drivers.append(cursor.connection)
    with pytest.raises(LookupError):
        _read_then_fail_kept(engine, kept, drivers)
    # One connection, kept between the readings, each of them a transaction of its own.
    assert drivers[0] is drivers[1] is drivers[2]
    assert after[0][0] == before[0][0] + 1
    assert not _in_transaction(drivers[0])
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    kept.close()


def _read_then_fail_kept(
    engine: Engine, kept: prepared.ReadConnections, drivers: list[Any]
) -> None:
    with Reading(engine, connections=kept) as reading:
        cursor = reading.cursor()
        cursor.execute("SELECT 1")
        drivers.append(cursor.connection)
        raise LookupError("the read failed")
