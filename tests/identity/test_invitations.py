"""Organizations that run themselves: invitations by link, roles, removal and leaving.

Each role against each state of a link (open, expired, used, withdrawn, for another
address) and the last admin, through the pages a browser uses; the rules' audit rows and the
mail queued when mail is set up, through the service.
"""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity import invitations
from accord.identity.credentials import digest
from accord.identity.models import AuditEvent, Invitation, MemberRole, Membership, User
from accord.identity.policy import SYSTEM
from accord.identity.services import get_org
from accord.jobs.models import Job
from tests.factories import Factories, Person, csrf_of, sign_in

GOOD_PASSWORD = "lantern orbit cactus ferry"
_LINK = re.compile(r'id="new-invitation-link">([^<]+)<')


def _admin_of(make: Factories, name: str = "Acme") -> tuple[str, Person]:
    slug = make.org(name)
    admin = make.user(f"{slug}-admin")
    make.member(admin, slug, MemberRole.ADMIN)
    return slug, admin


def _invite(client: TestClient, slug: str, email: str, role: str = "member") -> str:
    """Invite through the members page (mail is off in tests): the link shown once."""
    page = client.get(f"/orgs/{slug}/members")
    sent = client.post(
        f"/orgs/{slug}/invitations",
        data={"email": email, "role": role, "csrf_token": csrf_of(page.text)},
    )
    assert sent.status_code == 201, sent.text[-600:]
    found = _LINK.search(sent.text)
    assert found, "the page did not show the link"
    return found.group(1).split("/invitations/accept?token=")[1]


