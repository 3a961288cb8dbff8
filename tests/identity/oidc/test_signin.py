"""Single sign-on end to end against a real OpenID Connect provider (panva/oidc-provider).

Each test walks the way a browser does: the hub's sign-in form, the provider's login page,
back to the hub's callback; the hub's token and JWKS requests go to the provider over HTTP.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import AuditEvent, MemberRole, Membership, User, WebSession
from accord.identity.oidc import handlers, services
from accord.identity.oidc.models import OidcLink, OidcProvider
from accord.jobs.models import Job, JobState
from accord.jobs.worker import Worker
from tests.factories import Factories
from tests.identity.oidc.conftest import register, walk
from tests.identity.oidc.support import CLIENT_SECRET, Provider

ALICE = {"alice-1": {"email": "alice@acme.example", "email_verified": True}}


def _events(db: Session, action: str) -> list[AuditEvent]:
    db.rollback()  # a new transaction: what the requests committed since
    return list(
        db.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
    )


def test_first_sign_in_makes_the_account_and_the_membership(
    client: TestClient, db: Session, provider: Provider, acme: str
) -> None:
    provider.people(ALICE)
    done = walk(client, email="alice@acme.example")
    assert done.response.status_code == 303
    assert done.response.headers["location"] == "/account"
    account = client.get("/account")
    assert account.status_code == 200
    assert "Acme Corp" in account.text
    assert "alice@acme.example" in account.text
    user = db.scalars(select(User).where(User.email == "alice@acme.example")).one()
    membership = db.scalars(select(Membership).where(Membership.user_id == user.id)).one()
    assert membership.role is MemberRole.MEMBER
    link = db.scalars(select(OidcLink)).one()
    assert (link.subject, link.user_id, link.granted_membership) == ("alice-1", user.id, True)
    assert [e.target for e in _events(db, "oidc.member.join")] == [user.username]
    assert [e.target for e in _events(db, "oidc.login")] == [user.username]
    # The client secret is stored sealed and logged nowhere.
    stored = db.scalars(select(OidcProvider)).one()
    assert CLIENT_SECRET not in stored.client_secret_sealed
    every = db.scalars(select(AuditEvent)).all()
    assert all(CLIENT_SECRET not in str(e.details) for e in every)
    assert _events(db, "oidc.provider.register")[0].details["secret_changed"] is True


def test_the_next_sign_in_finds_the_same_account_by_its_subject(
    client: TestClient, db: Session, provider: Provider, acme: str
) -> None:
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    client.cookies.clear()
    chosen = db.scalars(select(OidcProvider)).one().id
    # Chosen from the list this time: nobody types a URL.
    assert walk(client, email="alice@acme.example", choose=chosen).response.status_code == 303
    db.rollback()
    assert len(db.scalars(select(User)).all()) == 1
    assert len(_events(db, "oidc.login")) == 2
    assert len(_events(db, "oidc.member.join")) == 1


def test_removal_at_the_provider_ends_access_at_the_next_sign_in(
    client: TestClient,
    db: Session,
    provider: Provider,
    acme: str,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
) -> None:
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    assert client.get(f"/orgs/{acme}/members").status_code == 200
    provider.people({})  # the company removes her from its directory
    refused = walk(client, email="alice@acme.example")
    assert refused.response.status_code == 401
    assert "the identity provider refused the sign-in" in refused.response.text
    assert _events(db, "oidc.refused")[-1].details["reason"] == "access_denied"
    # The scheduled check (queued when the provider was registered) asks the provider with
    # her refresh token; it no longer knows her.
    queued = db.scalars(select(Job).where(Job.kind == handlers.KIND)).one()
    worker = Worker(settings=local_settings, sessions=session_factory)
    assert worker.run_once(now=queued.run_at + timedelta(seconds=1))
    db.rollback()
    assert db.get(Job, queued.id).state is JobState.DONE
    # ... and queued its next run.
    waiting = db.scalars(select(Job).where(Job.kind == handlers.KIND, Job.id != queued.id)).one()
    assert waiting.run_at > queued.run_at
    assert db.scalars(select(Membership)).all() == []
    assert db.scalars(select(WebSession)).all() == []
    assert client.get(f"/orgs/{acme}/members").status_code in (401, 403)
    removed = _events(db, "oidc.member.removed")
    assert [e.details["reason"] for e in removed] == ["unknown_at_provider"]


def test_an_address_no_longer_allowed_takes_the_membership_away(
    client: TestClient, db: Session, provider: Provider, acme: str
) -> None:
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    client.cookies.clear()
    provider.people({"alice-1": {"email": "alice@elsewhere.example", "email_verified": True}})
    refused = walk(
        client, email="alice@elsewhere.example", choose=db.scalars(select(OidcProvider.id)).one()
    )
    assert refused.response.status_code == 401
    assert "domain is not allowed" in refused.response.text
    db.rollback()
    assert db.scalars(select(Membership)).all() == []
    assert _events(db, "oidc.member.removed")[0].details["reason"] == "domain"


def test_an_unverified_address_is_refused(
    client: TestClient, db: Session, provider: Provider, acme: str
) -> None:
    provider.people({"bob-1": {"email": "bob@acme.example", "email_verified": False}})
    refused = walk(client, email="bob@acme.example")
    assert refused.response.status_code == 401
    assert "has not verified this address" in refused.response.text
    db.rollback()
    assert db.scalars(select(User)).all() == []
    assert _events(db, "oidc.refused")[0].details["reason"] == "unverified"


def test_an_existing_account_of_someone_else_is_not_taken_over(
    client: TestClient, db: Session, provider: Provider, acme: str, make: Factories
) -> None:
    # An account with the address exists but is not Acme's member (or is an operator):
    # Acme's provider cannot vouch for it.
    make.user("carol", operator=True)
    with unit_of_work(make.factory) as work:
        work.scalars(
            select(User).where(User.username == "carol")
        ).one().email = "carol@acme.example"
    provider.people({"carol-1": {"email": "carol@acme.example", "email_verified": True}})
    refused = walk(client, email="carol@acme.example")
    assert refused.response.status_code == 401
    assert _events(db, "oidc.refused")[0].details["reason"] == "existing_account"
    db.rollback()
    assert db.scalars(select(OidcLink)).all() == []


def test_the_state_must_come_back_to_the_browser_that_started(
    client: TestClient, db: Session, provider: Provider, acme: str
) -> None:
    provider.people(ALICE)
    unknown = client.get("/login/sso/callback?state=forged&code=x")
    assert unknown.status_code == 401
    assert "not started here" in unknown.text
    done = walk(client, email="alice@acme.example")
    assert done.response.status_code == 303
    # The same answer again (a replay) finds its state spent.
    replay = client.get(done.callback, follow_redirects=False)
    assert replay.status_code == 401
    reasons = [e.details["reason"] for e in _events(db, "oidc.refused")]
    assert reasons == ["state", "state"]


def test_a_callback_carried_to_another_browser_is_refused(
    client: TestClient, app: object, db: Session, provider: Provider, acme: str
) -> None:
    provider.people(ALICE)
    page = client.get("/login")
    from tests.factories import csrf_of

    started = client.post(
        "/login/sso",
        data={"email": "alice@acme.example", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert started.status_code == 303
    client.cookies.delete("accord_oidc_state")
    state = started.headers["location"].split("state=")[1].split("&")[0]
    refused = client.get(f"/login/sso/callback?state={state}&code=anything")
    assert refused.status_code == 401
    assert _events(db, "oidc.refused")[0].details == {
        "reason": "state",
        "detail": "state not from this browser",
    }
    assert db.scalars(select(WebSession)).all() == []


def test_an_organization_that_allows_no_passwords_sends_its_members_to_sso(
    client: TestClient,
    db: Session,
    provider: Provider,
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
) -> None:
    from tests.factories import sign_in

    slug = make.org("Strict Corp")
    register(
        session_factory,
        local_settings,
        provider,
        slug=slug,
        domains="strict.example",
        passwords_allowed=False,
    )
    dave, eve = make.user("dave"), make.user("eve", operator=True)
    make.member(dave, slug)
    make.member(eve, slug)
    page = client.get("/login")
    from tests.factories import csrf_of

    refused = client.post(
        "/login",
        data={"username": "dave", "password": dave.password, "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 401
    assert "Sign in with your organization" in refused.text
    assert _events(db, "auth.login.refused")[0].target == "dave"
    # Operators keep their password: an organization cannot lock the hub's operators out.
    sign_in(client, eve)
    assert client.get("/account").status_code == 200


def _alice_linked_then(
    client: TestClient, provider: Provider, make: Factories, **changed: bool
) -> None:
    """Alice signed in once (linked, a member), signed out, then her account ``changed``."""
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    client.cookies.clear()
    with unit_of_work(make.factory) as work:
        alice = work.scalars(select(User).where(User.email == "alice@acme.example")).one()
        for name, value in changed.items():
            setattr(alice, name, value)


def test_a_disabled_account_stays_closed(
    client: TestClient, db: Session, provider: Provider, acme: str, make: Factories
) -> None:
    _alice_linked_then(client, provider, make, is_active=False)
    refused = walk(client, email="alice@acme.example")
    assert refused.response.status_code == 401
    assert "this account is disabled" in refused.response.text
    assert _events(db, "oidc.refused")[0].details["reason"] == "disabled"


def test_a_linked_account_that_became_an_operator_is_not_signed_in_by_the_org(
    client: TestClient, db: Session, provider: Provider, acme: str, make: Factories
) -> None:
    # The link was made while the account was Acme's member; an organization's provider
    # never signs in an operator, however it was linked before.
    _alice_linked_then(client, provider, make, is_operator=True)
    refused = walk(client, email="alice@acme.example")
    assert refused.response.status_code == 401
    assert _events(db, "oidc.refused")[0].details["reason"] == "existing_account"
    assert len(_events(db, "oidc.login")) == 1


def test_a_new_issuer_drops_the_subjects_the_old_one_linked(
    client: TestClient,
    db: Session,
    provider: Provider,
    acme: str,
    local_settings: Settings,
    make: Factories,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Subjects are unique at their issuer only: another issuer's "alice-1" is someone else,
    # and the old link would have signed that someone in as Alice.
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    db.rollback()
    assert len(db.scalars(select(OidcLink)).all()) == 1
    monkeypatch.setattr(services.protocol, "discover", lambda settings, issuer: {})
    register(make.factory, local_settings, provider, slug=acme, issuer="https://other.example")
    db.rollback()
    assert db.scalars(select(OidcLink)).all() == []
    changed = _events(db, "oidc.provider.change")
    assert changed[-1].details["links_removed"] == 1
    # The same issuer again (a changed secret or domains) keeps the links it has.
    monkeypatch.undo()
    provider.people(ALICE)
    register(make.factory, local_settings, provider, slug=acme)  # back to the real issuer
    assert walk(client, email="alice@acme.example").response.status_code == 303
    register(make.factory, local_settings, provider, slug=acme)
    db.rollback()
    assert len(db.scalars(select(OidcLink)).all()) == 1
    assert _events(db, "oidc.provider.change")[-1].details["links_removed"] == 0
