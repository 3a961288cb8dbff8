"""The sharing figures read from the real tables: counted by the database, equal to a count
object by object, and named by a few groups however many objects there are."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import bounds, collect, figures, periods, public, reports, services
from accord.accountability.models import ComputedFigures
from accord.accountability.periods import Period
from accord.db import unit_of_work
from accord.identity.models import OrgKind
from accord.identity.services import get_org
from accord.sharing.models import Collection, Remote, StixObject
from tests.factories import Factories

MARCH = periods.parse("2026-03")
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
# Around March 2026: February, March (its first and last moments included), April, May.
MOMENTS = (
    datetime(2026, 2, 10, tzinfo=UTC),
    datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
    MARCH.start,
    datetime(2026, 3, 15, 12, tzinfo=UTC),
    MARCH.end - timedelta(microseconds=1),
    MARCH.end,
    datetime(2026, 4, 20, tzinfo=UTC),
    datetime(2026, 5, 2, tzinfo=UTC),
)
PERIODS = ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-Q1", "2026-Q2", "2026")


@dataclass(frozen=True)
class Hub:
    signatories: list[int]  # who the figures are computed for
    others: list[int]  # organizations that are not signatories: they share and sight too
    collections: list[int]
    remote: int


def _hub(make: Factories, session_factory: sessionmaker[Session]) -> Hub:
    slugs = [make.org() for _ in range(3)]
    other = make.org(kind=OrgKind.PARTNER)
    with unit_of_work(session_factory) as db:
        signatories = [get_org(db, slug).id for slug in slugs]
        others = [get_org(db, other).id]
        collections = []
        for title in ("one", "two"):
            found = Collection(
                uuid=str(uuid.uuid4()),
                title=title,
                owner_org_id=signatories[0],
                default_tlp="CLEAR",
            )
            db.add(found)
            db.flush()
            collections.append(found.id)
        remote = Remote(
            name="elsewhere",
            api_root="https://elsewhere.example/taxii2/root/",
            remote_collection="c",
            collection_id=collections[1],
            organization_id=signatories[1],
        )
        db.add(remote)
        db.flush()
        return Hub(signatories, others, collections, remote.id)


def _row(
    stix_id: str, collection: int, producer: int | None, added: datetime, **rest: Any
) -> dict[str, Any]:
    stix_type = stix_id.partition("--")[0]
    row = {
        "collection_id": collection, "stix_id": stix_id, "stix_type": stix_type,
        "spec_version": "2.1", "version": added, "date_added": added, "is_latest": True,
        "is_first": True, "revoked": False, "tlp": "CLEAR", "producer_org_id": producer,
        "origin_remote_id": None, "sighting_of": None, "body": "{}",
    }  # fmt: skip
    row.update(rest)
    return row


def _history(hub: Hub, rng: random.Random) -> list[dict[str, Any]]:
    """Objects of every kind the figures must tell apart, and sightings of them."""
    producers: list[int | None] = [*hub.signatories, *hub.others, None]
    rows: list[dict[str, Any]] = []
    for n in range(240):
        added = rng.choice(MOMENTS)
        producer = rng.choice(producers)
        collection = rng.choice(hub.collections)
        tlp = rng.choice(TLPS)
        stix_id = f"indicator--{uuid.UUID(int=n)}"
        # A later version (never counted), pulled from a remote (never counted), or shared.
        kind = rng.choice(("first", "first", "first", "later", "remote"))
        rows.append(
            _row(
                stix_id, collection, producer, added, tlp=tlp,
                version=added if kind != "later" else added + timedelta(seconds=1),
                is_first=kind != "later",
                origin_remote_id=hub.remote if kind == "remote" else None,
            )
        )  # fmt: skip
        if rng.random() < 0.2:
            # The same object in the other collection: a first version there too.
            other = hub.collections[1 - hub.collections.index(collection)]
            rows.append(_row(stix_id, other, producer, rng.choice(MOMENTS), tlp=tlp, is_first=True))
    sighted = [r for r in rows if r["is_first"]]
    for n in range(160):
        of = rng.choice(sighted)
        # By another organization, by the producer itself (never counted) or by no one known.
        by = rng.choice([*hub.signatories, *hub.others, None, of["producer_org_id"]])
        stix_id = f"sighting--{uuid.UUID(int=10_000 + n)}"
        added = rng.choice(MOMENTS)
        first = rng.random() < 0.85
        rows.append(
            _row(
                stix_id, rng.choice(hub.collections), by, added,
                tlp=rng.choice(TLPS), sighting_of=of["stix_id"], is_first=first,
            )
        )  # fmt: skip
        if rng.random() < 0.2:
            # The same sighting in both collections, added at the same moment or not.
            again = added if rng.random() < 0.5 else rng.choice(MOMENTS)
            other = hub.collections[1 - hub.collections.index(rows[-1]["collection_id"])]
            rows.append({**rows[-1], "collection_id": other, "date_added": again})
    return rows


def _by_hand(rows: list[dict[str, Any]], org_id: int, period: Period) -> dict[str, Any]:
    """The three figures counted object by object, as the definitions say."""
    shared = [
        r
        for r in rows
        if r["producer_org_id"] == org_id
        and r["is_first"]
        and r["origin_remote_id"] is None
        and r["stix_type"] != "sighting"
        and period.contains(r["date_added"])
    ]
    producers: dict[str, set[int | None]] = {}
    for r in rows:
        if r["is_first"] and r["stix_type"] != "sighting":
            producers.setdefault(r["stix_id"], set()).add(r["producer_org_id"])
    # One sighting counts once per moment it was added, however many copies it has.
    sightings = {
        (r["stix_id"], r["date_added"])
        for r in rows
        if r["stix_type"] == "sighting"
        and r["is_first"]
        and period.contains(r["date_added"])
        and org_id in producers.get(r["sighting_of"], set())
        and r["producer_org_id"] != org_id
    }
    by_tlp = Counter(r["tlp"] for r in shared)
    # Objects above TLP:CLEAR count as one group, and only from public.THRESHOLD objects on.
    clear = by_tlp.get("CLEAR", 0)
    restricted = sum(n for tlp, n in by_tlp.items() if tlp != "CLEAR")
    restricted = restricted if restricted >= public.THRESHOLD else 0
    shown = {"CLEAR": clear, "restricted": restricted}
    return {
        "objects_shared": clear + restricted,
        "objects_shared_by_tlp": {k: n for k, n in sorted(shown.items()) if n},
        "sightings_received": len(sightings),
        "private_objects": restricted,
        "clear_objects": clear,
    }


def _store(session_factory: sessionmaker[Session], rows: list[dict[str, Any]]) -> None:
    with unit_of_work(session_factory) as db:
        db.execute(insert(StixObject), rows)


def test_sharing_figures_equal_a_count_object_by_object(
    make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    hub = _hub(make, session_factory)
    rows = _history(hub, random.Random(5))
    _store(session_factory, rows)
    # The history holds every case the figures must tell apart.
    assert {r["tlp"] for r in rows} == set(TLPS)
    assert any(r["origin_remote_id"] is not None for r in rows)
    assert any(not r["is_first"] for r in rows if r["stix_type"] == "sighting")
    assert any(not r["is_first"] for r in rows if r["stix_type"] != "sighting")
    db.rollback()
    # Few signatories are filtered by the database; many (here made up) by Python.
    many = [*hub.signatories, *range(100_000, 100_000 + bounds.FEW)]
    checked = 0
    for key in PERIODS:
        period = periods.parse(key)
        for wanted in (hub.signatories, many):
            computed = collect.collect(db, period=period, org_ids=wanted)
            for org_id in hub.signatories:
                found = figures.compute(computed[org_id], period)
                expected = _by_hand(rows, org_id, period)
                for figure in ("objects_shared", "objects_shared_by_tlp", "sightings_received"):
                    assert found[figure].value == expected[figure], (key, org_id, figure)
                # Named: the TLP:CLEAR group; counted: every object above it, every sighting.
                shown, hidden = reports.public_records(found["objects_shared"].records)
                clear = expected["clear_objects"]
                assert shown == ([f"objects:CLEAR*{clear}"] if clear else [])
                assert hidden == expected["private_objects"]
                assert reports.public_records(found["sightings_received"].records) == (
                    [],
                    expected["sightings_received"],
                )
                checked += expected["objects_shared"] + expected["sightings_received"]
    assert checked > 200  # the periods hold objects and sightings, not only zeros


def test_the_records_of_a_sharing_figure_stay_few_however_many_objects(
    make: Factories, session_factory: sessionmaker[Session], db: Session, client: TestClient
) -> None:
    hub = _hub(make, session_factory)
    producer, reader = hub.signatories[0], hub.signatories[1]
    rng = random.Random(9)
    objects = [
        _row(
            f"indicator--{uuid.UUID(int=n)}",
            hub.collections[n % 2],
            producer,
            MARCH.start + timedelta(minutes=n),
            tlp=TLPS[n % len(TLPS)],
        )
        for n in range(1500)
    ]
    sightings = [
        _row(
            f"sighting--{uuid.UUID(int=10_000 + n)}",
            hub.collections[0],
            reader,
            MARCH.start + timedelta(minutes=n),
            sighting_of=rng.choice(objects)["stix_id"],
        )
        for n in range(300)
    ]
    _store(session_factory, objects + sightings)
    with unit_of_work(session_factory) as w:
        services.refresh(w, period=MARCH, org_ids=[producer])
    db.rollback()
    stored = db.scalar(
        select(ComputedFigures.records).where(
            ComputedFigures.organization_id == producer,
            ComputedFigures.period_key == MARCH.key,
        )
    )
    assert stored is not None
    # One group for TLP:CLEAR, one for the rest and one for the sightings, not one record
    # per object (and no count per TLP above CLEAR: see accountability/public.py).
    assert stored["objects_shared"] == ["objects:CLEAR*300", "private:objects:restricted*1200"]
    assert stored["objects_shared_by_tlp"] == stored["objects_shared"]
    assert stored["sightings_received"] == ["private:sightings*300"]
    # What anyone may read: the TLP:CLEAR group; the rest only counted.
    org_slug = next(o.slug for o in services.signatories(db) if o.id == producer)
    answer = client.get(
        f"/api/v1/accountability/signatories/{org_slug}/figures", params={"period": MARCH.key}
    )
    assert answer.status_code == 200, answer.text
    shared = answer.json()["figures"]["objects_shared"]
    assert shared == {"value": 1500, "records": ["objects:CLEAR*300"], "private_records": 1200}
    sighted = answer.json()["figures"]["sightings_received"]
    assert sighted == {"value": 300, "records": [], "private_records": 300}
    page = client.get(f"/accountability/signatories/{org_slug}", params={"period": MARCH.key})
    assert page.status_code == 200
    assert "300 objects marked TLP:CLEAR" in page.text
    assert "1,200 not public" in page.text
    spanish = client.get(
        f"/accountability/signatories/{org_slug}",
        params={"period": MARCH.key},
        headers={"Accept-Language": "es"},
    )
    assert "300 objetos marcados TLP:CLEAR" in spanish.text
    assert "1.200 no públicos" in spanish.text
