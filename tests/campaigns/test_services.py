"""Pledges: operators publish and version them; an organization's admins endorse and withdraw,
each a logged publication; the public page lists the endorsers now."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.campaigns import services
from accord.campaigns.models import Endorsement
from accord.campaigns.schemas import PledgeCreate, PledgeVersionCreate
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Conflict, Forbidden, Unauthenticated
from accord.identity.models import MemberRole
from accord.identity.policy import ANONYMOUS, SYSTEM, Actor
from accord.identity.services import get_org, get_user
from accord.registry import departures
from accord.transparency.models import LogRecord
from tests.factories import Factories, csrf_of

PLEDGE = PledgeCreate(
    slug="mercenaries",
    title="Principles to limit cyber mercenaries",
    text="We will not sell offensive cyber capabilities to those who harm civilians.",
)


def _pledge(make: Factories) -> None:
    with unit_of_work(make.factory) as db:
        services.create_pledge(db, data=PLEDGE, actor=SYSTEM, settings=make.settings)


def _actor(make: Factories, slug: str, role: MemberRole | None, operator: bool = False) -> Actor:
    person = make.user(operator=operator)
    with unit_of_work(make.factory) as db:
        org_id, user_id = get_org(db, slug).id, get_user(db, person.username).id
    roles = {org_id: role} if role else {}
    return Actor(user_id=user_id, username=person.username, is_operator=operator, roles=roles)


@pytest.mark.parametrize(
    ("role", "error"),
    [(None, Forbidden), (MemberRole.MEMBER, Forbidden), (MemberRole.ADMIN, None)],
)
def test_only_an_organizations_admins_endorse_for_it(
    make: Factories, settings: Settings, role: MemberRole | None, error: type[Exception] | None
) -> None:
    slug = make.org("Endorser")
    _pledge(make)
    actor = _actor(make, slug, role)
    with unit_of_work(make.factory) as db:
        pledge, org = services.get_pledge(db, "mercenaries"), get_org(db, slug)
        if error is not None:
            with pytest.raises(error):
                services.endorse(db, pledge=pledge, org=org, actor=actor, settings=settings)
            with pytest.raises(Unauthenticated):
                services.endorse(db, pledge=pledge, org=org, actor=ANONYMOUS, settings=settings)
            return
        services.endorse(db, pledge=pledge, org=org, actor=actor, settings=settings)
        assert [e.organization.slug for e in services.endorsers(db, pledge)] == [slug]


def test_only_operators_publish_pledges(make: Factories, settings: Settings) -> None:
    slug = make.org()
    admin = _actor(make, slug, MemberRole.ADMIN)
    with unit_of_work(make.factory) as db, pytest.raises(Forbidden):
        services.create_pledge(db, data=PLEDGE, actor=admin, settings=settings)
    operator = _actor(make, slug, None, operator=True)
    with unit_of_work(make.factory) as db:
        services.create_pledge(db, data=PLEDGE, actor=operator, settings=settings)
    with unit_of_work(make.factory) as db, pytest.raises(Conflict) as taken:
        services.create_pledge(db, data=PLEDGE, actor=operator, settings=settings)
    assert taken.value.field == "slug"


def test_versions_endorse_withdraw_and_the_log(
    make: Factories, settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    first, second = make.org("First Co"), make.org("Second Co")
    _pledge(make)
    with unit_of_work(session_factory) as db:
        pledge = services.get_pledge(db, "mercenaries")
        services.endorse(db, pledge=pledge, org=get_org(db, first), actor=SYSTEM, settings=settings)
        with pytest.raises(Conflict):  # already endorses this version
            services.endorse(db, pledge=pledge, org=get_org(db, first), actor=SYSTEM,
                             settings=settings)  # fmt: skip
    with unit_of_work(session_factory) as db:
        pledge = services.get_pledge(db, "mercenaries")
        services.publish_version(
            db,
            pledge=pledge,
            data=PledgeVersionCreate(title="Principles, 2nd", text="Restated."),
            actor=SYSTEM,
            settings=settings,
        )
    with unit_of_work(session_factory) as db:
        pledge = services.get_pledge(db, "mercenaries")
        services.endorse(db, pledge=pledge, org=get_org(db, second), actor=SYSTEM,
                         settings=settings)  # fmt: skip
        versions = {e.organization.slug: e.version.number for e in services.endorsers(db, pledge)}
        assert versions == {first: 1, second: 2}  # the first keeps the version it endorsed
        services.withdraw(db, pledge=pledge, org=get_org(db, first), actor=SYSTEM,
                          settings=settings)  # fmt: skip
        with pytest.raises(Conflict):
            services.withdraw(db, pledge=pledge, org=get_org(db, first), actor=SYSTEM,
                              settings=settings)  # fmt: skip
    with unit_of_work(session_factory) as db:
        pledge = services.get_pledge(db, "mercenaries")
        assert [e.organization.slug for e in services.endorsers(db, pledge)] == [second]
        # The withdrawn endorsement stays on record.
        rows = db.scalars(select(Endorsement).order_by(Endorsement.id)).all()
        assert [r.withdrawn_at is not None for r in rows] == [True, False]
        logged = db.scalars(select(LogRecord.entry_type).order_by(LogRecord.idx)).all()
        assert logged == [
            "campaigns.pledge",
            "campaigns.endorsement",
            "campaigns.pledge",
            "campaigns.endorsement",
            "campaigns.endorsement",
        ]


def test_a_departed_signatory_cannot_endorse(make: Factories, settings: Settings) -> None:
    slug = make.org("Gone")
    _pledge(make)
    with unit_of_work(make.factory) as db:
        departures.remove(db, org=get_org(db, slug), reason="r", actor=SYSTEM, settings=settings)
    with unit_of_work(make.factory) as db, pytest.raises(Conflict):
        services.endorse(db, pledge=services.get_pledge(db, "mercenaries"),
                         org=get_org(db, slug), actor=SYSTEM, settings=settings)  # fmt: skip


def test_pages_operator_publishes_admin_endorses_public_sees(
    client: TestClient, make: Factories
) -> None:
    slug = make.org("Page Endorser")
    operator, admin = make.user("pledgeop", operator=True), make.user("pledgeadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, operator)
    token = csrf_of(client.get("/admin/pledges").text)
    bad = client.post(
        "/admin/pledges",
        data={"csrf_token": token, "slug": "Not A Slug", "title": "Kept title", "text": ""},
    )
    assert bad.status_code == 422
    assert 'id="slug-error"' in bad.text
    assert 'id="text-error"' in bad.text
    assert "Kept title" in bad.text
    made = client.post(
        "/admin/pledges",
        data={
            "csrf_token": token,
            "slug": "mercenaries",
            "title": "Principles",
            "text": "We will.",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    client.cookies.clear()
    make.session(client, admin)
    page = client.get(f"/orgs/{slug}/pledges")
    endorsed = client.post(
        f"/orgs/{slug}/pledges/mercenaries/endorse",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert endorsed.status_code == 303
    public = client.get("/pledges/mercenaries")
    assert "Page Endorser" in public.text
    assert client.get("/api/v1/pledges/mercenaries").json()["endorsers"][0]["slug"] == slug


def test_campaign_form_says_each_mistake_beside_its_field(
    client: TestClient, make: Factories
) -> None:
    operator = make.user("campaignop", operator=True)
    make.session(client, operator)
    token = csrf_of(client.get("/admin/campaigns").text)
    bad = client.post(
        "/admin/campaigns",
        data={"csrf_token": token, "slug": "policies", "title": "Kept title", "goal": "world-peace",
              "target": "150"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'id="goal-error"' in bad.text
    assert 'id="target-error"' in bad.text
    assert "Kept title" in bad.text
    made = client.post(
        "/admin/campaigns",
        data={"csrf_token": token, "slug": "policies", "title": "Two thirds with a policy",
              "goal": "disclosure_policy", "target": "66"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    answer = client.get("/api/v1/campaigns/policies").json()
    assert answer["target"] == 0.66
    assert answer["history"][0]["counted"] == 0
