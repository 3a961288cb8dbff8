"""CVE JSON 5 records: valid against the CVE Record Format 5.1.1 schema that cvelib ships,
and their version ranges read by the schema's own algorithm give PyPA's affected releases."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
from cvelib.cve_api import CveRecord
from univers.versions import PypiVersion

from accord.advisories.formats import Publisher, to_cve_json5
from accord.errors import Conflict, InvalidInput
from tests.advisories.formats.cases import all_cases
from tests.advisories.formats.records import MULTI_ECOSYSTEM
from tests.advisories.formats.support import (
    cve_schema_errors,
    fixed_releases,
    listed_releases,
    make_meta,
    pep440,
)

CASES = all_cases()


def _cve_id(record: dict[str, Any]) -> str:
    ids = [i for i in [record["id"], *record.get("aliases", ())] if i.startswith("CVE-")]
    return ids[0] if ids else "CVE-2024-99999"


def _as_the_cves_own(record: dict[str, Any]) -> dict[str, Any]:
    """A withdrawn record as its CVE's own record (as OSV.dev keeps the CVE list's)."""
    cve_id = _cve_id(record)
    aliases = [a for a in [record["id"], *record.get("aliases", ())] if a != cve_id]
    return {**record, "id": cve_id, "aliases": aliases}


def _convert(record: dict[str, Any], meta: Any) -> dict[str, Any]:
    # A withdrawn advisory of another id is refused (test_a_withdrawn_advisory_...): its
    # CVE record is made from the same record as the CVE's own.
    own = _as_the_cves_own(record) if record.get("withdrawn") else record
    return to_cve_json5(own, meta, cve_id=_cve_id(own))


RECORDS = {name: _convert(record, meta) for name, (record, meta) in CASES.items()}


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_record_passes_the_cve_record_format_schema(name: str) -> None:
    assert cve_schema_errors(RECORDS[name]) == []


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_cna_container_is_what_cve_services_accepts(name: str) -> None:
    record = RECORDS[name]
    rejected = record["cveMetadata"]["state"] == "REJECTED"
    schema = CveRecord.Schemas.CNA_REJECTED if rejected else CveRecord.Schemas.CNA_PUBLISHED
    CveRecord.validate(record["containers"]["cna"], schema_path=schema.value)


def test_a_withdrawn_cves_own_record_is_a_rejected_record() -> None:
    withdrawn = {n for n, (record, _) in CASES.items() if record.get("withdrawn")}
    rejected = {n for n, r in RECORDS.items() if r["cveMetadata"]["state"] == "REJECTED"}
    assert rejected == withdrawn
    assert len(rejected) == 10
    for name in rejected:
        record = RECORDS[name]
        assert record["cveMetadata"]["cveId"] == _cve_id(CASES[name][0])
        CveRecord.validate(
            record["containers"]["cna"], schema_path=CveRecord.Schemas.CNA_REJECTED.value
        )


@pytest.mark.parametrize(
    "name", sorted(n for n, (record, _) in CASES.items() if record.get("withdrawn"))
)
def test_a_withdrawn_advisory_does_not_reject_the_cve_it_names(name: str) -> None:
    # PYSEC records withdrawn by the PyPA database: their CVE aliases stand (or, without
    # one, there is no CVE to speak of); neither REJECTED nor PUBLISHED would be true.
    record, meta = CASES[name]
    cve_id = _cve_id(record)
    assert record["id"] != cve_id
    with pytest.raises(Conflict) as refused:
        to_cve_json5(record, meta, cve_id=cve_id)
    assert refused.value.field == "withdrawn"
    assert f"{record['id']} was withdrawn, which does not reject {cve_id}" in refused.value.message


def _status(product: dict[str, Any], version: PypiVersion) -> str:
    """The CVE schema's algorithm (definitions.product.versions) with PEP 440 order."""
    for entry in product.get("versions", ()):
        if "lessThan" not in entry and "lessThanOrEqual" not in entry:
            if version == pep440(entry["version"]):
                return str(entry["status"])
            continue
        start = PypiVersion("0") if entry["version"] == "0" else pep440(entry["version"])
        if start is None or not start <= version:
            continue
        if "lessThan" in entry:
            limit = entry["lessThan"]
            inside = limit == "*" or ((upper := pep440(limit)) is not None and version < upper)
        else:
            inside = (upper := pep440(entry["lessThanOrEqual"])) is not None and version <= upper
        if inside:
            return str(entry["status"])
    return str(product["defaultStatus"])


def test_ranges_give_pypas_affected_releases_and_not_the_fixes() -> None:
    affected = fixed = 0
    for name, (record, _) in CASES.items():
        if not name.startswith("pypa-") or record.get("withdrawn"):
            continue
        products = RECORDS[name]["containers"]["cna"]["affected"]
        for entry, product in zip(record["affected"], products, strict=True):
            assert product["packageName"] == entry["package"]["name"]
            for version in listed_releases(entry):
                assert _status(product, version) == "affected", (name, str(version))
                affected += 1
            for version in fixed_releases(entry):
                assert _status(product, version) == "unaffected", (name, str(version))
                fixed += 1
    assert affected > 500
    assert fixed > 40


def test_each_cvss_version_has_its_metric_slot() -> None:
    metrics = [m for r in RECORDS.values() for m in r["containers"]["cna"].get("metrics", ())]
    keys = {key for metric in metrics for key in metric if key.startswith("cvss")}
    assert keys == {"cvssV3_0", "cvssV3_1", "cvssV4_0"}


def test_long_details_are_clipped_and_kept_whole_as_markdown() -> None:
    record = {**MULTI_ECOSYSTEM, "details": "A *long* explanation. " * 400}
    cve = to_cve_json5(record, make_meta(record), cve_id="CVE-2024-0001")
    description = cve["containers"]["cna"]["descriptions"][0]
    assert cve_schema_errors(cve) == []
    assert len(description["value"]) == 4096
    assert description["supportingMedia"][0]["value"] == record["details"].strip()


def test_a_malformed_cve_id_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as refused:
        to_cve_json5(MULTI_ECOSYSTEM, make_meta(MULTI_ECOSYSTEM), cve_id="CVE-24-1")
    assert refused.value.field == "cve_id"


def test_a_publisher_without_a_cve_organization_id_cannot_make_a_record() -> None:
    meta = make_meta(MULTI_ECOSYSTEM)
    meta = dataclasses.replace(meta, publisher=Publisher("Example", "https://example.org"))
    with pytest.raises(InvalidInput) as refused:
        to_cve_json5(MULTI_ECOSYSTEM, meta, cve_id="CVE-2024-0001")
    assert refused.value.field == "meta.publisher.cve_org_id"


def test_an_organization_id_must_be_a_version_4_uuid() -> None:
    with pytest.raises(InvalidInput) as refused:
        Publisher("Example", "https://example.org", cve_org_id=uuid.uuid5(uuid.NAMESPACE_DNS, "x"))
    assert refused.value.field == "meta.publisher.cve_org_id"
