"""On PostgreSQL, envelopes into one collection wait for each other only over the same objects.

Every envelope used to take its collection's lock until its commit, so a collection that
everyone posts to took its envelopes one at a time (under the mixed load of bench/load.py, the
writes' longest wait). What that lock guaranteed, the latest and first flags and the creator of
each object, is about one object: an envelope now locks its objects, and its collection only
shared; a transaction storing several envelopes (a queue drain, a pull) takes it whole.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.identity.models import MemberRole, User
from accord.identity.policy import Actor
from accord.sharing import ingest, ingest_locks, page_cache, queries, services
from accord.sharing.models import Collection, StixObject
from accord.sharing.readers import reader_for
from tests.factories import Factories
from tests.sharing import stixgen
from tests.sharing.conftest import make_collection


def _flags(session_factory: sessionmaker[Session], stix_id: str) -> list[tuple[Any, ...]]:
    """Each stored version of ``stix_id`` with its latest and first flags, oldest first."""
    with session_factory() as db:
        return [
            tuple(row)
            for row in db.execute(
                select(StixObject.version, StixObject.is_latest, StixObject.is_first)
                .where(StixObject.stix_id == stix_id)
                .order_by(StixObject.version)
            )
        ]


@pytest.fixture
def collection_id(
    engine: Engine, session_factory: sessionmaker[Session], make: Factories
) -> Iterator[int]:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: its envelopes never run side by side")
    uuid = make_collection(session_factory, make.org("Feed Org"), title="Feed")
    with session_factory() as db:
        yield db.scalars(select(Collection.id).where(Collection.uuid == uuid)).one()


def _store(db: Session, collection_id: int, objects: list[dict[str, Any]]) -> ingest.Report:
    collection = db.get(Collection, collection_id)
    assert collection is not None
    return ingest.store_objects(
        db,
        collection=collection,
        objects=objects,
        source=ingest.Source(producer_org_id=collection.owner_org_id),
        now=utcnow(),
    )


def _impatient(factory: sessionmaker[Session]) -> Session:
    """A session whose transaction gives up a lock wait after a moment (instead of waiting)."""
    db = factory()
    db.execute(text("SET LOCAL lock_timeout = '1s'"))
    return db


def _version(day: int) -> datetime:
    return datetime(2026, 1, day, tzinfo=UTC)


def test_envelopes_of_other_objects_do_not_wait(
    session_factory: sessionmaker[Session], collection_id: int
) -> None:
    with session_factory.begin() as db:  # the collection's audience, as after its first
        _store(db, collection_id, [stixgen.indicator()])
    with session_factory() as first:
        assert _store(first, collection_id, [stixgen.indicator()]).stored == 1
        # The first envelope is not committed; the second, of another object, goes on.
        with _impatient(session_factory) as second:
            assert _store(second, collection_id, [stixgen.indicator()]).stored == 1
            second.commit()
        first.commit()
    with session_factory() as db:
        count = db.scalar(select(func.count()).where(StixObject.collection_id == collection_id))
        assert count == 3


def test_the_page_version_counts_envelopes_stored_side_by_side(
    session_factory: sessionmaker[Session], collection_id: int
) -> None:
    # The version TAXII's kept pages are checked against (page_cache) is bumped in the
    # envelope's transaction: one row a collection held the second envelope until the first's
    # commit. Each is counted, whichever commits first.
    def version() -> int:
        with session_factory() as db:
            found = db.execute(page_cache._VERSION, {"collection_id": collection_id})
            return int(found.scalar_one())

    with session_factory.begin() as db:  # the collection's audience, as after its first
        _store(db, collection_id, [stixgen.indicator()])
    seen = [version()]
    with session_factory() as first:
        _store(first, collection_id, [stixgen.indicator()])
        with _impatient(session_factory) as second:
            _store(second, collection_id, [stixgen.indicator()])
            second.commit()
        seen.append(version())
        first.commit()
    seen.append(version())
    assert seen == sorted(set(seen)), seen


def test_envelopes_of_one_object_take_turns(
    session_factory: sessionmaker[Session], collection_id: int
) -> None:
    stix_id = f"indicator--{'1' * 8}-1111-4111-8111-{'1' * 12}"
    older = stixgen.indicator(stix_id=stix_id, modified=_version(1))
    newer = stixgen.indicator(stix_id=stix_id, modified=_version(2))
    with session_factory() as first:
        _store(first, collection_id, [older])
        with _impatient(session_factory) as second, pytest.raises(OperationalError):
            _store(second, collection_id, [newer])
        first.commit()
    with session_factory.begin() as db:
        assert _store(db, collection_id, [newer]).stored == 1
    flags = _flags(session_factory, stix_id)
    assert [(latest, first) for _, latest, first in flags] == [(False, True), (True, False)]


def test_a_collection_taken_whole_holds_every_envelope_back(
    session_factory: sessionmaker[Session], collection_id: int
) -> None:
    with session_factory() as drain:
        ingest_locks.lock_whole(drain, collection_id)
        with _impatient(session_factory) as other, pytest.raises(OperationalError):
            _store(other, collection_id, [stixgen.indicator()])
        # The whole collection's holder stores envelope after envelope without waiting.
        assert _store(drain, collection_id, [stixgen.indicator()]).stored == 1
        assert _store(drain, collection_id, [stixgen.indicator()]).stored == 1
        drain.commit()
        # Its next transaction holds nothing any more.
        assert collection_id not in drain.info.get(ingest_locks._WHOLE, set())


def test_two_envelopes_naming_a_new_audience_at_once_share_it(
    session_factory: sessionmaker[Session], collection_id: int
) -> None:
    errors: list[BaseException] = []
    with session_factory() as first:
        _store(first, collection_id, [stixgen.indicator()])  # the audience's row, uncommitted

        def second() -> None:
            try:
                with session_factory.begin() as db:
                    _store(db, collection_id, [stixgen.indicator()])
            except BaseException as exc:  # reported by the test's thread
                errors.append(exc)

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)  # the second waits for the first's audience row
        first.commit()
        thread.join(10)
    assert not thread.is_alive()
    assert errors == []
    with session_factory() as db:
        audiences = db.scalars(
            select(StixObject.audience_id).where(StixObject.collection_id == collection_id)
        ).all()
    assert len(audiences) == 2
    assert len(set(audiences)) == 1


def test_an_envelope_waits_for_a_deletion_of_its_object(
    session_factory: sessionmaker[Session], collection_id: int, make: Factories
) -> None:
    # A deletion marks the newest and oldest versions left; an envelope adding a version
    # meanwhile used to read the versions as before the deletion, and leave two latest ones.
    stix_id = f"indicator--{'2' * 8}-2222-4222-8222-{'2' * 12}"
    with session_factory.begin() as db:
        _store(db, collection_id, [stixgen.indicator(stix_id=stix_id, modified=_version(1))])
        _store(db, collection_id, [stixgen.indicator(stix_id=stix_id, modified=_version(2))])
    errors: list[BaseException] = []
    with session_factory() as deleter:
        collection = deleter.get(Collection, collection_id)
        assert collection is not None
        person = make.user()
        user_id = deleter.scalars(select(User.id).where(User.username == person.username)).one()
        admin = Actor(user_id=user_id, roles={collection.owner_org_id: MemberRole.ADMIN})
        deleted = services.delete_object(
            deleter,
            actor=admin,
            reader=reader_for(deleter, admin),
            collection_id=collection.uuid,
            stix_id=stix_id,
            versions=queries.VersionMatch(at=(_version(2),)),
        )
        assert deleted == 1

        def envelope() -> None:
            try:
                with session_factory.begin() as db:
                    newer = stixgen.indicator(stix_id=stix_id, modified=_version(3))
                    assert _store(db, collection_id, [newer]).stored == 1
            except BaseException as exc:  # reported by the test's thread
                errors.append(exc)

        thread = threading.Thread(target=envelope)
        thread.start()
        thread.join(0.5)
        deleter.commit()
        thread.join(10)
    assert not thread.is_alive()
    assert errors == []
    flags = _flags(session_factory, stix_id)
    assert flags == [(_version(1), False, True), (_version(3), True, False)]


def test_a_large_envelope_takes_its_collection_not_a_lock_per_object(
    session_factory: sessionmaker[Session], collection_id: int
) -> None:
    # Each object lock is a slot of PostgreSQL's shared lock table (64 a connection by
    # default): two dozen envelopes of 499 objects side by side filled it, and failed.
    objects = [stixgen.indicator() for _ in range(100)]
    with session_factory() as first:
        assert _store(first, collection_id, objects).stored == len(objects)
        held = first.scalar(
            text(
                "SELECT count(*) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        )
        assert held == 1
        with _impatient(session_factory) as other, pytest.raises(OperationalError):
            _store(other, collection_id, [stixgen.indicator()])
        first.commit()
