"""STIX 2.1 vulnerability objects: no errors from stix2-validator 3.2.0, parsed by stix2."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import pytest
import stix2
from stix2validator import ValidationOptions, validate_instance

from accord.advisories.formats import (
    Tlp,
    tlp_marking_definition,
    to_stix_vulnerability,
    vulnerability_id,
)
from tests.advisories.formats.cases import all_cases
from tests.advisories.formats.records import MULTI_ECOSYSTEM
from tests.advisories.formats.support import make_meta

CASES = all_cases()
OBJECTS = {name: to_stix_vulnerability(record, meta) for name, (record, meta) in CASES.items()}
OPTIONS = ValidationOptions(version="2.1")
# Best-practice warnings the validator gives and why we accept them: 103, the id is a UUIDv5
# (deterministic, as asked) and not a v4; 302, a reference URL comes without a hash of the
# page, which nobody can compute for a living web page.
ACCEPTED_WARNINGS = ("{103}", "{302}")


def _validate(instance: dict[str, Any]) -> Any:
    return validate_instance(instance, OPTIONS)


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_vulnerability_passes_stix2_validator(name: str) -> None:
    result = _validate(OBJECTS[name])
    assert result.is_valid, [str(e) for e in result.errors]
    assert result.errors == []
    unexpected = [
        str(w) for w in result.warnings if not any(c in str(w) for c in ACCEPTED_WARNINGS)
    ]
    assert unexpected == []


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_stix2_parses_it_as_a_vulnerability(name: str) -> None:
    parsed = stix2.parse(OBJECTS[name], allow_custom=False)
    assert isinstance(parsed, stix2.v21.Vulnerability)
    assert parsed.id == OBJECTS[name]["id"]


@pytest.mark.parametrize("tlp", list(Tlp))
def test_tlp_marking_definitions_validate_and_mark_the_object(tlp: Tlp) -> None:
    definition = tlp_marking_definition(tlp)
    record, meta = CASES["final-integer"]
    marked = to_stix_vulnerability(record, dataclasses.replace(meta, tlp=tlp))
    result = _validate(definition)
    assert result.is_valid, [str(e) for e in result.errors]
    assert marked["object_marking_refs"] == [definition["id"]]
    bundle = stix2.parse(
        {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [definition, marked]},
        allow_custom=True,
    )
    assert len(bundle.objects) == 2


def test_marking_ids_are_the_ones_oasis_published() -> None:
    # cti-stix-common-objects, extension-definition-specifications/tlp-2.0.
    published = {
        "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
    ours = {d["name"]: d["id"] for d in map(tlp_marking_definition, Tlp)}
    assert ours == published


def test_id_is_a_uuid5_of_the_advisory_id_and_stable_across_versions() -> None:
    first = to_stix_vulnerability(MULTI_ECOSYSTEM, make_meta(MULTI_ECOSYSTEM))
    later = {**MULTI_ECOSYSTEM, "modified": "2025-01-01T00:00:00Z"}
    again = to_stix_vulnerability(later, make_meta(later, tlp=Tlp.RED))
    assert first["id"] == again["id"] == vulnerability_id(MULTI_ECOSYSTEM["id"])
    assert uuid.UUID(first["id"].removeprefix("vulnerability--")).version == 5
    assert len({o["id"] for o in OBJECTS.values()}) == len({r["id"] for r, _ in CASES.values()})


def test_every_cve_alias_is_a_cve_external_reference() -> None:
    stix = OBJECTS["multi-ecosystem"]
    cves = [r["external_id"] for r in stix["external_references"] if r["source_name"] == "cve"]
    assert cves == ["CVE-2024-0001", "CVE-2024-0002"]
    assert stix["name"] == "CVE-2024-0001"


def test_withdrawn_records_are_revoked() -> None:
    revoked = {n for n, o in OBJECTS.items() if o.get("revoked")}
    assert revoked == {n for n, (record, _) in CASES.items() if record.get("withdrawn")}
