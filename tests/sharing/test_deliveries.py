"""Objects pulled by others: TAXII GETs counted in memory, flushed to sharing_deliveries, and
read back as the accountability figure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import periods, services
from accord.clock import utcnow
from accord.identity.services import get_org
from accord.sharing import deliveries
from accord.sharing.deliveries import Deliveries, Flusher
from accord.sharing.models import ObjectDelivery
from accord.sharing.taxii import TAXII_MEDIA_TYPE
from accord.sharing.tlp import Tlp
from tests.sharing import stixgen
from tests.sharing.conftest import SharingWorld

TAXII = {"Accept": TAXII_MEDIA_TYPE, "Content-Type": TAXII_MEDIA_TYPE}


@pytest.fixture
def buffer(app: FastAPI) -> Iterator[Deliveries]:
    """A fresh buffer for this test (the suite's app is shared between tests)."""
    previous = app.state.deliveries
    app.state.deliveries = fresh = Deliveries()
    yield fresh
    app.state.deliveries = previous


def _counts(db: Session, world: SharingWorld) -> dict[tuple[str, str], int]:
    db.rollback()
    names = {get_org(db, slug).id: slug for slug in world.slugs.values()}
    rows = db.scalars(select(ObjectDelivery)).all()
    assert {r.day for r in rows} <= {utcnow().date()}
    return {(names[r.producer_org_id], names[r.reader_org_id]): r.objects for r in rows}


def test_gets_by_other_organizations_are_counted_and_flushed(
    client: TestClient,
    world: SharingWorld,
    buffer: Deliveries,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    clear, green = stixgen.indicator(tlp=Tlp.CLEAR), stixgen.indicator(tlp=Tlp.GREEN)
    posted = client.post(
        url, json=stixgen.envelope(clear, green), headers={**TAXII, **world.bearer("producer")}
    )
    assert posted.status_code == 202, posted.text

    def get(path: str, reader: str) -> None:
        answer = client.get(path, headers={**TAXII, **world.bearer(reader)})
        assert answer.status_code == 200, answer.text

    get(url, "recipient")  # 2 objects to Recipient Org
    get(url, "community")  # 2 (both CLEAR and GREEN are the community's)
    get(url, "producer")  # its own: not a pull by others
    get(url, "anonymous")  # no organization: not counted
    get(url + clear["id"] + "/", "recipient")  # 1 more to Recipient Org
    get(url + clear["id"] + "/versions/", "recipient")  # a version list delivers no object
    # Buffered: 2 + 2 + the producer's 2 (dropped at the flush, which knows producers) + 1.
    assert buffer.pending() == 7
    buffer.flush(session_factory)
    assert buffer.pending() == 0
    producer, recipient, community = (
        world.slugs[k] for k in ("producer", "recipient", "community")
    )
    assert _counts(db, world) == {(producer, recipient): 3, (producer, community): 2}
    # A second flush adds to the same day's rows.
    get(url, "recipient")
    buffer.flush(session_factory)
    assert _counts(db, world)[(producer, recipient)] == 5
    # ...and the figure reads them: 5 + 2 objects this month, to two organizations.
    month = periods.of(periods.PeriodKind.MONTH, utcnow())
    org_id = get_org(db, producer).id
    found = services.live(db, period=month, org_ids=[org_id])[org_id]
    assert (found["objects_pulled"].value, found["pulling_organizations"].value) == (7, 2)
    assert found["objects_pulled"].records[0].startswith("private:")


def test_own_reads_are_not_counted(
    client: TestClient,
    world: SharingWorld,
    buffer: Deliveries,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    url = f"/taxii2/hub/collections/{world.collection}/objects/"
    obj = stixgen.indicator(tlp=Tlp.GREEN)
    client.post(url, json=stixgen.envelope(obj), headers={**TAXII, **world.bearer("producer")})
    client.get(url, headers={**TAXII, **world.bearer("producer")})
    assert buffer.pending() == 1
    assert buffer.flush(session_factory) == 0
    assert _counts(db, world) == {}


def test_a_failed_flush_keeps_the_counts(
    buffer: Deliveries, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer.add(frozenset({1}), date(2026, 3, 1), [10, 11])

    def broken(db: Session, taken: object) -> int:
        raise RuntimeError("database gone")

    monkeypatch.setattr(deliveries, "_store", broken)
    with pytest.raises(RuntimeError):
        buffer.flush(session_factory)
    assert buffer.pending() == 2


def test_the_flusher_flushes_once_more_when_stopped(
    buffer: Deliveries, session_factory: sessionmaker[Session]
) -> None:
    buffer.add(frozenset({1}), date(2026, 3, 1), [10])  # no such row: counted as nothing
    flusher = Flusher(buffer, session_factory, every=3600)
    flusher.start()
    flusher.stop()
    assert buffer.pending() == 0
