"""Event-driven refreshes: each relevant event queues one refresh of the running periods, in
its own transaction, coalesced with any refresh of the same periods still queued."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import events
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.identity.models import TokenScope
from accord.jobs.models import Job, JobState
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.advisories.test_exports import published
from tests.advisories.test_routes import publisher
from tests.disclosure.world import World
from tests.factories import Factories
from tests.sharing import stixgen
from tests.sharing.conftest import make_collection

KIND = "accountability.refresh"


def _refreshes(db: Session) -> list[Job]:
    db.rollback()
    return list(db.scalars(select(Job).where(Job.kind == KIND).order_by(Job.id)))


def test_affected_periods_are_those_running_at_the_event() -> None:
    assert events.affected(datetime(2028, 2, 29, 23, 59, tzinfo=UTC)) == [
        "2028-02",
        "2028-Q1",
        "2028",
    ]


def test_events_coalesce_while_a_refresh_waits(
    session_factory: sessionmaker[Session], db: Session
) -> None:
    at = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    with unit_of_work(session_factory) as w:
        first = events.recorded(w, at=at).id
    with unit_of_work(session_factory) as w:
        assert events.recorded(w, at=at).id == first  # queued still: the same job
    [job] = _refreshes(db)
    assert job.payload == {"periods": ["2026-03", "2026-Q1", "2026"]}
    assert job.run_at > at  # a short delay gathers a burst of events into one run
    # Once a worker has taken it, the next event queues a fresh refresh.
    with unit_of_work(session_factory) as w:
        w.get_one(Job, first).state = JobState.RUNNING
    with unit_of_work(session_factory) as w:
        second = events.recorded(w, at=at).id
    assert second != first
    # Another month is another set of periods: its own job.
    with unit_of_work(session_factory) as w:
        events.recorded(w, at=datetime(2026, 4, 1, tzinfo=UTC))
    assert len(_refreshes(db)) == 3


def test_concurrent_events_queue_one_job(
    session_factory: sessionmaker[Session], db: Session
) -> None:
    """A second transaction recording the same periods while the first has not committed
    waits for it (SQLite: the write lock; PostgreSQL: the unique index of queued keys, then
    ON CONFLICT DO NOTHING) and returns the first one's job instead of failing."""
    at = datetime(2026, 3, 10, tzinfo=UTC)
    first = session_factory()
    first_id = events.recorded(first, at=at).id
    found: dict[str, int] = {}

    def other() -> None:
        with unit_of_work(session_factory) as w:
            found["id"] = events.recorded(w, at=at).id

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(timeout=0.5)  # give it the time to reach the lock or the index
    first.commit()
    first.close()
    thread.join()
    assert found["id"] == first_id
    assert [job.id for job in _refreshes(db)] == [first_id]


def test_a_rolled_back_event_queues_nothing(
    session_factory: sessionmaker[Session], db: Session
) -> None:
    def failing_change() -> None:
        with unit_of_work(session_factory) as w:
            events.recorded(w)
            raise RuntimeError("the change that caused the event failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert _refreshes(db) == []


def test_the_database_holds_one_queued_job_per_key(session_factory: sessionmaker[Session]) -> None:
    row = {
        "kind": KIND,
        "payload": {},
        "state": JobState.QUEUED,
        "attempts": 0,
        "max_attempts": 1,
        "run_at": utcnow(),
        "created_at": utcnow(),
        "dedupe_key": "k",
    }
    with unit_of_work(session_factory) as w:
        w.execute(insert(Job).values(**row))
        w.execute(insert(Job).values(**{**row, "state": JobState.DONE}))  # done: no conflict
    with pytest.raises(IntegrityError), unit_of_work(session_factory) as w:
        w.execute(insert(Job).values(**row))


def test_domain_events_queue_a_refresh(
    client: TestClient,
    make: Factories,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    # A shared object stored.
    producer, person = make.org("Producer"), make.user()
    make.member(person, producer)
    url = f"/taxii2/hub/collections/{make_collection(session_factory, producer)}/objects/"
    headers = {
        "Accept": TAXII_MEDIA_TYPE,
        "Content-Type": TAXII_MEDIA_TYPE,
        "Authorization": f"Bearer {make.token(person, TokenScope.WRITE)}",
    }
    body = stixgen.envelope(stixgen.indicator(tlp=Tlp.GREEN))
    posted = client.post(url, json=body, headers=headers)
    assert posted.status_code == 202
    assert _queued(db) == 1
    _clear(session_factory)
    # An advisory published.
    slug, auth = publisher(make)
    published(client, slug, auth)
    assert _queued(db) == 1
    _clear(session_factory)
    # A vendor's status and a vendor's message.
    case = World.build(make)
    ref = case.open_case(client)
    _clear(session_factory)
    changed = client.put(
        f"/api/v1/disclosure/cases/{ref}/vendors/vendor-a/status",
        json={"status": "acknowledged"},
        headers=case.headers("vendor_a"),
    )
    assert changed.status_code == 200, changed.text
    assert _queued(db) == 1
    _clear(session_factory)
    said = client.post(
        f"/api/v1/disclosure/cases/{ref}/messages",
        json={"body": "On it.", "audience": "all"},
        headers=case.headers("vendor_b"),
    )
    assert said.status_code == 201, said.text
    assert _queued(db) == 1


def _queued(db: Session) -> int:
    return sum(job.state is JobState.QUEUED for job in _refreshes(db))


def _clear(factory: sessionmaker[Session]) -> None:
    """Mark queued refreshes done, so the next event queues its own."""
    with unit_of_work(factory) as w:
        for job in w.scalars(select(Job).where(Job.kind == KIND)):
            job.state = JobState.DONE
