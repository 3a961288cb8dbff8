"""The single sign-on pages: an admin registers the provider, the sign-in page offers it,
an admin ends a member's access, an operator registers the hub-wide provider."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings
from accord.identity.models import AuditEvent, MemberRole, Membership, User, WebSession
from accord.identity.oidc.models import OidcProvider
from tests.factories import Factories, csrf_of
from tests.identity.oidc.conftest import register, walk
from tests.identity.oidc.support import CLIENT_ID, CLIENT_SECRET, Provider

ALICE = {"alice-1": {"email": "alice@acme.example", "email_verified": True}}


def _admin(client: TestClient, make: Factories, slug: str) -> None:
    admin = make.user("acmeadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    make.session(client, admin)


def _form(client: TestClient, path: str, **values: str) -> dict[str, str]:
    return {"csrf_token": csrf_of(client.get(path).text), **values}


def test_an_org_admin_registers_the_provider_from_the_members_page(
    client: TestClient, db: Session, make: Factories, provider: Provider
) -> None:
    slug = make.org("Acme Corp")
    _admin(client, make, slug)
    members = client.get(f"/orgs/{slug}/members")
    assert f'href="/orgs/{slug}/sso"' in members.text
    page = client.get(f"/orgs/{slug}/sso")
    assert "http://testserver/login/sso/callback" in page.text
    form = _form(
        client,
        f"/orgs/{slug}/sso",
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        allowed_domains="Acme.example, acme.example",
    )
    saved = client.post(f"/orgs/{slug}/sso", data=form, follow_redirects=False)
    assert saved.status_code == 303
    shown = client.get(f"/orgs/{slug}/sso").text
    assert provider.issuer in shown
    assert CLIENT_SECRET not in shown
    row = db.scalars(select(OidcProvider)).one()
    assert row.allowed_domains == ["acme.example"]
    assert row.passwords_allowed is False  # the box was left unticked
    # A change without a secret keeps the stored one.
    sealed = row.client_secret_sealed
    again = _form(
        client,
        f"/orgs/{slug}/sso",
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        allowed_domains="acme.example",
        passwords_allowed="true",
    )
    assert client.post(f"/orgs/{slug}/sso", data=again, follow_redirects=False).status_code == 303
    db.rollback()
    row = db.scalars(select(OidcProvider)).one()
    assert (row.client_secret_sealed, row.passwords_allowed) == (sealed, True)
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action.like("oidc.provider.%")).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["oidc.provider.register", "oidc.provider.change"]
    assert [e.details["secret_changed"] for e in events] == [True, False]


def test_a_wrong_issuer_is_shown_beside_its_field_with_the_input_kept(
    client: TestClient, db: Session, make: Factories, provider: Provider
) -> None:
    slug = make.org("Acme Corp")
    _admin(client, make, slug)
    wrong = provider.issuer + "/elsewhere"
    form = _form(
        client,
        f"/orgs/{slug}/sso",
        issuer=wrong,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        allowed_domains="acme.example",
    )
    refused = client.post(f"/orgs/{slug}/sso", data=form)
    assert refused.status_code == 422
    assert 'id="issuer-error"' in refused.text
    assert f'value="{wrong}"' in refused.text
    assert CLIENT_SECRET not in refused.text
    bad_domain = form | {"issuer": provider.issuer, "allowed_domains": "not a domain!"}
    refused = client.post(f"/orgs/{slug}/sso", data=bad_domain)
    assert refused.status_code == 422
    assert 'id="allowed_domains-error"' in refused.text
    db.rollback()
    assert db.scalars(select(OidcProvider)).all() == []


def test_a_domain_is_one_organizations_only(
    client: TestClient,
    make: Factories,
    provider: Provider,
    session_factory: sessionmaker[Session],
    local_settings: Settings,
) -> None:
    first = make.org("Acme Corp")
    register(session_factory, local_settings, provider, slug=first)
    second = make.org("Copycat Ltd")
    _admin(client, make, second)
    form = _form(
        client,
        f"/orgs/{second}/sso",
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        allowed_domains="acme.example",
    )
    refused = client.post(f"/orgs/{second}/sso", data=form)
    assert refused.status_code == 409
    assert "acme.example is already another organization" in refused.text


def test_the_sign_in_page_offers_the_organizations_and_explains_an_unknown_address(
    client: TestClient, acme: str
) -> None:
    page = client.get("/login")
    assert "Sign in with your organization" in page.text
    assert "<option" in page.text
    assert "Acme Corp</option>" in page.text
    form = {"csrf_token": csrf_of(page.text), "email": "someone@unknown.example"}
    refused = client.post("/login/sso", data=form)
    assert refused.status_code == 422
    assert 'id="email-error"' in refused.text
    assert 'value="someone@unknown.example"' in refused.text


def test_an_admin_ends_a_members_access(
    client: TestClient, db: Session, make: Factories, provider: Provider, acme: str
) -> None:
    provider.people(ALICE)
    assert walk(client, email="alice@acme.example").response.status_code == 303
    client.cookies.clear()
    _admin(client, make, acme)
    page = client.get(f"/orgs/{acme}/sso")
    assert "alice@acme.example" in page.text
    alice = db.scalars(select(User).where(User.email == "alice@acme.example")).one()
    form = _form(client, f"/orgs/{acme}/sso")
    ended = client.post(
        f"/orgs/{acme}/sso/members/{alice.username}/revoke", data=form, follow_redirects=False
    )
    assert ended.status_code == 303
    db.rollback()
    assert db.scalars(select(Membership).where(Membership.user_id == alice.id)).all() == []
    assert db.scalars(select(WebSession).where(WebSession.user_id == alice.id)).all() == []
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "oidc.member.removed")).one()
    assert (event.actor_label, event.details["reason"]) == ("acmeadmin", "revoked")


def test_the_hub_wide_provider_signs_people_in_without_an_organization(
    client: TestClient, db: Session, make: Factories, provider: Provider
) -> None:
    operator = make.user("root", operator=True)
    make.session(client, operator)
    assert 'href="/admin/sso"' in client.get("/admin/users").text
    form = _form(
        client,
        "/admin/sso",
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        allowed_domains="partners.example",
    )
    assert client.post("/admin/sso", data=form, follow_redirects=False).status_code == 303
    client.cookies.clear()
    provider.people({"p-1": {"email": "pat@partners.example", "email_verified": True}})
    assert walk(client, email="pat@partners.example").response.status_code == 303
    db.rollback()
    pat = db.scalars(select(User).where(User.email == "pat@partners.example")).one()
    assert db.scalars(select(Membership).where(Membership.user_id == pat.id)).all() == []


def test_starting_sign_ins_is_bounded_per_address(
    client: TestClient, acme: str, local_settings: Settings
) -> None:
    # Each start reaches the provider and stores a pending sign-in.
    token = csrf_of(client.get("/login").text)
    form = {"csrf_token": token, "email": "someone@unknown.example"}
    for _ in range(local_settings.login_address_failures_per_window):
        assert client.post("/login/sso", data=form).status_code == 422
    refused = client.post("/login/sso", data=form)
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers


def test_a_public_hub_wants_an_https_issuer(
    db: Session, make: Factories, settings: Settings, provider: Provider
) -> None:
    import pytest

    from accord.errors import InvalidInput
    from accord.identity.oidc import services
    from accord.identity.oidc.schemas import ProviderForm
    from accord.identity.policy import SYSTEM

    form = ProviderForm(
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        allowed_domains="acme.example",
    )
    # The suite's own settings: private addresses refused, as on a hub facing the Internet.
    with pytest.raises(InvalidInput, match="https://"):
        services.save_provider(db, org=None, data=form, actor=SYSTEM, settings=settings)


def test_the_sign_in_choice_speaks_spanish(client: TestClient, acme: str) -> None:
    page = client.get("/login", headers={"Accept-Language": "es"})
    assert "Iniciar sesión con su organización" in page.text
    assert "Correo de trabajo" in page.text
    form = {"csrf_token": csrf_of(page.text), "email": "someone@unknown.example"}
    refused = client.post("/login/sso", data=form, headers={"Accept-Language": "es"})
    assert "ninguna organización gestiona el acceso de esta dirección" in refused.text
