"""The identity API over HTTP: tokens, scopes, organizations, members, the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.identity.models import ApiToken, AuditEvent, MemberRole, Organization, TokenScope
from tests.factories import Factories


def test_me_needs_a_token(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_token_is_401_even_on_public_routes(client: TestClient) -> None:
    response = client.get("/api/v1/orgs", headers={"Authorization": "Bearer acc_nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"


def test_malformed_authorization_header_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]


def test_token_is_shown_once_and_stored_hashed(
    client: TestClient, make: Factories, db: Session
) -> None:
    alice = make.user("alice")
    headers = make.bearer(alice)
    created = client.post(
        "/api/v1/me/tokens", json={"name": "ci", "scope": "read"}, headers=headers
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("acc_")
    listed = client.get("/api/v1/me/tokens", headers=headers).json()
    assert all("token" not in t for t in listed)
    stored = db.scalars(select(ApiToken.secret_hash)).all()
    assert secret not in stored
    assert all(len(h) == 64 for h in stored)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json()["username"] == "alice"


def test_revoked_token_stops_working(client: TestClient, make: Factories) -> None:
    alice = make.user("alice")
    headers = make.bearer(alice)
    created = client.post(
        "/api/v1/me/tokens", json={"name": "x", "scope": "read"}, headers=headers
    ).json()
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=headers).status_code == 204
    again = client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"})
    assert again.status_code == 401
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=headers).status_code == 409


def test_someone_elses_token_is_not_found(client: TestClient, make: Factories) -> None:
    alice, bob = make.user("alice"), make.user("bob")
    created = client.post(
        "/api/v1/me/tokens", json={"name": "x", "scope": "read"}, headers=make.bearer(alice)
    )
    response = client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=make.bearer(bob))
    assert response.status_code == 404


def test_read_token_cannot_write(client: TestClient, make: Factories) -> None:
    op = make.user("oper", operator=True)
    response = client.post(
        "/api/v1/orgs",
        json={
            "name": "Example",
            "kind": "signatory",
            "type": "vendor",
            "country": "fr",
            "website": "https://example.com",
            "security_contact": "sec@example.com",
        },
        headers=make.bearer(op, TokenScope.READ),
    )
    assert response.status_code == 403
    assert "scope" in response.json()["message"]


def test_token_cannot_mint_a_wider_token(client: TestClient, make: Factories) -> None:
    alice = make.user("alice")
    response = client.post(
        "/api/v1/me/tokens",
        json={"name": "x", "scope": "admin"},
        headers=make.bearer(alice, TokenScope.READ),
    )
    assert response.status_code == 403


def test_token_expiry_is_capped(client: TestClient, make: Factories) -> None:
    alice = make.user("alice")
    response = client.post(
        "/api/v1/me/tokens",
        json={"name": "x", "scope": "read", "expires_in_days": 99999},
        headers=make.bearer(alice),
    )
    assert response.status_code == 422
    assert response.json()["field"] == "expires_in_days"


def test_operator_creates_org_and_field_errors_name_the_field(
    client: TestClient, make: Factories
) -> None:
    headers = make.bearer(make.user("oper", operator=True))
    body = {
        "name": "Example Corp",
        "kind": "signatory",
        "type": "vendor",
        "country": "fr",
        "website": "https://example.com",
        "security_contact": "sec@example.com",
    }
    bad = client.post("/api/v1/orgs", json={**body, "website": "not a url"}, headers=headers)
    assert bad.status_code == 422
    assert bad.json()["field"] == "website"
    created = client.post("/api/v1/orgs", json=body, headers=headers)
    assert created.status_code == 201
    org = created.json()
    assert org["slug"] == "example-corp"
    assert org["country"] == "FR"
    assert org["security_contact"] == "mailto:sec@example.com"
    assert org["type"] == "vendor"
    dup = client.post("/api/v1/orgs", json=body, headers=headers)
    assert dup.status_code == 409


def test_unknown_fields_are_refused(client: TestClient, make: Factories) -> None:
    headers = make.bearer(make.user("oper", operator=True))
    response = client.post(
        "/api/v1/users",
        json={
            "username": "newbie",
            "email": "n@example.org",
            "password": "a long enough password",
            "is_operator": True,
        },
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "is_operator"


def test_members_and_roles(client: TestClient, make: Factories, db: Session) -> None:
    slug = make.org("Acme")
    admin, bob = make.user("admin1"), make.user("bob")
    make.member(admin, slug, MemberRole.ADMIN)
    headers = make.bearer(admin)
    added = client.put(
        f"/api/v1/orgs/{slug}/members", json={"username": "bob", "role": "member"}, headers=headers
    )
    assert added.status_code == 200
    listed = client.get(f"/api/v1/orgs/{slug}/members", headers=make.bearer(bob)).json()
    assert {m["username"]: m["role"] for m in listed} == {"admin1": "admin", "bob": "member"}
    # The last admin cannot be demoted or removed.
    last = client.put(
        f"/api/v1/orgs/{slug}/members",
        json={"username": "admin1", "role": "member"},
        headers=headers,
    )
    assert last.status_code == 409
    assert client.delete(f"/api/v1/orgs/{slug}/members/admin1", headers=headers).status_code == 409
    # A plain member cannot manage members.
    denied = client.put(
        f"/api/v1/orgs/{slug}/members",
        json={"username": "bob", "role": "admin"},
        headers=make.bearer(bob),
    )
    assert denied.status_code == 403
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "member.add" in actions


def test_audit_log_filters(client: TestClient, make: Factories) -> None:
    op = make.user("oper", operator=True)
    headers = make.bearer(op)
    make.org("Filtered Org")
    everything = client.get("/api/v1/audit", headers=headers).json()
    assert {"org.create", "token.create"} <= {e["action"] for e in everything}
    only = client.get("/api/v1/audit", params={"action": "org.create"}, headers=headers).json()
    assert [e["target"] for e in only] == ["filtered-org"]
    assert client.get("/api/v1/audit", params={"limit": 0}, headers=headers).status_code == 422
    assert client.get("/api/v1/audit", headers=make.bearer(make.user("nobody"))).status_code == 403


def test_failed_request_leaves_nothing_half_written(
    client: TestClient, make: Factories, db: Session
) -> None:
    slug = make.org("Atomic")
    admin = make.user("admin1")
    make.member(admin, slug, MemberRole.ADMIN)
    before = db.scalars(select(AuditEvent.id)).all()
    db.rollback()
    # Unknown user: the membership service fails after the policy passed; no audit row remains.
    response = client.put(
        f"/api/v1/orgs/{slug}/members",
        json={"username": "ghost", "role": "member"},
        headers=make.bearer(admin),
    )
    assert response.status_code == 404
    db.rollback()
    after = db.scalars(select(AuditEvent.action).where(AuditEvent.id.not_in(before))).all()
    assert after == ["token.create"]


def test_token_use_for_a_change_is_recorded(
    client: TestClient, make: Factories, db: Session
) -> None:
    alice = make.user("alice")
    secret = make.token(alice)
    headers = {"Authorization": f"Bearer {secret}"}
    client.get("/api/v1/me", headers=headers)
    assert db.scalar(select(ApiToken.last_used_at)) is None
    db.rollback()
    client.post("/api/v1/me/tokens", json={"name": "x", "scope": "read"}, headers=headers)
    used = db.scalars(select(ApiToken.last_used_at).order_by(ApiToken.id)).all()
    assert used[0] is not None
    assert used[1] is None


def test_a_change_refused_leaves_the_token_unstamped(
    client: TestClient, make: Factories, db: Session
) -> None:
    """The token of a write is stamped in the write's own transaction: a refused one leaves
    it as it was."""
    alice = make.user("alice")
    headers = {"Authorization": f"Bearer {make.token(alice)}"}
    refused = client.put("/api/v1/orgs/nowhere/members", json={"username": "ghost",
                          "role": "member"}, headers=headers)  # fmt: skip
    assert refused.status_code == 404
    assert db.scalar(select(ApiToken.last_used_at)) is None


def test_operator_creates_user_with_an_argon2id_hash(
    client: TestClient, make: Factories, db: Session
) -> None:
    from accord.identity.models import User

    headers = make.bearer(make.user("oper", operator=True))
    response = client.post(
        "/api/v1/users",
        json={
            "username": "newbie",
            "email": "Newbie@Example.org",
            "password": "a long enough password",
        },
        headers=headers,
    )
    assert response.status_code == 201
    assert response.json()["email"] == "newbie@example.org"
    stored = db.scalar(select(User).where(User.username == "newbie"))
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in stored.password_hash
    short = client.post(
        "/api/v1/users",
        json={"username": "short", "email": "s@example.org", "password": "short"},
        headers=headers,
    )
    assert short.status_code == 422
    assert short.json()["field"] == "password"


def test_org_admin_updates_urls(client: TestClient, make: Factories) -> None:
    slug = make.org("Url Org")
    admin = make.user("admin1")
    make.member(admin, slug, MemberRole.ADMIN)
    response = client.patch(
        f"/api/v1/orgs/{slug}",
        json={
            "website": "https://url.example/",
            "security_txt_url": "https://url.example/.well-known/security.txt",
        },
        headers=make.bearer(admin),
    )
    assert response.status_code == 200
    assert response.json()["security_txt_url"] == "https://url.example/.well-known/security.txt"
    bad = client.patch(
        f"/api/v1/orgs/{slug}", json={"website": "ftp://x"}, headers=make.bearer(admin)
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "website"


def test_org_admin_sets_and_clears_the_cve_org_id(
    client: TestClient, make: Factories, db: Session
) -> None:
    slug = make.org("Cna Org")
    admin = make.user("cnaadmin")
    make.member(admin, slug, MemberRole.ADMIN)
    headers = make.bearer(admin)
    url = f"/api/v1/orgs/{slug}"
    assert client.get(url).json()["cve_org_id"] is None
    given = " 6F1A2B3C-4D5E-4F60-8A7B-9C0D1E2F3A4B "
    response = client.patch(url, json={"cve_org_id": given}, headers=headers)
    assert response.status_code == 200
    assert response.json()["cve_org_id"] == "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
    db.rollback()
    org = db.scalar(select(Organization).where(Organization.slug == slug))
    assert org is not None
    assert org.cve_org_id == "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
    for bad in ("not-a-uuid", "6f1a2b3c-4d5e-1f60-8a7b-9c0d1e2f3a4b", "", 42):
        refused = client.patch(url, json={"cve_org_id": bad}, headers=headers)
        assert refused.status_code == 422, bad
        assert refused.json()["field"] == "cve_org_id", bad
    cleared = client.patch(url, json={"cve_org_id": None}, headers=headers)
    assert cleared.json()["cve_org_id"] is None
    # Members who are not admins cannot change it.
    member = make.user("cnamember")
    make.member(member, slug, MemberRole.MEMBER)
    denied = client.patch(url, json={"cve_org_id": given}, headers=make.bearer(member))
    assert denied.status_code == 403
