"""No transaction of the hub's is held while the provider answers (issue 26): not while a
provider is registered (discovery), a sign-in starts (discovery) or comes back (discovery,
code exchange, keys), nor while the scheduled check asks about each person (discovery,
refresh grant). On SQLite a held one would be the hub's one writer: every other write would
wait for the provider, then fail with 503."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import MemberRole, Membership
from accord.identity.oidc import handlers, services, signin
from accord.identity.oidc.models import OidcLink, OidcLogin, OidcProvider
from accord.jobs.models import Job, JobState
from accord.jobs.worker import Worker
from tests.factories import Factories, csrf_of
from tests.identity.oidc.conftest import register, walk
from tests.identity.oidc.support import CLIENT_ID, CLIENT_SECRET, Provider
from tests.outbound_holds import probing

ALICE = {"alice-1": {"email": "alice@acme.example", "email_verified": True}}


def test_registering_a_provider_holds_no_transaction_while_it_answers(
    client: TestClient,
    make: Factories,
    provider: Provider,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slug = make.org("Acme Corp")
    admin = make.user("acmeadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)
    page = client.get(f"/orgs/{slug}/sso")
    form = {"csrf_token": csrf_of(page.text), "issuer": provider.issuer, "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET, "allowed_domains": "acme.example"}  # fmt: skip
    probe = probing(monkeypatch, engine, session_factory)
    saved = client.post(f"/orgs/{slug}/sso", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert probe.seen == [False]


def test_a_sign_in_holds_no_transaction_while_the_provider_answers(
    client: TestClient,
    provider: Provider,
    acme: str,
    engine: Engine,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider.people(ALICE)
    probe = probing(monkeypatch, engine, session_factory)
    done = walk(client, email="alice@acme.example")
    assert done.response.status_code == 303
    # Discovery at the start; discovery, the code's exchange and the keys on the way back.
    assert probe.seen == [False] * 4
    with session_factory() as db:
        assert db.scalars(select(OidcLink.subject)).all() == ["alice-1"]


def test_the_scheduled_check_holds_no_transaction_while_the_provider_answers(
    client: TestClient,
    provider: Provider,
    acme: str,
    engine: Engine,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    provider.people({})  # the company removes her from its directory
    with session_factory() as db:
        queued = db.scalars(select(Job).where(Job.kind == handlers.KIND)).one()
    probe = probing(monkeypatch, engine, session_factory)
    worker = Worker(settings=local_settings, sessions=session_factory)
    assert worker.run_once(now=queued.run_at + timedelta(seconds=1))
    assert probe.seen == [False, False]  # discovery, then her refresh grant
    with session_factory() as db:
        assert db.get(Job, queued.id).state is JobState.DONE  # type: ignore[union-attr]
        assert db.scalars(select(Membership)).all() == []


def test_the_check_leaves_a_link_signed_in_again_meanwhile(
    client: TestClient,
    provider: Provider,
    acme: str,
    engine: Engine,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The provider's refusal is about the refresh token the check sent: a sign-in that kept
    a new one while the provider answered is not undone by it."""
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    provider.people({})
    with session_factory() as db:
        queued = db.scalars(select(Job).where(Job.kind == handlers.KIND)).one()

    def signed_in_again() -> None:
        with unit_of_work(session_factory) as db:
            link = db.scalars(select(OidcLink)).one()
            link.refresh_token_sealed = "sealed again by a later sign-in"

    probe = probing(monkeypatch, engine, session_factory)
    # The second request is the refresh grant: her token is replaced before it is answered.
    probe.meanwhile = lambda count: signed_in_again() if count == 2 else None
    worker = Worker(settings=local_settings, sessions=session_factory)
    assert worker.run_once(now=queued.run_at + timedelta(seconds=1))
    with session_factory() as db:
        assert len(db.scalars(select(Membership)).all()) == 1
        link = db.scalars(select(OidcLink)).one()
        assert link.refresh_token_sealed == "sealed again by a later sign-in"


def test_a_provider_removed_while_it_answers_the_start_is_a_plain_refusal(
    client: TestClient,
    provider: Provider,
    acme: str,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The provider is read before discovery, and discovery runs outside any transaction: an
    # admin may remove it meanwhile. Its pending sign-in then named a row that was gone, and
    # the commit broke the foreign key: a 500.
    real = signin.protocol.discover

    def removed_meanwhile(settings: Settings, issuer: str) -> object:
        answer = real(settings, issuer)
        with unit_of_work(session_factory) as db:
            for found in db.scalars(select(OidcProvider)).all():
                db.delete(found)
        return answer

    monkeypatch.setattr(signin.protocol, "discover", removed_meanwhile)
    page = client.get("/login")
    form = {"csrf_token": csrf_of(page.text), "email": "alice@acme.example", "next": "/account"}
    refused = client.post("/login/sso", data=form, follow_redirects=False)
    assert refused.status_code == 422, refused.text
    assert "no longer signs people in here" in refused.text
    with session_factory() as db:
        assert db.scalars(select(OidcLogin)).all() == []


def test_an_issuer_changed_while_a_sign_in_stores_its_link_removes_that_link(
    client: TestClient,
    provider: Provider,
    acme: str,
    make: Factories,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The way back reads the provider again once it answered, then stores the link. An admin
    # changing the issuer in between removed the links that existed then, and the sign-in's
    # link stayed: the old issuer's subject under the new issuer, whose same subject (someone
    # else) would sign in as Alice. On PostgreSQL nothing held the row between the two.
    provider.people(ALICE)
    real = signin.protocol.identity
    changing: list[threading.Thread] = []

    def changed_meanwhile(claims: dict[str, object], **kwargs: object) -> object:
        monkeypatch.setattr(services.protocol, "discover", lambda settings, issuer: {})
        change = threading.Thread(
            target=register,
            args=(make.factory, local_settings, provider),
            kwargs={"slug": acme, "issuer": "https://other.example"},
        )
        change.start()
        change.join(timeout=2)  # done, or waiting for this sign-in to be stored
        changing.append(change)
        return real(claims, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(signin.protocol, "identity", changed_meanwhile)
    walk(client, email="alice@acme.example")
    changing[0].join(timeout=30)
    assert not changing[0].is_alive()
    with session_factory() as db:
        assert db.scalars(select(OidcProvider.issuer)).all() == ["https://other.example"]
        assert db.scalars(select(OidcLink.subject)).all() == []


def test_a_membership_removed_while_a_sign_in_is_judged_stays_removed(
    client: TestClient,
    provider: Provider,
    acme: str,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A linked account is signed in by its organization's provider only as a member. The
    # membership judged, an admin removed it; the sign-in, finding none, gave it back as the
    # provider's word (on PostgreSQL nothing held the row between the two reads).
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    client.cookies.clear()
    real = signin._link
    removing: list[threading.Thread] = []

    def remove() -> None:
        with unit_of_work(session_factory) as db:
            db.execute(delete(Membership))

    def removed_meanwhile(db: Session, *args: object) -> object:
        removal = threading.Thread(target=remove)
        removal.start()
        removal.join(timeout=2)  # done, or waiting for this sign-in to be stored
        removing.append(removal)
        return real(db, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(signin, "_link", removed_meanwhile)
    walk(client, email="alice@acme.example")
    removing[0].join(timeout=30)
    assert not removing[0].is_alive()
    with session_factory() as db:
        assert db.scalars(select(Membership)).all() == []
