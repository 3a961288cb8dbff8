"""``accord check`` against a hub loaded with real PyPA records: it finds exactly what the
OSV evaluation of those records says, and writes it as JSON, SARIF 2.1.0 and CycloneDX VEX."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cvss import CVSS3, CVSS4
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from fastapi.testclient import TestClient
from packaging.utils import canonicalize_name
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from accord.advisories import importer
from accord.advisories.models import Advisory
from accord.check import inputs, services
from accord.check.findings import Filters, Report
from accord.check.outputs import json_report, sarif, table, vex
from accord.check.sources.hub import HubSource
from accord.db import unit_of_work
from tests.check.conftest import DATA, expected_findings, pypa_records

FILES = (
    "requirements.txt",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "freeze-requirements.txt",
    "oldvenv.cdx.json",
    "oldvenv-1.4.cdx.xml",
    "frozen-1.6.cdx.json",
    "app.spdx.json",
    "app.spdx",
)


def _check(client: TestClient, paths: list[Path], filters: Filters | None = None) -> Report:
    source = HubSource("http://testserver", client=client)
    readings = inputs.read_all(paths)
    return services.check(readings=readings, source=source, filters=filters or Filters())


def _rating(record: dict[str, Any]) -> str:
    """The highest CVSS rating of a record's vectors, by the cvss library; else UNKNOWN."""
    order = ["NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
    ratings = []
    for entry in record.get("severity", []):
        if entry["type"] == "CVSS_V3":
            ratings.append(str(CVSS3(entry["score"]).severities()[0]).upper())
        elif entry["type"] == "CVSS_V4":
            ratings.append(str(CVSS4(entry["score"]).severity).upper())
    return max(ratings, key=order.index) if ratings else "UNKNOWN"


def _found(report: Report) -> set[tuple[str, str, str]]:
    return {
        (str(canonicalize_name(f.dependency.name)), f.dependency.version, f.advisory.id)
        for f in report.findings
    }


def test_finds_what_the_osv_evaluation_says(client: TestClient, pypa_hub: importer.Report) -> None:
    for name in FILES:
        report = _check(client, [DATA / name])
        pinned = [(d.name, d.version) for d in report.dependencies if d.ecosystem == "PyPI"]
        assert pinned, f"{name} names PyPI packages"
        expected = expected_findings(pinned)
        assert expected, f"{name} names vulnerable versions"
        assert _found(report) == expected, name
        assert report.exit_code == 1


def test_several_inputs_at_once_and_a_clean_one(
    client: TestClient, pypa_hub: importer.Report, tmp_path: Path
) -> None:
    clean = tmp_path / "requirements.txt"
    clean.write_text("jinja2==3.1.6\nurllib3==2.5.0\n")
    alone = _check(client, [clean])
    assert expected_findings([("jinja2", "3.1.6"), ("urllib3", "2.5.0")]) == set()
    assert alone.findings == []
    assert alone.exit_code == 0
    both = _check(client, [DATA / "requirements.txt", clean, DATA / "poetry.lock"])
    assert _found(both) == _found(_check(client, [DATA / "requirements.txt"])) | _found(
        _check(client, [DATA / "poetry.lock"])
    )
    # Each finding says where the package was read.
    assert {str(f.dependency.location).split(":")[0].split(" at ")[0] for f in both.findings} == {
        str(DATA / "requirements.txt"),
        str(DATA / "poetry.lock"),
    }


def test_fixed_versions_severity_and_advice(client: TestClient, pypa_hub: importer.Report) -> None:
    report = _check(client, [DATA / "requirements.txt"])
    jinja = {f.advisory.id: f for f in report.findings if f.dependency.name == "jinja2"}
    # PYSEC-2019-217: introduced 0, fixed 2.10.1 (read from the record by hand).
    assert jinja["PYSEC-2019-217"].fixed_in == ("2.10.1",)
    assert jinja["PYSEC-2019-217"].advice == "upgrade jinja2 to 2.10.1 or later"
    records = {r["id"]: r for r in pypa_records()}
    for finding in report.findings:
        assert finding.advisory.severity.rating == _rating(records[finding.advisory.id])
    assert {f.advisory.severity.rating for f in report.findings} >= {"UNKNOWN", "HIGH"}


def test_ignore_and_severity_threshold(
    client: TestClient, pypa_hub: importer.Report, session_factory: sessionmaker[Session]
) -> None:
    everything = _check(client, [DATA / "requirements.txt"])
    ignored = _check(
        client,
        [DATA / "requirements.txt"],
        Filters(ignore=frozenset({"PYSEC-2019-217", "CVE-2020-28493"})),
    )
    # CVE-2020-28493 is an alias of PYSEC-2021-66 (jinja2): an alias ignores its record.
    left = {f.advisory.id for f in everything.findings} - {f.advisory.id for f in ignored.findings}
    assert left == {"PYSEC-2019-217", "PYSEC-2021-66"}
    assert {f.advisory.id for f in ignored.left_out} == left
    # Unrated advisories are kept whatever the threshold.
    high = _check(client, [DATA / "requirements.txt"], Filters(minimum="HIGH"))
    records = {r["id"]: r for r in pypa_records()}
    kept = {
        f.advisory.id
        for f in everything.findings
        if _rating(records[f.advisory.id]) in ("HIGH", "CRITICAL", "UNKNOWN")
    }
    assert {f.advisory.id for f in high.findings} == kept
    assert kept < {f.advisory.id for f in everything.findings}


def test_plain_summary_comes_first(
    client: TestClient, pypa_hub: importer.Report, session_factory: sessionmaker[Session]
) -> None:
    with unit_of_work(session_factory) as db:
        db.execute(
            update(Advisory)
            .where(Advisory.osv_id == "PYSEC-2019-217")
            .values(plain_summary="Templates from strangers can run code on your server.")
        )
    report = _check(client, [DATA / "requirements.txt"])
    text = table.render(report)
    assert (
        "PYSEC-2019-217 (CVE-2019-10906, GHSA-462w-v97r-4m45): Templates from strangers can run"
        in text
    )
    for column in ("Package", "Installed", "Advisory", "Severity", "Fixed in", "What to do"):
        assert column in text
    assert "requirements.txt:8: flask is not pinned (>=1.0), not checked" in text
    body = json.loads(json_report.render(report))
    jinja = next(d for d in body["dependencies"] if d["name"] == "jinja2")
    plain = {v["id"]: v["plain_summary"] for v in jinja["vulns"]}
    assert plain["PYSEC-2019-217"] == "Templates from strangers can run code on your server."


def test_sarif_validates_against_the_official_schema(
    client: TestClient, pypa_hub: importer.Report, tmp_path: Path
) -> None:
    broken = tmp_path / "package-lock.json"
    broken.write_text('{"lockfileVersion": 3, "packages": {"node_modules/x": 7}}')
    report = _check(client, [DATA / "requirements.txt", DATA / "oldvenv.cdx.json", broken])
    document = json.loads(sarif.render(report))
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(
        document, schema, cls=jsonschema.Draft4Validator, format_checker=jsonschema.FormatChecker()
    )
    run = document["runs"][0]
    assert len(run["results"]) == len(report.findings)
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {
        f.advisory.id for f in report.findings
    }
    first = next(
        r
        for r in run["results"]
        if r["ruleId"] == "PYSEC-2019-217"
        and "requirements.txt" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    )
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}
    # Every result can be placed by a code-scanning tool: SBOM components by the line of
    # their purl (and their path in the document).
    assert all("region" in r["locations"][0]["physicalLocation"] for r in run["results"])
    lines = (DATA / "oldvenv.cdx.json").read_text().splitlines()
    from_sbom = [
        r["locations"][0]
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(".cdx.json")
    ]
    assert from_sbom
    for location in from_sbom:
        line = lines[location["physicalLocation"]["region"]["startLine"] - 1]
        assert line.strip().startswith('"purl": "pkg:pypi/')
        assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("components[")
    assert run["invocations"][0]["executionSuccessful"] is False
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert "expected an object" in notification["message"]["text"]


