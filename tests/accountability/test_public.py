"""Public figures read what is public, and private records only in aggregates past
``public.THRESHOLD``: a vendor's one unpublished case does not show, nor do its TLP:RED
objects as such."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import periods, public, services
from accord.accountability.rows import SharedCount, counted
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.disclosure.models import CaseStatus, DisclosureCase
from accord.identity.services import get_org
from tests.disclosure.world import World
from tests.factories import Factories


def _received(db: Session, slug: str) -> int | float | None:
    db.rollback()
    org = get_org(db, slug)
    month = periods.of(periods.PeriodKind.MONTH, utcnow())
    value = services.live(db, period=month, org_ids=[org.id])[org.id]["reports_received"].value
    assert not isinstance(value, dict)
    return value


def test_a_vendors_one_unpublished_case_is_not_in_its_public_figures(
    client: TestClient, make: Factories, db: Session, session_factory: sessionmaker[Session]
) -> None:
    world = World.build(make)
    world.report(client)
    # The report reached vendor A; nothing of it is public, so no figure tells of it.
    assert _received(db, "vendor-a") == 0
    # Past the threshold, unpublished cases count (in numbers only).
    for _ in range(public.THRESHOLD - 1):
        world.report(client)
    assert _received(db, "vendor-a") == public.THRESHOLD
    # A published case always counts.
    world.report(client)
    with unit_of_work(session_factory) as w:
        w.execute(
            update(DisclosureCase)
            .where(DisclosureCase.public_id == world.public_id)
            .values(status=CaseStatus.PUBLISHED, published_at=utcnow(), ref="ACCORD-2026-9999")
        )
    assert _received(db, "vendor-a") == public.THRESHOLD + 1


def _group(org_id: int, tlp: str, count: int) -> SharedCount:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    prefix = "" if tlp == "CLEAR" else "private:"
    return SharedCount(counted(f"{prefix}objects:{tlp}", count), org_id, tlp, count, at, at)


def test_objects_above_clear_are_one_group_counted_past_the_threshold() -> None:
    few = public.objects([_group(1, "CLEAR", 2), _group(1, "RED", 1), _group(1, "AMBER", 1)])
    assert [(g.tlp, g.count) for g in few] == [("CLEAR", 2)]
    many = public.objects([_group(1, "RED", 3), _group(1, "GREEN", 2), _group(2, "RED", 1)])
    assert [(g.org_id, g.tlp, g.count) for g in many] == [(1, "restricted", 5)]
    assert many[0].ref == "private:objects:restricted*5"
