"""Downloads of a stored advisory as OSV, CSAF 2.0, CVE JSON 5 and STIX 2.1, through the API.

Every document is checked by somebody else's tool: the OASIS CSAF schema, the CVE schema
cvelib ships, stix2-validator; scores by the ``cvss`` library, CWE names by MITRE's catalog.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import stix2
from cvelib.cve_api import CveRecord
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from stix2validator import ValidationOptions, validate_instance

from accord.identity.models import MemberRole, TokenScope
from tests.advisories.conftest import import_path, record
from tests.advisories.formats.support import (
    csaf_schema_errors,
    cve_schema_errors,
    cvss_score,
    weakness,
)
from tests.advisories.test_routes import DRAFT, V3, V4, create, publisher
from tests.factories import Factories

CNA = "0c3f6a1e-4b7d-4e2a-9c1f-2d3e4f5a6b7c"
# stix2-validator best-practice warnings accepted (see tests/advisories/formats/test_stix.py).
ACCEPTED_WARNINGS = ("{103}", "{302}")


def published(
    client: TestClient, slug: str, headers: dict[str, str], **extra: Any
) -> dict[str, Any]:
    """A draft created and published through the API."""
    draft = create(client, slug, headers, **extra)
    response = client.post(f"/api/v1/advisories/{draft['id']}/publish", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def fetch(
    client: TestClient, osv_id: str, fmt: str, headers: dict[str, str] | None = None, **query: Any
) -> Any:
    return client.get(
        f"/api/v1/advisories/{osv_id}/formats/{fmt}", params=query, headers=headers or {}
    )


def test_csaf_export_carries_the_stored_publication(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    advisory = published(client, slug, headers)
    response = fetch(client, advisory["id"], "csaf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "attachment" in response.headers["content-disposition"]
    document = response.json()
    assert csaf_schema_errors(document) == []
    tracking = document["document"]["tracking"]
    assert tracking["id"] == advisory["id"]
    assert tracking["version"] == "1"
    assert [r["number"] for r in tracking["revision_history"]] == ["1"]
    assert document["document"]["publisher"]["name"] == "Acme"
    assert document["document"]["distribution"]["tlp"]["label"] == "WHITE"
    assert document["document"]["notes"][0]["text"] == DRAFT["plain_summary"]
    vulnerability = document["vulnerabilities"][0]
    assert vulnerability["cwe"] == {"id": "CWE-22", "name": weakness(22).name}
    assert vulnerability["scores"][0]["cvss_v3"]["baseScore"] == cvss_score(V3).base_score
    assert any(cvss_score(V4).vector in n["text"] for n in vulnerability["notes"])


def test_each_published_version_exports_with_its_history(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    osv_id = published(client, slug, headers)["id"]
    edited = client.patch(
        f"/api/v1/advisories/{osv_id}", json={"summary": "Now worse"}, headers=headers
    )
    assert edited.status_code == 200
    assert client.post(f"/api/v1/advisories/{osv_id}/publish", headers=headers).status_code == 200

    latest = fetch(client, osv_id, "csaf").json()["document"]
    first = fetch(client, osv_id, "csaf", version=1).json()["document"]
    assert latest["tracking"]["version"] == "2"
    assert [r["number"] for r in latest["tracking"]["revision_history"]] == ["1", "2"]
    assert latest["title"] == "Now worse"
    assert first["tracking"]["version"] == "1"
    assert first["title"] == DRAFT["summary"]
    assert csaf_schema_errors(fetch(client, osv_id, "csaf", version=1).json()) == []
    # The same version always gives the same bytes (hashes published beside it stay true).
    assert fetch(client, osv_id, "csaf").content == fetch(client, osv_id, "csaf").content
    missing = fetch(client, osv_id, "csaf", version=3)
    assert missing.status_code == 404
    assert missing.json()["field"] == "version"
    # OSV: exactly the stored version.
    stored = client.get(f"/api/v1/advisories/{osv_id}/versions/1").content
    assert fetch(client, osv_id, "osv", version=1).content == stored


def test_cve_record_needs_a_cve_alias_and_the_cna(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    plain = published(client, slug, headers)["id"]
    refused = fetch(client, plain, "cve", cna_org_id=CNA)
    assert refused.status_code == 404
    assert "no CVE id" in refused.json()["message"]

    with_cve = published(client, slug, headers, aliases=["CVE-2024-12345"])["id"]
    no_cna = fetch(client, with_cve, "cve")
    assert no_cna.status_code == 422
    assert no_cna.json()["field"] == "cve_org_id"
    assert f"PATCH /api/v1/orgs/{slug}" in no_cna.json()["message"]
    record = fetch(client, with_cve, "cve", cna_org_id=CNA).json()
    assert cve_schema_errors(record) == []
    assert record["cveMetadata"]["cveId"] == "CVE-2024-12345"
    assert record["cveMetadata"]["assignerOrgId"] == CNA


def test_cve_record_names_the_organizations_stored_cna_id(
    client: TestClient, make: Factories
) -> None:
    slug, headers = publisher(make)
    admin = make.user()
    make.member(admin, slug, MemberRole.ADMIN)
    stored = str(uuid.uuid4())
    changed = client.patch(
        f"/api/v1/orgs/{slug}",
        json={"cve_org_id": stored.upper()},
        headers=make.bearer(admin, TokenScope.WRITE),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["cve_org_id"] == stored
    osv_id = published(client, slug, headers, aliases=["CVE-2024-12345"])["id"]
    response = fetch(client, osv_id, "cve")
    assert response.status_code == 200, response.text
    record = response.json()
    assert cve_schema_errors(record) == []
    CveRecord.validate(record["containers"]["cna"])  # cvelib's CNA container check raises
    assert record["cveMetadata"]["assignerOrgId"] == stored
    assert record["containers"]["cna"]["providerMetadata"]["orgId"] == stored
    # The parameter still overrides the stored id, for another CNA submitting the record.
    other = fetch(client, osv_id, "cve", cna_org_id=CNA).json()
    assert other["cveMetadata"]["assignerOrgId"] == CNA
    assert other["containers"]["cna"]["providerMetadata"]["orgId"] == CNA
    page = client.get(f"/advisories/{osv_id}").text
    assert stored in page


def test_stix_bundle_validates_with_its_tlp_marking(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    osv_id = published(client, slug, headers, aliases=["CVE-2024-12345"])["id"]
    bundle = fetch(client, osv_id, "stix").json()
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    unexpected = [
        str(w) for w in result.warnings if not any(c in str(w) for c in ACCEPTED_WARNINGS)
    ]
    assert unexpected == []
    parsed = stix2.parse(bundle, allow_custom=True)
    marking, vulnerability = parsed.objects
    assert vulnerability.name == "CVE-2024-12345"
    assert vulnerability.object_marking_refs == [marking.id]
    assert marking.name == "TLP:CLEAR"


def test_restricted_advisories_export_only_to_readers(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    osv_id = published(client, slug, headers, tlp="AMBER")["id"]
    outsider = make.bearer(make.user(), TokenScope.READ)
    for fmt in ("osv", "csaf", "stix", "cve"):
        assert fetch(client, osv_id, fmt).status_code == 404
        assert fetch(client, osv_id, fmt, outsider).status_code == 404
    document = fetch(client, osv_id, "csaf", headers).json()
    assert document["document"]["distribution"]["tlp"]["label"] == "AMBER"
    assert csaf_schema_errors(document) == []
    # A draft never published has nothing to export, even for its authors.
    draft = create(client, slug, headers)["id"]
    assert fetch(client, draft, "csaf", headers).status_code == 404


def test_unknown_format_is_refused(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make, MemberRole.ADMIN)
    osv_id = published(client, slug, headers)["id"]
    response = fetch(client, osv_id, "pdf")
    assert response.status_code == 422
    assert "fmt" in response.text


def test_advisory_page_links_the_downloads(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    osv_id = published(client, slug, headers, aliases=["CVE-2024-12345"])["id"]
    page = client.get(f"/advisories/{osv_id}").text
    for fmt in ("csaf", "stix", "osv", "cve"):
        assert f"/api/v1/advisories/{osv_id}/formats/{fmt}" in page
    assert uuid.UUID(CNA).version == 4


def test_a_cna_id_that_is_not_version_4_is_refused(client: TestClient, make: Factories) -> None:
    slug, headers = publisher(make)
    osv_id = published(client, slug, headers, aliases=["CVE-2024-12345"])["id"]
    # A v1 UUID given as the parameter: refused with the field, never a 500.
    stale = fetch(client, osv_id, "cve", cna_org_id=str(uuid.uuid1()))
    assert stale.status_code == 422
    assert "cve_org_id" in stale.json()["field"]


def test_a_withdrawn_advisory_is_no_cve_record_unless_it_is_the_cves_own(
    client: TestClient, make: Factories, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    slug, headers = publisher(make)
    osv_id = published(client, slug, headers, aliases=["CVE-2024-12345"])["id"]
    assert fetch(client, osv_id, "cve", cna_org_id=CNA).json()["cveMetadata"]["state"] == (
        "PUBLISHED"
    )
    withdrawn = client.post(
        f"/api/v1/advisories/{osv_id}/withdraw", json={"reason": "Not a flaw"}, headers=headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    refused = fetch(client, osv_id, "cve", cna_org_id=CNA)
    assert refused.status_code == 409
    assert refused.json()["field"] == "withdrawn"
    assert (
        f"{osv_id} was withdrawn, which does not reject CVE-2024-12345"
        in (refused.json()["message"])
    )
    # The CVE's own record, withdrawn (as OSV.dev keeps the CVE list's): REJECTED.
    own = record("CVE-2024-12346", withdrawn="2024-02-01T00:00:00Z")
    (tmp_path / "own.json").write_text(json.dumps(own))
    assert import_path(session_factory, tmp_path / "own.json").rejections == []
    rejected = fetch(client, "CVE-2024-12346", "cve", cna_org_id=CNA).json()
    assert rejected["cveMetadata"]["state"] == "REJECTED"
    assert rejected["cveMetadata"]["cveId"] == "CVE-2024-12346"
    assert cve_schema_errors(rejected) == []
    CveRecord.validate(
        rejected["containers"]["cna"], schema_path=CveRecord.Schemas.CNA_REJECTED.value
    )