def test_vex_is_valid_cyclonedx(client: TestClient, pypa_hub: importer.Report) -> None:
    report = _check(client, [DATA / "oldvenv.cdx.json"])
    text = vex.render(report)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document = json.loads(text)
    affected = {(v["id"], a["ref"]) for v in document["vulnerabilities"] for a in v["affects"]}
    assert affected == {(f.advisory.id, f.dependency.purl) for f in report.findings}
    assert {v["analysis"]["state"] for v in document["vulnerabilities"]} == {"in_triage"}


def test_batches_of_a_thousand(
    client: TestClient, pypa_hub: importer.Report, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[int] = []
    original = HubSource._post

    def counting(self: HubSource, path: str, body: dict[str, object]) -> object:
        if path.startswith("/v1/querybatch"):
            seen.append(len(body["queries"]))  # type: ignore[arg-type]
        return original(self, path, body)

    monkeypatch.setattr(HubSource, "_post", counting)
    many = tmp_path / "requirements.txt"
    many.write_text("".join(f"package-{i}==1.0\n" for i in range(2300)) + "jinja2==2.10\n")
    report = _check(client, [many])
    assert seen == [1000, 1000, 301]
    assert {f.advisory.id for f in report.findings} == {"PYSEC-2019-217", "PYSEC-2021-66"}
