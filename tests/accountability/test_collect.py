"""Figures from the hub's real records: a case driven through the disclosure API, then its
moments rewritten to a scripted history so the expected values can be worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import periods, services
from accord.advisories.models import Advisory, AdvisoryStatus, AdvisoryVersion, Tlp
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.disclosure.models import (
    CaseEvent,
    CaseMessage,
    CaseStatus,
    CaseVendor,
    DisclosureCase,
)
from accord.identity.services import get_org
from accord.registry.models import SecurityTxtCheck
from tests.disclosure.world import World
from tests.factories import Factories


def z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _case_with_answers(client: TestClient, make: Factories) -> tuple[World, str]:
    world = World.build(make)
    ref = world.open_case(client)
    fixed = client.put(
        f"/api/v1/disclosure/cases/{ref}/vendors/vendor-a/status",
        json={"status": "fixed", "fixed_versions": ["2.2"]},
        headers=world.headers("vendor_a"),
    )
    assert fixed.status_code == 200, fixed.text
    said = client.post(
        f"/api/v1/disclosure/cases/{ref}/messages",
        json={"body": "Looking into it.", "audience": "all"},
        headers=world.headers("vendor_b"),
    )
    assert said.status_code == 201, said.text
    return world, ref


def _published(session_factory: sessionmaker[Session], ref: str, at: datetime) -> None:
    """Mark the case published (public figures read an unpublished one only in numbers)."""
    with unit_of_work(session_factory) as w:
        w.execute(
            update(DisclosureCase)
            .where(DisclosureCase.ref == ref)
            .values(status=CaseStatus.PUBLISHED, published_at=at)
        )


def test_live_figures_read_the_real_history(
    client: TestClient, make: Factories, db: Session, session_factory: sessionmaker[Session]
) -> None:
    _, ref = _case_with_answers(client, make)
    _published(session_factory, ref, utcnow())
    db.rollback()
    a, b = get_org(db, "vendor-a"), get_org(db, "vendor-b")
    now = periods.of(periods.PeriodKind.MONTH, utcnow())
    found = services.live(db, period=now, org_ids=[a.id, b.id])
    # Vendor A was notified when the report arrived and stated "fixed": a reply and a fix.
    assert found[a.id]["reports_received"].value == 1
    assert found[a.id]["no_reply_share"].value == 0.0
    assert found[a.id]["fix_median_hours"].value is not None
    # Vendor B was invited and wrote a message: that is its reply, but it fixed nothing.
    assert found[b.id]["reports_received"].value == 1
    assert found[b.id]["no_reply_share"].value == 0.0
    assert found[b.id]["fix_median_hours"].value is None
    assert found[a.id]["reports_received"].records == (f"case:{ref}",)


def test_scripted_moments_give_hand_worked_figures(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], db: Session
) -> None:
    _, ref = _case_with_answers(client, make)
    _published(session_factory, ref, z("2026-04-10 00:00"))
    with unit_of_work(session_factory) as w:
        case_id = w.scalar(select(DisclosureCase.id).where(DisclosureCase.ref == ref))
        a, b = get_org(w, "vendor-a").id, get_org(w, "vendor-b").id
        # Vendor A notified 2 March 10:00, fixed 4 March 10:00 (48 h); vendor B invited
        # 31 March 20:00 UTC, its message 1 April 02:00 (after March's end).
        w.execute(
            update(CaseVendor)
            .where(CaseVendor.case_id == case_id, CaseVendor.organization_id == a)
            .values(invited_at=z("2026-03-02 10:00"))
        )
        w.execute(
            update(CaseVendor)
            .where(CaseVendor.case_id == case_id, CaseVendor.organization_id == b)
            .values(invited_at=z("2026-03-31 20:00"))
        )
        w.execute(
            update(CaseEvent)
            .where(CaseEvent.case_id == case_id, CaseEvent.kind == "status_changed")
            .values(at=z("2026-03-04 10:00"))
        )
        w.execute(
            update(CaseMessage)
            .where(CaseMessage.case_id == case_id)
            .values(created_at=z("2026-04-01 02:00"))
        )
        # Security.txt: valid until May, checked in March.
        w.add(
            SecurityTxtCheck(
                organization_id=a, url="https://vendor-a.example/.well-known/security.txt",
                fetched_at=z("2026-03-10 00:00"), ok=True, status_code=200,
                expires_at=z("2026-05-01 00:00"), findings=[], fields={}, requested_by="test",
            )
        )  # fmt: skip
        # An advisory of vendor A first published in March, with a fixed version, TLP:CLEAR.
        record = {"affected": [{"ranges": [{"events": [{"introduced": "0"}, {"fixed": "2.2"}]}]}]}
        advisory = Advisory(
            osv_id="ACME-2026-1", organization_id=a, status=AdvisoryStatus.PUBLISHED,
            tlp=Tlp.CLEAR, document=json.dumps(record),
        )  # fmt: skip
        w.add(advisory)
        w.flush()
        for number, at in ((1, "2026-03-20 00:00"), (2, "2026-04-05 00:00")):
            w.add(
                AdvisoryVersion(
                    advisory_id=advisory.id, number=number, osv_modified=at,
                    document="{}", document_sha256="0" * 64, published_at=z(at),
                    published_by="test",
                )
            )  # fmt: skip
    db.rollback()
    march = services.live(db, period=periods.parse("2026-03"), org_ids=[a, b])
    assert march[a]["reports_received"].value == 1
    assert march[a]["fix_median_hours"].value == 48
    assert march[a]["determination_median_hours"].value == 48
    assert march[a]["advisories_published"].value == 1
    assert march[a]["fix_versions_share"].value == 1.0
    assert march[a]["csaf_share"].value == 1.0
    assert march[a]["advisories_published"].records == ("advisory:ACME-2026-1",)
    assert march[a]["securitytxt_current"].value == 1
    assert march[a]["securitytxt_ok_share"].value == 1.0
    # B's message came after March ended: no reply in March.
    assert march[b]["no_reply_share"].value == 1.0
    # April: A's second advisory version does not count again; B's case is March's.
    april = services.live(db, period=periods.parse("2026-04"), org_ids=[a, b])
    assert april[a]["advisories_published"].value == 0
    assert april[b]["reports_received"].value == 0
    # At April's end the file expires that very moment (1 May 00:00): no longer current.
    assert april[a]["securitytxt_current"].value == 0
    # Stored rows give the same figures as the live computation.
    with unit_of_work(session_factory) as w:
        services.refresh(w, period=periods.parse("2026-03"), org_ids=[a, b])
    db.rollback()
    org_a = get_org(db, "vendor-a")
    (stored,) = services.stored_or_live(
        db, period=periods.parse("2026-03"), orgs=[org_a], with_records=True
    )
    assert stored.computed_at is not None
    assert stored.figures == march[a]
