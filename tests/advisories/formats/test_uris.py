"""A reference URL that is not a URI (spaces, "|", non-ASCII) is escaped in every format."""

from __future__ import annotations

from stix2validator import ValidationOptions, validate_instance

from accord.advisories.formats import to_csaf, to_cve_json5, to_stix_vulnerability
from tests.advisories.formats.records import MULTI_ECOSYSTEM, ODD_URL, ODD_URL_AS_URI
from tests.advisories.formats.support import csaf_schema_errors, cve_schema_errors, make_meta

RECORD = {**MULTI_ECOSYSTEM, "references": [{"type": "WEB", "url": ODD_URL}]}
META = make_meta(RECORD)


def test_csaf_reference_is_a_uri() -> None:
    document = to_csaf(RECORD, META)
    assert csaf_schema_errors(document) == []
    assert document["vulnerabilities"][0]["references"][0]["url"] == ODD_URL_AS_URI


def test_cve_reference_is_a_uri() -> None:
    record = to_cve_json5(RECORD, META, cve_id="CVE-2024-0001")
    assert cve_schema_errors(record) == []
    assert record["containers"]["cna"]["references"][0]["url"] == ODD_URL_AS_URI


def test_stix_reference_is_a_uri() -> None:
    stix = to_stix_vulnerability(RECORD, META)
    assert validate_instance(stix, ValidationOptions(version="2.1")).errors == []
    assert ODD_URL_AS_URI in [r.get("url") for r in stix["external_references"]]
