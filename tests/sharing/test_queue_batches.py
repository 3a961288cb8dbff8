"""What the entries of one drain share: the rows they name read once, and the accountability
refresh queued once a batch (``accord.sharing.queue``'s ``_Batch``)."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import events
from accord.db import unit_of_work
from accord.jobs.models import Job
from accord.sharing import ingest, queue, stix_validation
from accord.sharing.models import StixObject, TaxiiStatus
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


def _post(client: TestClient, world: SharingWorld, count: int) -> str:
    answer = client.post(
        f"/taxii2/hub/collections/{world.collection}/objects/",
        json=stixgen.envelope(*(stixgen.indicator() for _ in range(count))),
        headers={**TAXII, **world.bearer("producer")},
    )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def _reads(engine: Engine) -> tuple[Counter[str], Any]:
    """The tables read by SELECT through ``engine``, counted (and the listener, to remove)."""
    found: Counter[str] = Counter()

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            match = re.search(r"\bFROM\s+\"?(\w+)", statement)
            if match:
                found[match.group(1)] += 1

    event.listen(engine, "before_cursor_execute", seen)
    return found, seen


def test_a_batch_reads_the_rows_its_entries_name_once_and_queues_one_refresh(
    bare: TestClient, app: FastAPI, world: SharingWorld, db: Session
) -> None:
    posted = [_post(bare, world, 3) for _ in range(3)]
    engine = app.state.engine
    reads, listener = _reads(engine)
    try:
        assert queue.drain(app.state.queue, app.state.sessionmaker, limit=10_000) == 3
    finally:
        event.remove(engine, "before_cursor_execute", listener)

    # One read each of the collection, the producer and the account for the three entries, and
    # one refresh queued (its look-up, then its read back after the insert): each entry read
    # all of them before.
    assert reads["sharing_collections"] == 1
    assert reads["organizations"] == 1
    assert reads["users"] == 1
    assert reads["jobs"] == 2
    db.rollback()
    assert db.scalar(select(func.count()).select_from(StixObject)) == 9
    statuses = db.scalars(select(TaxiiStatus).where(TaxiiStatus.uuid.in_(posted))).all()
    assert sorted((s.success_count, s.user_id is not None) for s in statuses) == [(3, True)] * 3
    [refresh] = db.scalars(select(Job).where(Job.kind == events.KIND)).all()
    assert refresh.dedupe_key == f"{events.KIND}:{','.join(events.affected(datetime.now(UTC)))}"


def test_a_batch_across_a_month_queues_the_refresh_of_both_months(
    session_factory: sessionmaker[Session],
) -> None:
    batch = queue._Batch()
    end_of_march = datetime(2026, 3, 31, 23, 59, 59, 900_000, tzinfo=UTC)
    batch.stored_at(end_of_march)
    batch.stored_at(datetime(2026, 3, 31, 23, 59, 59, 950_000, tzinfo=UTC))
    batch.stored_at(datetime(2026, 4, 1, 0, 0, 0, 100_000, tzinfo=UTC))
    with unit_of_work(session_factory) as db:
        batch.refresh(db)
    with session_factory() as db:
        keys = set(db.scalars(select(Job.dedupe_key).where(Job.kind == events.KIND)))
    march = ",".join(events.affected(end_of_march))
    april = ",".join(events.affected(datetime(2026, 4, 1, tzinfo=UTC)))
    assert keys == {f"{events.KIND}:{march}", f"{events.KIND}:{april}"}


def test_a_batch_that_stores_nothing_queues_no_refresh(
    bare: TestClient, app: FastAPI, world: SharingWorld, db: Session
) -> None:
    found = stixgen.indicator()

    def post_and_drain() -> None:
        answer = bare.post(
            f"/taxii2/hub/collections/{world.collection}/objects/",
            json=stixgen.envelope(found, found, found),
            headers={**TAXII, **world.bearer("producer")},
        )
        assert answer.status_code == 202
        assert queue.drain(app.state.queue, app.state.sessionmaker, limit=10_000) == 1

    post_and_drain()
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Job).where(Job.kind == events.KIND)) == 1
    with unit_of_work(app.state.sessionmaker) as writer:
        writer.execute(Job.__table__.delete())
    post_and_drain()  # its objects were all stored already: nothing to refresh
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Job)) == 0
    assert db.scalar(select(func.count()).select_from(StixObject)) == 1


@pytest.mark.parametrize(
    "pattern",
    [
        None,  # one hash: decode's short way
        "[ipv4-addr:value = '10.0.0.1'] OR [domain-name:value = 'example.com']",  # two
        "[file:name LIKE 'x%']",  # none
    ],
)
def test_an_entry_decodes_to_what_checking_gave(pattern: str | None) -> None:
    objects = [stixgen.indicator(pattern=pattern), stixgen.sighting(f"indicator--{uuid.uuid4()}")]
    valid = [o for o in ingest.check_objects(objects) if not isinstance(o, dict)]
    decoded = queue.decode(queue.encode(valid))
    # As checked, but for the pattern's comparisons, which serve only to find the observables.
    assert decoded == [(c._replace(comparisons=()), body, pairs) for c, body, pairs in valid]
    assert all(type(c) is stix_validation.CheckedObject for c, _, _ in decoded)
    assert [len(pairs) for _, _, pairs in decoded] == [
        {None: 1, "[file:name LIKE 'x%']": 0}.get(pattern, 2),
        0,
    ]
