"""Several vulnerabilities in one case: each described on its own (CVSS checked by the
``cvss`` library, CWE and CVE ids by their forms), each vendor's status per vulnerability and
product, one advisory per vulnerability whose OSV record the official OSV schema accepts and
whose CSAF document the OASIS schema and the ``csaf`` validator accept, carrying every product
status and the VEX flags."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from accord.disclosure.ids import explain_id
from tests import thirdparty
from tests.advisories.formats.support import csaf_schema_errors, run_csaf_validator
from tests.disclosure.vulnerability_world import V1, V2, release, two_vulnerabilities, url
from tests.disclosure.world import World
from tests.factories import Factories

OSV = Draft202012Validator(
    json.loads(thirdparty.OSV_SCHEMA.read_text()),
    format_checker=Draft202012Validator.FORMAT_CHECKER,
)


def _osv_errors(record: dict[str, Any]) -> list[str]:
    return [e.message for e in OSV.iter_errors(record)]


def test_a_case_opens_with_the_reports_vulnerability(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    found = client.get(url(world), headers=world.headers("vendor_b"))
    assert found.status_code == 200, found.text
    (first,) = found.json()
    assert first["ordinal"] == 1
    assert first["summary"] == "SQL injection in the search endpoint"
    # Nobody answered yet: no reply, never "not affected".
    assert first["status"] == "no_reply"
    assert first["statuses"] == []


def test_vendors_answer_per_vulnerability_and_product(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    two_vulnerabilities(client, world)
    found = client.get(url(world), headers=world.headers("vendor_a")).json()
    assert [v["ordinal"] for v in found] == [1, 2]
    first, second = found
    assert first["cvss_vector"] == V1["cvss_vector"]
    assert second["cvss_vector"] == V2["cvss_vector"]
    assert second["cwe_ids"] == ["CWE-79"]
    assert second["cve_id"] == "CVE-2026-12346"
    assert first["status"] == "affected"  # Enterprise is affected, whatever else is fixed
    assert second["status"] == "affected"
    statuses = {(s["vendor"], s["product"]): s["status"] for s in first["statuses"]}
    assert statuses == {
        ("vendor-a", "Example Shop"): "fixed",
        ("vendor-a", "Example Shop Enterprise"): "affected",
        ("vendor-b", "B Shop"): "under_investigation",
    }
    (a_on_2,) = [s for s in second["statuses"] if s["vendor"] == "vendor-a"]
    assert a_on_2["justification"] == "vulnerable_code_not_present"
    # Each vendor's overall status follows its answers (the embargo rules read it).
    case = client.get(
        f"/api/v1/disclosure/cases/{world.case_id}", headers=world.headers("coordinator")
    ).json()
    overall = {v["organization"]: v["status"] for v in case["vendors"]}
    assert overall == {"vendor-a": "affected", "vendor-b": "affected"}


def test_the_reporter_reads_each_vulnerabilitys_aggregate_alone(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    two_vulnerabilities(client, world)
    view = client.get("/api/v1/disclosure/report", headers=world.headers("reporter")).json()
    assert [(v["ordinal"], v["status"]) for v in view["vulnerabilities"]] == [
        (1, "affected"),
        (2, "affected"),
    ]
    assert all(v["statuses"] is None for v in view["vulnerabilities"])
    page = client.get(f"/disclosure/follow?token={world.report_token}").text
    assert "Stored cross-site scripting in search results" in page
    assert "Example Shop Enterprise" not in page  # which product said what is not theirs


def test_not_affected_everywhere_reads_not_affected_only_once_everyone_answered(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    body = {
        "product": "Example Shop",
        "status": "not_affected",
        "justification": "component_not_present",
    }
    sent = client.put(
        url(world, "/1/vendors/vendor-a/status"), json=body, headers=world.headers("vendor_a")
    )
    assert sent.json()["status"] == "no_reply"  # vendor B has not answered
    sent = client.put(
        url(world, "/1/vendors/vendor-b/status"),
        json={**body, "product": "B Shop"},
        headers=world.headers("vendor_b"),
    )
    assert sent.json()["status"] == "not_affected"


@pytest.mark.parametrize(
    ("path", "method", "body", "status", "field"),
    [
        ("", "POST", {"summary": "x", "cvss_vector": "CVSS:3.1/AV:Q"}, 422, "cvss_vector"),
        ("", "POST", {"summary": "x", "cvss_vector": "CVSS:2.0/AV:N"}, 422, "cvss_vector"),
        ("", "POST", {"summary": "x", "cwe_ids": ["CWE-0079"]}, 422, "cwe_ids.0"),
        ("", "POST", {"summary": "x", "cve_id": "CVE-26-1"}, 422, "cve_id"),
        ("", "POST", {"summary": ""}, 422, "summary"),
        ("", "POST", {"summary": "x", "severity": "high"}, 422, "severity"),
        ("/9", "PUT", {"summary": "x"}, 404, "vulnerability"),
        (
            "/9/vendors/vendor-a/status",
            "PUT",
            {"product": "P", "status": "affected"},
            404,
            "vulnerability",
        ),
        (
            "/1/vendors/vendor-a/status",
            "PUT",
            {"product": "P", "status": "not_affected"},
            422,
            "justification",
        ),
        (
            "/1/vendors/vendor-a/status",
            "PUT",
            {"product": "P", "status": "fixed"},
            422,
            "fixed_versions",
        ),
        (
            "/1/vendors/vendor-a/status",
            "PUT",
            {"product": "P", "status": "affected", "justification": "component_not_present"},
            422,
            "justification",
        ),
        (
            "/1/vendors/vendor-a/status",
            "PUT",
            {"product": "P", "status": "maybe"},
            422,
            "status",
        ),
        (
            "/1/vendors/vendor-a/status",
            "PUT",
            {"product": "P", "status": "affected", "purl": "not a purl"},
            422,
            "purl",
        ),
        ("/1/vendors/nobody/status", "PUT", {"product": "P", "status": "affected"}, 404, "slug"),
    ],
)
def test_bad_input_names_its_field_and_keeps_what_is_stored(
    client: TestClient,
    make: Factories,
    path: str,
    method: str,
    body: dict[str, Any],
    status: int,
    field: str,
) -> None:
    world = World.build(make)
    world.open_case(client)
    before = client.get(url(world), headers=world.headers("coordinator")).json()
    response = client.request(
        method, url(world, path), json=body, headers=world.headers("coordinator")
    )
    assert response.status_code == status, response.text
    assert response.json()["field"] == field, response.json()
    assert client.get(url(world), headers=world.headers("coordinator")).json() == before


def test_only_coordinators_add_or_edit_vulnerabilities(client: TestClient, make: Factories) -> None:
    world = World.build(make)
    world.open_case(client)
    for role in ("vendor_a", "vendor_b"):
        assert client.post(url(world), json=V2, headers=world.headers(role)).status_code == 403
        assert client.put(url(world, "/1"), json=V1, headers=world.headers(role)).status_code == 403
    # Vendor B may not answer for vendor A.
    refused = client.put(
        url(world, "/1/vendors/vendor-a/status"),
        json={"product": "P", "status": "affected"},
        headers=world.headers("vendor_b"),
    )
    assert refused.status_code == 403


def test_one_advisory_per_vulnerability_valid_osv_and_csaf_with_every_status(
    client: TestClient, make: Factories, tmp_path: Path
) -> None:
    world = World.build(make)
    world.open_case(client)
    two_vulnerabilities(client, world)
    release(client, world)
    published = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/publish",
        json={},
        headers=world.headers("coordinator"),
    )
    assert published.status_code == 201, published.text
    year, number = world.case_id.split("-")[1:]
    first, second = f"x_ACCORD-{year}-{number}", f"x_ACCORD-{year}-{number}.2"
    assert published.json()["advisories"] == [first, second]
    assert explain_id(second, prefix="ACCORD") is not None
    assert f"vulnerability 2 of case {year}-{number}" in str(explain_id(second, prefix="ACCORD"))

    records = {}
    for ident in (first, second):
        osv = client.get(f"/v1/vulns/{ident}")  # public now, for anyone
        assert osv.status_code == 200, osv.text
        records[ident] = osv.json()
        assert _osv_errors(records[ident]) == []
    assert records[first]["aliases"] == ["CVE-2026-12345"]
    assert records[second]["aliases"] == ["CVE-2026-12346"]
    assert records[second]["severity"] == [{"type": "CVSS_V4", "score": V2["cvss_vector"]}]
    assert records[first]["database_specific"]["cwe_ids"] == ["CWE-89"]

    documents = {}
    for ident in (first, second):
        csaf = client.get(f"/api/v1/advisories/{ident}/formats/csaf")
        assert csaf.status_code == 200, csaf.text[:500]
        documents[ident] = csaf.json()
        assert csaf_schema_errors(documents[ident]) == []
        (tmp_path / f"{ident}.json").write_bytes(csaf.content)
    report = run_csaf_validator(tmp_path)
    for ident in (first, second):
        assert "Overall: PASS" in report[f"{ident}.json"], report[f"{ident}.json"]

    def statuses(ident: str) -> dict[str, set[str]]:
        (vulnerability,) = documents[ident]["vulnerabilities"]
        names = _product_names(documents[ident]["product_tree"])
        return {
            status: {names[pid] for pid in ids}
            for status, ids in vulnerability["product_status"].items()
        }

    one = statuses(first)
    assert set(one) == {"known_affected", "fixed", "under_investigation"}
    assert "Vendor A Example Shop Enterprise" in one["known_affected"]
    assert any("example-shop" in name for name in one["known_affected"])
    assert any("2.2.0" in name for name in one["fixed"])
    assert one["under_investigation"] == {"Vendor B B Shop"}
    two = statuses(second)
    assert two["known_not_affected"] == {"Vendor A Example Shop"}
    assert any("b-shop" in name for name in two["known_affected"])
    (flags,) = documents[second]["vulnerabilities"][0]["flags"]
    assert flags["label"] == "vulnerable_code_not_present"
    assert [_product_names(documents[second]["product_tree"])[p] for p in flags["product_ids"]] == [
        "Vendor A Example Shop"
    ]


def _product_names(tree: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(node: dict[str, Any]) -> None:
        if "product" in node:
            found[node["product"]["product_id"]] = node["product"]["name"]
        for child in node.get("branches", []):
            walk(child)

    walk(tree)
    for product in tree.get("full_product_names", []):
        found[product["product_id"]] = product["name"]
    return found


def test_each_vendor_publishes_its_own_advisory_per_vulnerability(
    client: TestClient, make: Factories
) -> None:
    world = World.build(make)
    world.open_case(client)
    two_vulnerabilities(client, world)
    release(client, world)
    base = f"/api/v1/disclosure/cases/{world.case_id}/publish"
    year, number = world.case_id.split("-")[1:]
    # Vendor A is affected by (or fixed) vulnerability 1 alone; vendor B by 2 alone.
    a = client.post(base, json={}, headers=world.headers("vendor_a"))
    assert a.status_code == 201, a.text
    assert a.json()["advisories"] == [f"x_ACCORD-{year}-{number}-vendor-a"]
    b = client.post(base, json={}, headers=world.headers("vendor_b"))
    assert b.status_code == 201, b.text
    assert b.json()["advisories"] == [f"x_ACCORD-{year}-{number}.2-vendor-b"]
    record = client.get(f"/v1/vulns/x_ACCORD-{year}-{number}.2-vendor-b").json()
    assert _osv_errors(record) == []
    assert [a["package"]["name"] for a in record["affected"]] == ["b-shop"]
    # Only its own products: nothing of vendor A in vendor B's advisory.
    assert "vex" not in record["database_specific"]
    again = client.post(base, json={}, headers=world.headers("vendor_b"))
    assert again.status_code == 409
    assert again.json()["field"] == "vendor"
    # The coordinators' advisory of one vulnerability, then of the rest.
    one = client.post(base, json={"vulnerability": 2}, headers=world.headers("coordinator"))
    assert one.json()["advisories"] == [f"x_ACCORD-{year}-{number}.2"]
    rest = client.post(base, json={}, headers=world.headers("coordinator"))
    assert rest.json()["advisories"] == [f"x_ACCORD-{year}-{number}"]
    unknown = client.post(base, json={"vulnerability": 7}, headers=world.headers("coordinator"))
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "vulnerability"
    # A published vulnerability is not rewritten behind its advisory's back.
    edited = client.put(url(world, "/2"), json=V2, headers=world.headers("coordinator"))
    assert edited.status_code == 409
    assert edited.json()["field"] == "vulnerability"


def test_a_vendors_publication_describes_its_own_advisory_not_the_vulnerability(
    client: TestClient, make: Factories
) -> None:
    """Only coordinators edit a vulnerability: what a vendor's publication request says goes
    into its own advisory alone."""
    world = World.build(make)
    world.open_case(client)
    two_vulnerabilities(client, world)
    release(client, world)
    sent = client.post(
        f"/api/v1/disclosure/cases/{world.case_id}/publish",
        json={"summary": "Our own words on the flaw", "cwe_ids": ["CWE-20"]},
        headers=world.headers("vendor_a"),
    )
    assert sent.status_code == 201, sent.text
    record = client.get(f"/v1/vulns/{sent.json()['advisory_id']}").json()
    assert record["summary"] == "Our own words on the flaw"
    assert record["database_specific"]["cwe_ids"] == ["CWE-20"]
    (first, _) = client.get(url(world), headers=world.headers("coordinator")).json()
    assert first["summary"] == V1["summary"]
    assert first["cwe_ids"] == ["CWE-89"]