def _audit(factory: sessionmaker[Session], action: str) -> list[AuditEvent]:
    with unit_of_work(factory) as db:
        return list(
            db.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def _role(factory: sessionmaker[Session], username: str, slug: str) -> MemberRole | None:
    with unit_of_work(factory) as db:
        org = get_org(db, slug)
        return db.scalar(
            select(Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(User.username == username, Membership.organization_id == org.id)
        )


def _join_new(client: TestClient, token: str, username: str, password: str) -> object:
    # A dead link's page has no form: a forged post takes the token of the sign-in page.
    form = client.get("/invitations/accept", params={"token": token})
    if 'id="join-form"' not in form.text:
        form = client.get("/login")
    return client.post(
        "/invitations/accept",
        data={
            "token": token,
            "username": username,
            "password": password,
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )


def test_an_admin_invites_and_the_colleague_joins_with_a_new_account(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug, admin = _admin_of(make)
    sign_in(client, admin)
    token = _invite(client, slug, "Carol@Example.ORG", role="admin")
    # Only the digest is stored; the members page shows the link once, then never again.
    with unit_of_work(session_factory) as db:
        row = db.scalar(select(Invitation))
        assert row is not None
        assert row.secret_hash == digest(token)
        assert row.email == "carol@example.org"
    listed = client.get(f"/orgs/{slug}/members").text
    assert token not in listed
    assert "carol@example.org" in listed
    client.cookies.clear()

    form = client.get("/invitations/accept", params={"token": token})
    assert form.status_code == 200
    assert "carol@example.org" in form.text
    # A common password is refused beside its field, the username kept, the link unspent.
    weak = _join_new(client, token, "carol", "password1234")
    assert weak.status_code == 422  # type: ignore[attr-defined]
    assert 'id="password-error"' in weak.text  # type: ignore[attr-defined]
    assert 'value="carol"' in weak.text  # type: ignore[attr-defined]
    joined = _join_new(client, token, "carol", GOOD_PASSWORD)
    assert joined.status_code == 303  # type: ignore[attr-defined]
    assert joined.headers["location"] == f"/orgs/{slug}"  # type: ignore[attr-defined]
    assert _role(session_factory, "carol", slug) is MemberRole.ADMIN
    # Signed in as the new account, which lands on its organization's dashboard.
    assert client.get(f"/orgs/{slug}").status_code == 200
    assert [e.target for e in _audit(session_factory, "member.invite")] == ["carol@example.org"]
    assert [e.target for e in _audit(session_factory, "member.join")] == ["carol"]
    # The link is spent.
    client.cookies.clear()
    again = client.get("/invitations/accept", params={"token": token})
    assert again.status_code == 410
    assert "already been used" in again.text


def test_an_existing_account_joins_after_signing_in(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug, admin = _admin_of(make)
    dave = make.user("dave")
    sign_in(client, admin)
    token = _invite(client, slug, "dave@example.org")
    client.cookies.clear()
    anonymous = client.get("/invitations/accept", params={"token": token})
    assert "/login?next=" in anonymous.text
    sign_in(client, dave)
    page = client.get("/invitations/accept", params={"token": token})
    assert 'id="join-form"' in page.text
    joined = client.post(
        "/invitations/accept",
        data={"token": token, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert joined.status_code == 303
    assert _role(session_factory, "dave", slug) is MemberRole.MEMBER


def test_a_link_is_for_the_address_it_was_sent_to(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug, admin = _admin_of(make)
    eve = make.user("eve")
    sign_in(client, admin)
    token = _invite(client, slug, "someone.else@example.org")
    client.cookies.clear()
    sign_in(client, eve)
    page = client.get("/invitations/accept", params={"token": token})
    assert "not the one invited" in page.text
    refused = client.post(
        "/invitations/accept", data={"token": token, "csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403
    assert _role(session_factory, "eve", slug) is None


def test_expired_and_withdrawn_links_are_refused(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug, admin = _admin_of(make)
    sign_in(client, admin)
    expired = _invite(client, slug, "late@example.org")
    withdrawn = _invite(client, slug, "maybe@example.org")
    with unit_of_work(session_factory) as db:
        row = db.scalar(select(Invitation).where(Invitation.secret_hash == digest(expired)))
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
        pending = db.scalar(select(Invitation).where(Invitation.secret_hash == digest(withdrawn)))
        assert pending is not None
        pending_id = pending.id
    page = client.get(f"/orgs/{slug}/members")
    assert "late@example.org" not in page.text  # an expired one is no longer open
    revoked = client.post(
        f"/orgs/{slug}/invitations/{pending_id}/revoke",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert revoked.status_code == 303
    assert len(_audit(session_factory, "member.invite_revoke")) == 1
    client.cookies.clear()
    for token, words in ((expired, "has expired"), (withdrawn, "was withdrawn")):
        shown = client.get("/invitations/accept", params={"token": token})
        assert shown.status_code == 410
        assert words in shown.text
        attempt = _join_new(client, token, "latecomer", GOOD_PASSWORD)
        assert attempt.status_code == 410  # type: ignore[attr-defined]
    unknown = client.get("/invitations/accept", params={"token": "inv_" + "x" * 43})
    assert unknown.status_code == 404
    with unit_of_work(session_factory) as db:
        assert db.scalar(select(User).where(User.username == "latecomer")) is None


def test_a_new_invitation_voids_the_earlier_one(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug, admin = _admin_of(make)
    sign_in(client, admin)
    first = _invite(client, slug, "twice@example.org")
    second = _invite(client, slug, "twice@example.org")
    client.cookies.clear()
    assert client.get("/invitations/accept", params={"token": first}).status_code == 410
    assert client.get("/invitations/accept", params={"token": second}).status_code == 200


def test_invitation_form_errors_are_shown_beside_the_field(
    client: TestClient, make: Factories
) -> None:
    slug, admin = _admin_of(make)
    make.user("frank")
    make.member(Person("frank"), slug, MemberRole.MEMBER)
    sign_in(client, admin)
    page = client.get(f"/orgs/{slug}/members")
    bad = client.post(
        f"/orgs/{slug}/invitations",
        data={"email": "not an address", "role": "member", "csrf_token": csrf_of(page.text)},
    )
    assert bad.status_code == 422
    assert 'id="email-error"' in bad.text
    assert 'value="not an address"' in bad.text
    member = client.post(
        f"/orgs/{slug}/invitations",
        data={"email": "frank@example.org", "role": "admin", "csrf_token": csrf_of(page.text)},
    )
    assert member.status_code == 409
    assert "already a member" in member.text
    assert 'value="admin" checked' in member.text


def test_members_may_not_invite_or_change_roles(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug, _ = _admin_of(make)
    grace = make.user("grace")
    make.member(grace, slug, MemberRole.MEMBER)
    sign_in(client, grace)
    page = client.get(f"/orgs/{slug}/members")
    assert 'id="invite-form"' not in page.text
    token = csrf_of(page.text)
    invited = client.post(
        f"/orgs/{slug}/invitations", data={"email": "x@example.org", "csrf_token": token}
    )
    assert invited.status_code == 403
    promoted = client.post(
        f"/orgs/{slug}/members", data={"username": "grace", "role": "admin", "csrf_token": token}
    )
    assert promoted.status_code == 403
    assert _role(session_factory, "grace", slug) is MemberRole.MEMBER


def test_roles_change_and_the_last_admin_stays(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug, admin = _admin_of(make)
    heidi = make.user("heidi")
    make.member(heidi, slug, MemberRole.MEMBER)
    sign_in(client, admin)
    page = client.get(f"/orgs/{slug}/members")
    token = csrf_of(page.text)
    # The only admin may not step down, be removed or leave.
    demoted = client.post(
        f"/orgs/{slug}/members",
        data={"username": admin.username, "role": "member", "csrf_token": token},
    )
    assert demoted.status_code == 409
    assert "at least one admin" in demoted.text
    removed = client.post(
        f"/orgs/{slug}/members/{admin.username}/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 409
    left = client.post(f"/orgs/{slug}/leave", data={"csrf_token": token})
    assert left.status_code == 409
    assert "last admin" in left.text
    assert _role(session_factory, admin.username, slug) is MemberRole.ADMIN
    # With a second admin, the first may leave.
    promoted = client.post(
        f"/orgs/{slug}/members",
        data={"username": "heidi", "role": "admin", "csrf_token": token},
        follow_redirects=False,
    )
    assert promoted.status_code == 303
    assert _role(session_factory, "heidi", slug) is MemberRole.ADMIN
    left = client.post(f"/orgs/{slug}/leave", data={"csrf_token": token}, follow_redirects=False)
    assert left.status_code == 303
    assert _role(session_factory, admin.username, slug) is None
    assert [e.target for e in _audit(session_factory, "member.leave")] == [admin.username]


def test_an_admin_removes_a_member_and_a_member_leaves(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session]
) -> None:
    slug, admin = _admin_of(make)
    ivan, judy = make.user("ivan"), make.user("judy")
    make.member(ivan, slug, MemberRole.MEMBER)
    make.member(judy, slug, MemberRole.MEMBER)
    sign_in(client, admin)
    page = client.get(f"/orgs/{slug}/members")
    removed = client.post(
        f"/orgs/{slug}/members/ivan/remove",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert _role(session_factory, "ivan", slug) is None
    client.cookies.clear()
    sign_in(client, judy)
    page = client.get(f"/orgs/{slug}/members")
    left = client.post(
        f"/orgs/{slug}/leave", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert left.status_code == 303
    assert _role(session_factory, "judy", slug) is None
    assert client.get(f"/orgs/{slug}/members").status_code == 403


def test_with_mail_the_link_is_emailed_not_shown(
    make: Factories, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    slug, _ = _admin_of(make)
    mailing = settings.model_copy(update={"smtp_host": "mail.example.org"})
    with unit_of_work(session_factory) as db:
        issued = invitations.invite(
            db,
            org=get_org(db, slug),
            email="kim@example.org",
            role=MemberRole.MEMBER,
            actor=SYSTEM,
            settings=mailing,
        )
        assert issued.emailed
        jobs = list(db.scalars(select(Job).where(Job.kind == "notifications.email")))
        assert [job.payload["to"] for job in jobs] == ["kim@example.org"]
        assert jobs[0].payload["link"].endswith(issued.path())
