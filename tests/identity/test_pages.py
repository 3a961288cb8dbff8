"""Identity pages in a browser's shoes: the bootstrap link, tokens shown once, members."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.db import unit_of_work
from accord.identity import bootstrap
from accord.identity.models import AuditEvent, MemberRole
from tests.factories import Factories, csrf_of, sign_in


def _bootstrap_link(factory: sessionmaker[Session], settings: Settings) -> str:
    with unit_of_work(factory) as db:
        return bootstrap.issue_bootstrap(db, settings=settings)


def test_bootstrap_link_creates_first_operator_once(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    secret = _bootstrap_link(session_factory, settings)
    form = client.get("/bootstrap", params={"token": secret})
    assert form.status_code == 200
    data = {
        "token": secret,
        "username": "first",
        "email": "first@example.org",
        "password": "a long enough password",
        "csrf_token": csrf_of(form.text),
    }
    created = client.post("/bootstrap", data=data, follow_redirects=False)
    assert created.status_code == 303
    account = client.get("/account")
    assert "operator" in account.text
    # The link is spent: a second use is refused, and no new link is issued once an operator exists.
    # (Signing in gave the browser a new CSRF token: the form's old one is stale.)
    fresh = {
        **data,
        "username": "second",
        "email": "s@example.org",
        "csrf_token": csrf_of(account.text),
    }
    again = client.post("/bootstrap", data=fresh)
    assert again.status_code == 401
    assert client.get("/bootstrap", params={"token": secret}).status_code == 401


def test_bootstrap_rejects_weak_password_naming_the_field(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    secret = _bootstrap_link(session_factory, settings)
    form = client.get("/bootstrap", params={"token": secret})
    response = client.post(
        "/bootstrap",
        data={
            "token": secret,
            "username": "first",
            "email": "first@example.org",
            "password": "short",
            "csrf_token": csrf_of(form.text),
        },
        headers={"accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "password"
    # The link was not spent by the failed attempt.
    assert client.get("/bootstrap", params={"token": secret}).status_code == 200


def test_a_new_bootstrap_link_voids_the_old_one(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    old = _bootstrap_link(session_factory, settings)
    _bootstrap_link(session_factory, settings)
    assert client.get("/bootstrap", params={"token": old}).status_code == 401


def test_token_created_on_the_page_is_shown_once(client: TestClient, make: Factories) -> None:
    sign_in(client, make.user("alice"))
    page = client.get("/account")
    created = client.post(
        "/account/tokens",
        data={
            "name": "laptop",
            "scope": "read",
            "expires_in_days": "30",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert created.status_code == 201
    secret = created.text.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("acc_")
    assert secret not in client.get("/account").text
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )


def test_org_admin_manages_members_on_the_page(client: TestClient, make: Factories) -> None:
    slug = make.org("Acme")
    admin = make.user("admin1")
    make.member(admin, slug, MemberRole.ADMIN)
    make.user("bob")
    sign_in(client, admin)
    page = client.get(f"/orgs/{slug}/members")
    assert page.status_code == 200
    client.post(
        f"/orgs/{slug}/members",
        data={"username": "bob", "role": "member", "csrf_token": csrf_of(page.text)},
    )
    assert "bob" in client.get(f"/orgs/{slug}/members").text


def test_audit_page_lists_sign_ins(client: TestClient, make: Factories) -> None:
    sign_in(client, make.user("oper", operator=True))
    page = client.get("/admin/audit", params={"action": "auth.login"})
    assert page.status_code == 200
    assert "auth.login" in page.text
    assert "oper" in page.text


def test_the_audit_filter_offers_each_action_the_log_holds_once(
    client: TestClient, make: Factories
) -> None:
    oper = make.user("oper", operator=True)
    sign_in(client, oper)
    make.org("Acme")  # its creation is audited
    sign_in(client, oper)  # a second sign-in: the same action twice, offered once
    with unit_of_work(make.factory) as db:
        held = sorted(set(db.scalars(select(AuditEvent.action))))
    assert "auth.login" in held
    assert len(held) >= 2
    page = client.get("/admin/audit", params={"action": "auth.login"})
    select_ = re.search(r'<select name="action">(.*?)</select>', page.text, flags=re.S)
    assert select_ is not None, "the action is typed, not picked from a list"
    options = re.findall(r'<option value="([^"]*)"( selected)?>', select_.group(1))
    assert [value for value, _ in options] == ["", *held]
    assert [value for value, chosen in options if chosen] == ["auth.login"]


def test_token_form_mistakes_come_back_beside_their_fields(
    client: TestClient, make: Factories
) -> None:
    sign_in(client, make.user("tina"))
    page = client.get("/account")
    sent = client.post(
        "/account/tokens",
        data={
            "name": "laptop",
            "scope": "read",
            "expires_in_days": "zero",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert sent.status_code == 422
    assert 'id="expires_in_days-error"' in sent.text
    assert 'value="laptop"' in sent.text
    assert 'value="zero"' in sent.text
    assert 'id="new-token"' not in sent.text
