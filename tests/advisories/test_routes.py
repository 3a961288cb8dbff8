"""The management API: drafts, publication, versions, withdrawal, TLP and guards."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.advisories import validation
from accord.identity.models import AuditEvent, MemberRole, TokenScope
from tests.factories import Factories

V3 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N"
DRAFT: dict[str, Any] = {
    "summary": "Path traversal in acme-widget",
    "details": "A crafted name escapes the upload folder.",
    "plain_summary": "Update acme-widget to 2.0.1: older versions let attackers overwrite files.",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Acme_Widget"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "2.0.1"}]}
            ],
        }
    ],
    "references": [{"type": "ADVISORY", "url": "https://acme.example/sa-1"}],
    "credits": [{"name": "A. Finder", "type": "FINDER"}],
    "cwe_ids": ["CWE-22"],
    "cvss_v3": V3,
    "cvss_v4": V4,
}
QUERY = {"package": {"ecosystem": "PyPI", "name": "acme-widget"}, "version": "1.5"}


def publisher(make: Factories, role: MemberRole = MemberRole.MEMBER) -> tuple[str, dict[str, str]]:
    slug = make.org("Acme")
    person = make.user()
    make.member(person, slug, role)
    return slug, make.bearer(person, TokenScope.WRITE)


def create(client: TestClient, slug: str, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/advisories/orgs/{slug}", json={**DRAFT, **extra}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def found_ids(client: TestClient, headers: dict[str, str] | None = None) -> list[str]:
    body = client.post("/v1/query", json=QUERY, headers=headers or {}).json()
    return [v["id"] for v in body.get("vulns", [])]


def test_draft_publish_edit_and_withdraw(client: TestClient, make: Factories, db: Session) -> None:
    slug, headers = publisher(make)
    draft = create(client, slug, headers)
    advisory_id = draft["id"]
    assert advisory_id.startswith("x_ACCORD-")
    assert draft["status"] == "draft"
    assert draft["record"] is None
    assert draft["draft"]["record"]["severity"] == [
        {"type": "CVSS_V3", "score": V3},
        {"type": "CVSS_V4", "score": V4},
    ]
    assert client.get(f"/api/v1/advisories/{advisory_id}").status_code == 404  # not public yet
    assert found_ids(client) == []

    published = client.post(f"/api/v1/advisories/{advisory_id}/publish", headers=headers).json()
    assert published["status"] == "published"
    assert published["cvss_v3"] == {"vector": V3, "score": 9.8}
    assert published["cvss_v4"]["score"] == 5.1
    assert published["severity"] == "CRITICAL"
    assert published["cwe_ids"] == ["CWE-22"]
    record = published["record"]
    assert validation.problem(record) is None
    assert record["database_specific"]["cwe_ids"] == ["CWE-22"]
    assert found_ids(client) == [advisory_id]
    assert client.get(f"/v1/vulns/{advisory_id}").json() == record

    edited = client.patch(
        f"/api/v1/advisories/{advisory_id}",
        json={"summary": "Path traversal (updated)"},
        headers=headers,
    ).json()
    assert edited["draft"]["record"]["summary"] == "Path traversal (updated)"
    assert client.get(f"/v1/vulns/{advisory_id}").json()["summary"] == DRAFT["summary"]  # pending
    second = client.post(f"/api/v1/advisories/{advisory_id}/publish", headers=headers).json()
    assert [v["number"] for v in second["versions"]] == [1, 2]
    assert second["record"]["modified"] > record["modified"]
    assert second["record"]["published"] == record["published"]
    old = client.get(f"/api/v1/advisories/{advisory_id}/versions/1")
    assert old.json()["summary"] == DRAFT["summary"]

    gone = client.post(
        f"/api/v1/advisories/{advisory_id}/withdraw", json={"reason": "Not a flaw"}, headers=headers
    ).json()
    assert gone["status"] == "withdrawn"
    assert found_ids(client) == []
    served = client.get(f"/v1/vulns/{advisory_id}").json()
    assert served["withdrawn"]
    assert served["summary"] == "Withdrawn: Not a flaw"
    db.rollback()
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.target == advisory_id).order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "advisory.draft",
        "advisory.publish",
        "advisory.edit",
        "advisory.publish",
        "advisory.withdraw",
    ]
    db.rollback()


def test_only_members_of_the_publisher_write(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    draft = create(client, slug, headers)
    outsider = make.bearer(make.user(), TokenScope.WRITE)
    denied = client.post(f"/api/v1/advisories/orgs/{slug}", json=DRAFT, headers=outsider)
    assert denied.status_code == 403
    assert (
        client.post(f"/api/v1/advisories/{draft['id']}/publish", headers=outsider).status_code
        == 404
    )
    reader = make.user()
    make.member(reader, slug)
    read_only = make.bearer(reader, TokenScope.READ)
    assert (
        client.post(f"/api/v1/advisories/{draft['id']}/publish", headers=read_only).status_code
        == 403
    )
    operator = make.bearer(make.user(operator=True), TokenScope.ADMIN)
    assert (
        client.post(f"/api/v1/advisories/{draft['id']}/publish", headers=operator).status_code
        == 200
    )
    assert client.post(f"/api/v1/advisories/orgs/{slug}", json=DRAFT).status_code == 401


def test_tlp_decides_who_reads(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    green = create(client, slug, headers, id="x_ACME-GREEN", tlp="GREEN")
    amber = create(client, slug, headers, id="x_ACME-AMBER", tlp="AMBER")
    for advisory in (green, amber):
        client.post(f"/api/v1/advisories/{advisory['id']}/publish", headers=headers)
    community = make.bearer(make.user(), TokenScope.READ)
    assert found_ids(client) == []
    assert found_ids(client, community) == ["x_ACME-GREEN"]
    assert found_ids(client, headers) == ["x_ACME-AMBER", "x_ACME-GREEN"]
    assert client.get("/v1/vulns/x_ACME-AMBER", headers=community).status_code == 404
    assert client.get("/v1/vulns/x_ACME-GREEN").status_code == 404
    listed = client.get("/api/v1/advisories", headers=community).json()
    assert [a["id"] for a in listed] == ["x_ACME-GREEN"]


def test_invalid_vectors_and_records_are_400_naming_the_field(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    bad_v3 = client.post(
        f"/api/v1/advisories/orgs/{slug}",
        json={**DRAFT, "cvss_v3": "CVSS:3.1/AV:Q"},
        headers=headers,
    )
    assert bad_v3.status_code == 400
    assert bad_v3.json()["field"] == "cvss_v3"
    assert "AV:Q" in bad_v3.json()["message"]
    bad_v4 = client.post(
        f"/api/v1/advisories/orgs/{slug}",
        json={**DRAFT, "cvss_v4": "CVSS:4.0/AV:N"},
        headers=headers,
    )
    assert bad_v4.status_code == 400
    assert "Missing mandatory metrics" in bad_v4.json()["message"]
    unknown = {**DRAFT, "affected": [{"package": {"ecosystem": "Cobol", "name": "x"}}]}
    bad_eco = client.post(f"/api/v1/advisories/orgs/{slug}", json=unknown, headers=headers)
    assert bad_eco.status_code == 400
    assert bad_eco.json()["field"] == "affected[0].package.ecosystem"
    bad_id = client.post(
        f"/api/v1/advisories/orgs/{slug}", json={**DRAFT, "id": "NOPE-1"}, headers=headers
    )
    assert bad_id.status_code == 400
    assert bad_id.json()["field"] == "id"
    shape = client.post(
        f"/api/v1/advisories/orgs/{slug}", json={**DRAFT, "cwe_ids": ["22"]}, headers=headers
    )
    assert shape.status_code == 422
    assert shape.json()["field"] == "cwe_ids.0"
    assert client.post(
        f"/api/v1/advisories/orgs/{slug}", json={**DRAFT, "id": "x_ONE"}, headers=headers
    )
    twice = client.post(
        f"/api/v1/advisories/orgs/{slug}", json={**DRAFT, "id": "x_ONE"}, headers=headers
    )
    assert twice.status_code == 409


def test_list_filters(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    for osv_id in ("x_ACME-1", "x_ACME-2"):
        create(client, slug, headers, id=osv_id, cvss_v3=None if osv_id.endswith("2") else V3)
        client.post(f"/api/v1/advisories/{osv_id}/publish", headers=headers)

    def ids(**params: str) -> list[str]:
        return [a["id"] for a in client.get("/api/v1/advisories", params=params).json()]

    assert sorted(ids()) == ["x_ACME-1", "x_ACME-2"]
    assert ids(severity="critical") == ["x_ACME-1"]
    assert sorted(ids(ecosystem="PyPI", package="acme.widget")) == ["x_ACME-1", "x_ACME-2"]
    assert ids(ecosystem="npm") == []
    assert sorted(ids(publisher=slug)) == ["x_ACME-1", "x_ACME-2"]
    assert ids(q="ACME-2") == ["x_ACME-2"]
    assert client.get("/api/v1/advisories", params={"ecosystem": "Cobol"}).status_code == 400
