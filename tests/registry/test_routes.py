"""The registry API over HTTP: the accord, applying, deciding, public lists, checks."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.identity.models import AuditEvent, MemberRole, Organization, TokenScope
from accord.registry.models import Application
from tests.factories import Factories, Person
from tests.registry.helpers import application_body, reread, set_security_txt_url
from tests.registry.samples import security_txt
from tests.registry.servers import Route, StaticServer

OPER = Person("oper")
NEW_VERSION = {"title": "Tech Accord, second text", "text": "Four principles, and a fifth one."}


def operator(make: Factories, scope: TokenScope = TokenScope.ADMIN) -> dict[str, str]:
    return make.bearer(OPER, scope)


def apply(client: TestClient, **overrides: object) -> int:
    response = client.post("/api/v1/applications", json=application_body(**overrides))
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


# -- the accord ----------------------------------------------------------------------------


def test_accord_is_public_and_versioned(client: TestClient, make: Factories) -> None:
    current = client.get("/api/v1/accord")
    assert current.status_code == 200
    assert current.json()["number"] == 1
    assert "Collective action" in current.json()["text"]
    assert client.get("/api/v1/accord/versions/1").json() == current.json()
    missing = client.get("/api/v1/accord/versions/7")
    assert (missing.status_code, missing.json()["field"]) == (404, "number")
    assert client.get("/api/v1/accord/versions/0").json()["field"] == "number"


@pytest.fixture(autouse=True)
def _operator(make: Factories) -> None:
    make.user(OPER.username, operator=True)


def test_publishing_needs_an_operator_with_an_admin_token(
    client: TestClient, make: Factories
) -> None:
    assert client.post("/api/v1/accord/versions", json=NEW_VERSION).status_code == 401
    member = make.bearer(make.user("alice"))
    assert (
        client.post("/api/v1/accord/versions", json=NEW_VERSION, headers=member).status_code == 403
    )
    read_only = operator(make, TokenScope.READ)
    denied = client.post("/api/v1/accord/versions", json=NEW_VERSION, headers=read_only)
    assert denied.status_code == 403
    headers = operator(make)
    short = client.post(
        "/api/v1/accord/versions", json={"title": "x", "text": "y"}, headers=headers
    )
    assert (short.status_code, short.json()["field"]) == (422, "title")
    created = client.post("/api/v1/accord/versions", json=NEW_VERSION, headers=headers)
    assert created.status_code == 201
    assert created.json()["number"] == 2
    assert created.json()["published_by"] == "oper"
    listed = client.get("/api/v1/accord/versions").json()
    assert [v["number"] for v in listed] == [2, 1]
    assert client.get("/api/v1/accord").json()["number"] == 2


# -- applying ------------------------------------------------------------------------------


def test_anyone_can_apply_and_learns_only_the_receipt(client: TestClient, db: Session) -> None:
    response = client.post("/api/v1/applications", json=application_body())
    assert response.status_code == 201
    receipt = response.json()
    assert set(receipt) == {"id", "status", "accord_version", "submitted_at"}
    assert receipt["status"] == "pending"
    stored = db.get(Application, receipt["id"])
    assert stored is not None
    assert stored.contact_email == "ada@example.com"


def test_bad_applications_name_the_field(client: TestClient) -> None:
    cases = {
        "website": application_body(website="not a url"),
        "contact_email": application_body(contact_email=None),
        "type": application_body(type="bank"),
        "country": application_body(country="Germany"),
        "security_contact": application_body(security_contact="call us"),
        "accord_version": application_body(accord_version=0),
        "username": application_body(username="a b"),
        "is_operator": application_body(is_operator=True),
    }
    for field, body in cases.items():
        response = client.post("/api/v1/applications", json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["field"] == field


def test_application_to_an_old_version_is_a_conflict(client: TestClient, make: Factories) -> None:
    client.post("/api/v1/accord/versions", json=NEW_VERSION, headers=operator(make))
    response = client.post("/api/v1/applications", json=application_body(accord_version=1))
    assert (response.status_code, response.json()["field"]) == (409, "accord_version")


def test_public_intake_is_rate_limited_per_address(client: TestClient, make: Factories) -> None:
    limit = client.app.state.settings.public_form_per_hour  # type: ignore[attr-defined]
    headers = make.bearer(make.user("alice"))  # a signed-in caller counts the same
    for n in range(limit):
        body = application_body(name=f"Applicant {n}")
        assert client.post("/api/v1/applications", json=body, headers=headers).status_code == 201
    over = client.post("/api/v1/applications", json=application_body(name="One Too Many"))
    assert over.status_code == 429
    assert int(over.headers["retry-after"]) > 0


def test_bad_submissions_count_towards_the_limit(client: TestClient) -> None:
    limit = client.app.state.settings.public_form_per_hour  # type: ignore[attr-defined]
    for _ in range(limit):
        bad = client.post("/api/v1/applications", json={"name": "x"})
        assert bad.status_code == 422
    assert client.post("/api/v1/applications", json=application_body()).status_code == 429


# -- deciding ------------------------------------------------------------------------------


def test_only_operators_see_applications(client: TestClient, make: Factories) -> None:
    number = apply(client)
    assert client.get("/api/v1/applications").status_code == 401
    member = make.bearer(make.user("alice"))
    assert client.get("/api/v1/applications", headers=member).status_code == 403
    assert client.get(f"/api/v1/applications/{number}", headers=member).status_code == 403
    headers = operator(make, TokenScope.READ)
    listed = client.get("/api/v1/applications", headers=headers).json()
    assert [a["id"] for a in listed] == [number]
    assert listed[0]["contact_email"] == "ada@example.com"
    assert listed[0]["proposal"]["website"] == "https://example.com/"
    assert client.get("/api/v1/applications?status=approved", headers=headers).json() == []
    one = client.get(f"/api/v1/applications/{number}", headers=headers)
    assert one.json()["name"] == "Example Security GmbH"
    assert client.get("/api/v1/applications/999", headers=headers).status_code == 404
    assert client.get("/api/v1/applications?status=maybe", headers=headers).status_code == 422


def test_approval_over_the_api_then_the_applicant_sets_a_password(
    client: TestClient, make: Factories, db: Session
) -> None:
    number = apply(client, username="ada")
    headers = operator(make)
    read_token = operator(make, TokenScope.READ)
    denied = client.post(f"/api/v1/applications/{number}/approve", json={}, headers=read_token)
    assert denied.status_code == 403
    response = client.post(f"/api/v1/applications/{number}/approve", json={}, headers=headers)
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["application"]["status"] == "approved"
    assert decision["application"]["organization_slug"] == "example-security-gmbh"
    assert decision["organization"]["security_contact"] == "mailto:security@example.com"
    assert decision["signature"]["accord_version"] == 1
    assert decision["signature"]["approved_by"] == "oper"
    account = decision["account"]
    assert account["username"] == "ada"
    token = account["setup_url"].split("token=")[1]
    weak = client.post("/api/v1/account-setup", json={"token": token, "password": "short"})
    assert (weak.status_code, weak.json()["field"]) == (422, "password")
    good = {"token": token, "password": "a long passphrase"}
    assert client.post("/api/v1/account-setup", json=good).status_code == 204
    again = client.post("/api/v1/account-setup", json=good)
    assert (again.status_code, again.json()["field"]) == (401, "token")
    twice = client.post(f"/api/v1/applications/{number}/approve", json={}, headers=headers)
    assert twice.status_code == 409
    reread(db)
    assert (
        db.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "application.approve")
        )
        == 1
    )


def test_rejection_needs_a_reason(client: TestClient, make: Factories, db: Session) -> None:
    number = apply(client)
    headers = operator(make)
    empty = client.post(f"/api/v1/applications/{number}/reject", json={}, headers=headers)
    assert (empty.status_code, empty.json()["field"]) == (422, "reason")
    blank = client.post(
        f"/api/v1/applications/{number}/reject", json={"reason": "  "}, headers=headers
    )
    assert blank.json()["field"] == "reason"
    done = client.post(
        f"/api/v1/applications/{number}/reject", json={"reason": "not a vendor"}, headers=headers
    )
    assert done.status_code == 200
    assert done.json()["application"]["reason"] == "not a vendor"
    late = client.post(f"/api/v1/applications/{number}/approve", json={}, headers=headers)
    assert late.status_code == 409
    reread(db)
    assert db.scalar(select(func.count(Organization.id))) == 0


# -- public lists and profiles -------------------------------------------------------------


def test_signatories_partners_and_profiles_are_public(client: TestClient, make: Factories) -> None:
    headers = operator(make)
    signatory = apply(client)
    partner = apply(client, name="Example CERT", kind="partner", type="csirt")
    for number in (signatory, partner):
        body = {"create_account": False}
        client.post(f"/api/v1/applications/{number}/approve", json=body, headers=headers)
    signatories = client.get("/api/v1/signatories").json()
    assert [(s["slug"], s["accord_version"]) for s in signatories] == [("example-security-gmbh", 1)]
    assert signatories[0]["profile_url"] == "/signatories/example-security-gmbh"
    assert datetime.fromisoformat(signatories[0]["signed_at"]).tzinfo is not None
    partners = client.get("/api/v1/partners").json()
    assert [(p["slug"], p["signed_at"]) for p in partners] == [("example-cert", None)]
    profile = client.get("/api/v1/signatories/example-security-gmbh").json()
    assert profile["organization"]["website"] == "https://example.com/"
    assert [s["accord_version"] for s in profile["signatures"]] == [1]
    assert profile["security_txt"] is None
    assert "contact_email" not in str(profile)
    missing = client.get("/api/v1/signatories/nobody")
    assert (missing.status_code, missing.json()["field"]) == (404, "slug")


def test_signature_keeps_naming_its_version_after_a_new_one(
    client: TestClient, make: Factories
) -> None:
    headers = operator(make)
    number = apply(client)
    client.post(f"/api/v1/applications/{number}/approve", json={}, headers=headers)
    first_text = client.get("/api/v1/accord").json()["text"]
    client.post("/api/v1/accord/versions", json=NEW_VERSION, headers=headers)
    profile = client.get("/api/v1/signatories/example-security-gmbh").json()
    assert [s["accord_version"] for s in profile["signatures"]] == [1]
    assert client.get("/api/v1/accord/versions/1").json()["text"] == first_text
    assert client.get("/api/v1/accord").json()["text"] == NEW_VERSION["text"]


# -- security.txt checks -------------------------------------------------------------------


def test_org_admins_and_operators_run_checks_others_cannot(
    client: TestClient,
    make: Factories,
    http_server: StaticServer,
    session_factory: sessionmaker[Session],
) -> None:
    slug = make.org("Acme")
    admin, member, stranger = make.user("admin1"), make.user("member1"), make.user("other")
    make.member(admin, slug, MemberRole.ADMIN)
    make.member(member, slug, MemberRole.MEMBER)
    make.member(stranger, make.org("Other Org"), MemberRole.ADMIN)
    url = http_server.route("/.well-known/security.txt", Route(security_txt().encode()))
    set_security_txt_url(session_factory, slug, url)
    path = f"/api/v1/orgs/{slug}/security-txt/checks"
    assert client.post(path).status_code == 401
    assert client.post(path, headers=make.bearer(member)).status_code == 403
    assert client.post(path, headers=make.bearer(stranger)).status_code == 403
    assert client.post(path, headers=make.bearer(admin, TokenScope.READ)).status_code == 403
    assert http_server.requests == []
    ran = client.post(path, headers=make.bearer(admin))
    assert ran.status_code == 201, ran.text
    result = ran.json()
    assert result["url"] == url
    assert result["status_code"] == 200
    assert not result["ok"]  # served over plain HTTP, which RFC 9116 forbids
    errors = [f["code"] for f in result["findings"] if f["severity"] == "error"]
    assert errors == ["not_https"]
    assert result["fields"]["Contact"] == ["mailto:security@example.com"]
    assert client.post(path, headers=operator(make)).status_code == 201
    history = client.get(path).json()
    assert len(history) == 2
    profile = client.get(f"/api/v1/signatories/{slug}").json()
    assert profile["security_txt"]["url"] == url


def test_check_of_a_missing_file_is_stored_as_a_failed_check(
    client: TestClient,
    make: Factories,
    http_server: StaticServer,
    session_factory: sessionmaker[Session],
    db: Session,
) -> None:
    slug = make.org("Acme")
    headers = operator(make)
    url = http_server.url("/.well-known/security.txt")  # nothing served there: 404
    set_security_txt_url(session_factory, slug, url)
    result = client.post(f"/api/v1/orgs/{slug}/security-txt/checks", headers=headers).json()
    assert result["status_code"] == 404
    assert "http_status" in [f["code"] for f in result["findings"]]
    assert result["fields"] == {}
    reread(db)
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "securitytxt.check")).one()
    assert audit.target == slug
    assert audit.details["ok"] is False
