"""A campaign's figure is the registry's check records, counted: this test stores checks of
every kind (old and new, passing and failing, a policy stating safe harbour and one not), then
recomputes each campaign's figure from those rows by itself and compares it with the API,
the page and the daily snapshots."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.campaigns import handlers, services
from accord.campaigns.models import CampaignSnapshot, GoalKind
from accord.campaigns.schemas import CampaignCreate
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.jobs.models import Job
from accord.jobs.registry import JobContext
from accord.registry import departures
from accord.registry.models import ReachCheck, ReachCheckKind, SecurityTxtCheck
from tests.factories import Factories

HARBOUR = {
    "safe_harbour": {"found": True, "denied": False, "evidence": "Safe harbor.", "values": []}
}
NO_HARBOUR = {"safe_harbour": {"found": False, "denied": False, "evidence": None, "values": []}}


def _txt(org_id: int, at: datetime, ok: bool) -> SecurityTxtCheck:
    url = "https://x.example/.well-known/security.txt"
    return SecurityTxtCheck(organization_id=org_id, url=url, fetched_at=at, ok=ok, findings=[],
                            fields={}, requested_by="test")  # fmt: skip


def _reach(org_id: int, kind: ReachCheckKind, at: datetime, ok: bool,
           said: dict[str, Any] | None = None) -> ReachCheck:  # fmt: skip
    return ReachCheck(organization_id=org_id, kind=kind, url="https://x.example/p", fetched_at=at,
                      ok=ok, requested_by="test", statements=said)  # fmt: skip


@pytest.fixture
def world(make: Factories, settings: Settings, session_factory: sessionmaker[Session]) -> datetime:
    """Five signatories, a partner and a departed signatory, and their checks; returns the
    moment two days ago between the old checks and the new."""
    slugs = [make.org(f"Signatory {n}") for n in range(5)]
    partner = make.org("Partner CERT", kind=OrgKind.PARTNER)
    gone = make.org("Departed")
    now = utcnow()
    old, new = now - timedelta(days=3), now - timedelta(hours=1)
    with unit_of_work(session_factory) as db:
        ids = [get_org(db, s).id for s in slugs]
        for org in db.scalars(select(Organization)):
            org.created_at = now - timedelta(days=10)
        a, b, c, d, _e = ids
        db.add_all([
            _txt(a, old, False), _txt(a, new, True),  # fixed since
            _txt(b, old, True), _txt(b, new, False),  # broken since
            _txt(c, old, True),
            _reach(a, ReachCheckKind.POLICY, old, True, NO_HARBOUR),
            _reach(a, ReachCheckKind.POLICY, new, True, HARBOUR),
            _reach(b, ReachCheckKind.POLICY, new, True, NO_HARBOUR),
            _reach(c, ReachCheckKind.POLICY, new, False),
            _reach(d, ReachCheckKind.POLICY, old, True, HARBOUR),
            _reach(d, ReachCheckKind.CSAF, new, True),
            _reach(c, ReachCheckKind.CSAF, new, False),
        ])  # fmt: skip
        # Checks of organizations that do not count: a partner, and a signatory that left.
        for slug in (partner, gone):
            org_id = get_org(db, slug).id
            db.add_all([_txt(org_id, new, True), _reach(org_id, ReachCheckKind.POLICY, new, True,
                                                        HARBOUR)])  # fmt: skip
    with unit_of_work(session_factory) as db:
        departures.remove(db, org=get_org(db, gone), reason="r", actor=SYSTEM, settings=settings)
        for goal in GoalKind:
            data = CampaignCreate(slug=goal.value.replace("_", "-"), title=goal.value, goal=goal,
                                  target=0.4)  # fmt: skip
            services.create_campaign(db, data=data, actor=SYSTEM, settings=settings)
    return now - timedelta(days=2)


def recompute(db: Session, goal: GoalKind, at: datetime) -> tuple[set[str], int]:
    """The figure from the rows, by plain Python: the slugs that met it, and of how many."""
    gone = {d for d, when in departures.departed_at(db).items() if when <= at}
    signatories = {
        o.id: o.slug
        for o in db.scalars(select(Organization))
        if o.kind is OrgKind.SIGNATORY and o.id not in gone and o.created_at <= at
    }
    latest: dict[int, Any] = {}
    if goal is GoalKind.SECURITY_TXT:
        rows: list[Any] = list(db.scalars(select(SecurityTxtCheck)))
    else:
        kind = ReachCheckKind.CSAF if goal is GoalKind.CSAF_PROVIDER else ReachCheckKind.POLICY
        rows = [r for r in db.scalars(select(ReachCheck)) if r.kind is kind]
    for row in sorted(rows, key=lambda r: r.id):
        if row.fetched_at <= at:
            latest[row.organization_id] = row
    met = set()
    for org_id, slug in signatories.items():
        row = latest.get(org_id)
        if row is None or not row.ok:
            continue
        if goal is GoalKind.SAFE_HARBOUR and not (row.statements or {}).get("safe_harbour", {}).get(
            "found"
        ):
            continue
        met.add(slug)
    return met, len(signatories)


@pytest.mark.parametrize("goal", list(GoalKind))
def test_the_figure_is_the_check_records_counted(
    world: datetime, goal: GoalKind, client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    slug = goal.value.replace("_", "-")
    with unit_of_work(session_factory) as db:
        expected, counted = recompute(db, goal, utcnow())
        then, then_counted = recompute(db, goal, world)
        campaign = services.get_campaign(db, slug)
        services.snapshot(db, campaign=campaign, at=world)  # the history of two days ago
    answer = client.get(f"/api/v1/campaigns/{slug}").json()
    assert (set(answer["met_by"]), answer["met"], answer["counted"]) == (
        expected,
        len(expected),
        counted,
    )
    assert answer["counted"] == 5  # five signatories: neither the partner nor the departed
    assert answer["reached"] is (len(expected) / counted >= 0.4)
    page = client.get(f"/campaigns/{slug}").text
    shown = re.search(r'data-met="(\d+)" data-counted="(\d+)"', page)
    assert shown is not None
    assert (int(shown.group(1)), int(shown.group(2))) == (len(expected), counted)
    by_day = {h["day"]: (h["met"], h["counted"]) for h in answer["history"]}
    assert by_day[world.astimezone(UTC).date().isoformat()] == (len(then), then_counted)
    assert by_day[utcnow().date().isoformat()] == (len(expected), counted)
    assert "<svg" in page


def test_known_answers(world: datetime, session_factory: sessionmaker[Session]) -> None:
    """The same rows read by a person: which signatory meets which goal now and then."""
    with unit_of_work(session_factory) as db:
        now = utcnow()
        names = {s: f"signatory-{n}" for n, s in enumerate("abcde")}
        # c's one check three days ago still stands: a signatory counts by its last check.
        assert recompute(db, GoalKind.SECURITY_TXT, now)[0] == {names["a"], names["c"]}
        assert recompute(db, GoalKind.SECURITY_TXT, world)[0] == {names["b"], names["c"]}
        assert recompute(db, GoalKind.SAFE_HARBOUR, now)[0] == {names["a"], names["d"]}
        assert recompute(db, GoalKind.SAFE_HARBOUR, world)[0] == {names["d"]}
        assert recompute(db, GoalKind.CSAF_PROVIDER, now)[0] == {names["d"]}
        assert recompute(db, GoalKind.DISCLOSURE_POLICY, now)[0] == {
            names["a"], names["b"], names["d"]
        }  # fmt: skip


def test_the_snapshot_job_takes_every_campaign_and_queues_its_next_run(
    world: datetime, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    context = JobContext(settings=settings, sessions=session_factory, readers=session_factory,
                         job_id=0, attempt=1)  # fmt: skip
    handlers.take_snapshots(context, {})
    with unit_of_work(session_factory) as db:
        days = db.scalars(select(CampaignSnapshot.day)).all()
        assert len(days) == len(GoalKind)
        queued = db.scalars(select(Job).where(Job.kind == handlers.KIND)).all()
        assert len(queued) == 1
