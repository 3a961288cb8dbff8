"""Departures: a signatory's admins leave (confirming), operators remove one with a reason;
each is logged, shown on the public list and profile, and ends its progress periods."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import periods
from accord.accountability import services as figures_services
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from accord.identity.models import AuditEvent, MemberRole, OrgKind
from accord.identity.policy import ANONYMOUS, SYSTEM, Actor
from accord.identity.services import get_org, get_user
from accord.registry import departures, profiles
from accord.registry.models import Departure
from accord.transparency.models import LogRecord
from tests.factories import Factories, csrf_of


def _actor(make: Factories, role: MemberRole | None, slug: str, *, operator: bool = False) -> Actor:
    person = make.user(operator=operator)
    with unit_of_work(make.factory) as db:
        org_id = get_org(db, slug).id
        user_id = get_user(db, person.username).id
    return Actor(
        user_id=user_id,
        username=person.username,
        is_operator=operator,
        roles={org_id: role} if role else {},
    )


@pytest.mark.parametrize(
    ("role", "error"),
    [(None, Forbidden), (MemberRole.MEMBER, Forbidden), (MemberRole.ADMIN, None)],
)
def test_only_the_signatorys_admins_may_leave(
    make: Factories, settings: Settings, role: MemberRole | None, error: type[Exception] | None
) -> None:
    slug = make.org("Leaving Co")
    actor = _actor(make, role, slug)
    with unit_of_work(make.factory) as db:
        org = get_org(db, slug)
        if error is not None:
            with pytest.raises(error):
                departures.leave(db, org=org, confirm=slug, actor=actor, settings=settings)
            return
        found = departures.leave(
            db, org=org, confirm=slug, reason="we merged", actor=actor, settings=settings
        )
        assert found.kind.value == "left"


def test_anonymous_may_neither_leave_nor_remove(make: Factories, settings: Settings) -> None:
    slug = make.org()
    with unit_of_work(make.factory) as db:
        org = get_org(db, slug)
        with pytest.raises(Unauthenticated):
            departures.leave(db, org=org, confirm=slug, actor=ANONYMOUS, settings=settings)
        with pytest.raises(Unauthenticated):
            departures.remove(db, org=org, reason="r", actor=ANONYMOUS, settings=settings)


def test_an_org_admin_may_not_remove_only_operators(make: Factories, settings: Settings) -> None:
    slug = make.org()
    admin = _actor(make, MemberRole.ADMIN, slug)
    operator = _actor(make, None, slug, operator=True)
    with unit_of_work(make.factory) as db:
        org = get_org(db, slug)
        with pytest.raises(Forbidden):
            departures.remove(db, org=org, reason="r", actor=admin, settings=settings)
        found = departures.remove(
            db, org=org, reason="ceased trading", actor=operator, settings=settings
        )
        assert (found.kind.value, found.reason, found.decided_by) == (
            "removed",
            "ceased trading",
            operator.username,
        )


def test_leaving_needs_the_slug_typed_and_happens_once(make: Factories, settings: Settings) -> None:
    slug, other = make.org("Twice Ltd"), make.org()
    with unit_of_work(make.factory) as db:
        org = get_org(db, slug)
        with pytest.raises(InvalidInput) as wrong:
            departures.leave(db, org=org, confirm="yes", actor=SYSTEM, settings=settings)
        assert wrong.value.field == "confirm"
        departures.leave(db, org=org, confirm=slug, actor=SYSTEM, settings=settings)
    with unit_of_work(make.factory) as db:
        org = get_org(db, slug)
        with pytest.raises(Conflict):
            departures.remove(db, org=org, reason="again", actor=SYSTEM, settings=settings)
        with pytest.raises(InvalidInput):
            departures.remove(db, org=get_org(db, other), reason=" ", actor=SYSTEM,
                              settings=settings)  # fmt: skip


def test_a_partner_has_nothing_to_leave(make: Factories, settings: Settings) -> None:
    slug = make.org("Partner CERT", kind=OrgKind.PARTNER)
    with unit_of_work(make.factory) as db, pytest.raises(Conflict):
        departures.leave(db, org=get_org(db, slug), confirm=slug, actor=SYSTEM, settings=settings)


def test_departure_is_logged_audited_and_shown(
    make: Factories, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    stays, goes = make.org("Stays Inc"), make.org("Goes Inc")
    with unit_of_work(session_factory) as db:
        departures.remove(
            db, org=get_org(db, goes), reason="broke the accord", actor=SYSTEM, settings=settings
        )
    with unit_of_work(session_factory) as db:
        record = db.scalar(select(LogRecord).where(LogRecord.entry_type == "registry.departure"))
        assert record is not None
        assert record.subject == goes
        logged = db.scalars(select(AuditEvent.action).where(AuditEvent.target == goes)).all()
        assert "registry.removed" in logged
        listed = {e.slug: e for e in profiles.listed(db, kind=OrgKind.SIGNATORY)}
        assert listed[stays].left_at is None
        assert listed[goes].departure == "removed"
        assert listed[goes].left_at is not None
        assert profiles.profile(db, goes).departure is not None


def test_figures_stay_for_member_periods_and_stop_after(
    make: Factories, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    slug = make.org("Former Member")
    left_at = datetime(2026, 5, 15, tzinfo=UTC)
    with unit_of_work(session_factory) as db:
        departures.leave(db, org=get_org(db, slug), confirm=slug, actor=SYSTEM, settings=settings)
        db.execute(update(Departure).values(departed_at=left_at))
    q1, q2, q3 = (periods.parse(k) for k in ("2026-Q1", "2026-Q2", "2026-Q3"))
    with unit_of_work(session_factory) as db:
        org = get_org(db, slug)
        member_periods = {
            p.key: figures_services.stored_or_live(db, period=p, orgs=[org]) for p in (q1, q2, q3)
        }
        assert [len(member_periods[k]) for k in ("2026-Q1", "2026-Q2", "2026-Q3")] == [1, 1, 0]
        assert org.id not in figures_services.compute(db, period=q3)
        assert org.id in figures_services.compute(db, period=q2)
        trend = figures_services.trends(db, org=org, figure_ids=["securitytxt_ok_share"],
                                        series=[q1, q3])  # fmt: skip
        assert len(next(iter(trend.values()))) == 2


def test_leave_page_shows_the_mistake_beside_the_field_then_leaves(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Page Leaver")
    admin = make.user("leaver")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)
    page = client.get(f"/orgs/{slug}/leave-the-accord")
    assert page.status_code == 200
    token = csrf_of(page.text)
    wrong = client.post(
        f"/orgs/{slug}/leave-the-accord",
        data={"csrf_token": token, "confirm": "leave", "reason": "kept text"},
        follow_redirects=False,
    )
    assert wrong.status_code == 422
    assert 'id="confirm-error"' in wrong.text
    assert "kept text" in wrong.text
    done = client.post(
        f"/orgs/{slug}/leave-the-accord",
        data={"csrf_token": token, "confirm": slug, "reason": "merged"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "left the accord on" in client.get(f"/signatories/{slug}").text
    assert "left on" in client.get("/signatories").text


def test_removal_page_requires_a_reason(client: TestClient, make: Factories) -> None:
    slug = make.org("Removed Corp")
    operator = make.user("remover", operator=True)
    make.session(client, operator)
    token = csrf_of(client.get("/admin/signatories").text)
    missing = client.post(
        "/admin/signatories",
        data={"csrf_token": token, "organization": slug, "reason": ""},
        follow_redirects=False,
    )
    assert missing.status_code == 422
    assert 'id="reason-error"' in missing.text
    done = client.post(
        "/admin/signatories",
        data={"csrf_token": token, "organization": slug, "reason": "no longer exists"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    api = client.get(f"/api/v1/signatories/{slug}").json()
    assert api["departure"]["reason"] == "no longer exists"


def test_the_scheduled_checks_skip_a_signatory_that_left(
    make: Factories, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from accord.jobs.models import Job
    from accord.jobs.registry import JobContext
    from accord.registry import handlers

    stays, goes = make.org("Checked Co"), make.org("Unchecked Co")
    with unit_of_work(session_factory) as db:
        departures.leave(db, org=get_org(db, goes), confirm=goes, actor=SYSTEM, settings=settings)
        wanted = get_org(db, stays).id
    context = JobContext(settings=settings, sessions=session_factory, readers=session_factory,
                         job_id=0, attempt=1)  # fmt: skip
    handlers.run_checks(context, {})
    with unit_of_work(session_factory) as db:
        queued = db.scalars(select(Job.payload).where(Job.kind == handlers.ONE)).all()
    assert queued == [{"org_id": wanted}]
