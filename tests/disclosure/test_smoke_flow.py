"""The API end to end: report, open, invite, statuses, embargo, messages, publish."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.advisories.formats.support import csaf_schema_errors, run_csaf_validator
from tests.disclosure.world import World
from tests.factories import Factories

CNA = "4f1e6b1c-3b5a-4c8e-9a57-1d2f3a4b5c6d"


def test_whole_flow_through_the_api(client: TestClient, make: Factories, tmp_path: Path) -> None:
    world = World.build(make)
    case_id = world.open_case(client)
    assert case_id.startswith("ACCORD-")
    base = f"/api/v1/disclosure/cases/{case_id}"
    r = client.put(
        f"{base}/vendors/vendor-a/status",
        json={"status": "fixed", "fixed_versions": ["2.2.0"]},
        headers=world.headers("vendor_a"),
    )
    assert r.status_code == 200, r.text
    r = client.put(
        f"{base}/vendors/vendor-b/status",
        json={"status": "not_affected", "justification": "component_not_present"},
        headers=world.headers("vendor_b"),
    )
    assert r.status_code == 200, r.text
    r = client.post(
        f"{base}/messages", json={"body": "hello all"}, headers=world.headers("vendor_a")
    )
    assert r.status_code == 201, r.text
    r = client.get("/api/v1/disclosure/report", headers=world.headers("reporter"))
    assert r.status_code == 200, r.text
    r = client.post(
        f"{base}/publish", json={"cve_id": "CVE-2026-12345"}, headers=world.headers("coordinator")
    )
    assert r.status_code == 409, r.text
    assert "embargo" in r.json()["message"]
    r = client.post(f"{base}/vendors/vendor-a/agree-release", headers=world.headers("vendor_a"))
    assert r.status_code == 200, r.text
    r = client.post(
        f"{base}/publish",
        json={
            "cve_id": "CVE-2026-12345",
            "cvss_v3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "cwe_ids": ["CWE-89"],
        },
        headers=world.headers("coordinator"),
    )
    assert r.status_code == 201, r.text
    osv = client.get(f"/v1/vulns/x_{case_id}")
    assert osv.status_code == 200, osv.text
    record = osv.json()
    assert record["aliases"] == ["CVE-2026-12345"]
    assert record["credits"] == [{"name": "Ada Finder", "type": "FINDER"}]
    r = client.get(f"/api/v1/advisories/x_{case_id}/formats/cve?cna_org_id={CNA}")
    assert r.status_code == 200, r.text[:500]

    # Vendor B said not affected: the CSAF document is a VEX document that states it, with
    # the justification as its flag, and the official schema and validator accept it.
    csaf = client.get(f"/api/v1/advisories/x_{case_id}/formats/csaf")
    assert csaf.status_code == 200, csaf.text[:500]
    document = csaf.json()
    assert document["document"]["category"] == "csaf_vex"
    assert csaf_schema_errors(document) == []
    vulnerability = document["vulnerabilities"][0]
    not_affected = vulnerability["product_status"]["known_not_affected"]
    assert [f["label"] for f in vulnerability["flags"]] == ["component_not_present"]
    assert vulnerability["flags"][0]["product_ids"] == not_affected
    (tmp_path / "case.json").write_bytes(csaf.content)
    assert "Overall: PASS" in run_csaf_validator(tmp_path)["case.json"]

    r = client.get(f"{base}/history", headers=world.headers("vendor_b"))
    assert r.status_code == 200, r.text
    r = client.get(f"{base}/history/1", headers=world.headers("vendor_b"))
    assert r.status_code == 200, r.text
    page = client.get("/disclosure/report")
    assert page.status_code == 200
