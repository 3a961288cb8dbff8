"""CSAF 2.0 documents: every one we emit passes the OASIS schema and the mandatory tests."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from accord.advisories.formats import PublicationMeta, Tlp, csaf_filename, csaf_json, to_csaf
from tests.advisories.formats.cases import all_cases, real_cases
from tests.advisories.formats.support import (
    csaf_schema_errors,
    findings,
    run_csaf_validator,
    unavoidable,
)

CASES = all_cases()
DOCUMENTS = {name: to_csaf(record, meta) for name, (record, meta) in CASES.items()}
REAL = sorted(real_cases())


def _mutant(name: str, change: Any) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENTS[name])
    change(document["document"]["tracking"])
    return document


# What PublicationMeta refuses (see test_meta.py), slipped past it into a document: the
# official validator must refuse it too, or our rules would be stricter than CSAF's.
MUTANTS = {
    "6.1.16": _mutant("final-integer", lambda t: t.update(version="2")),
    "6.1.17": _mutant("final-integer", lambda t: t.update(version="0")),
    "6.1.21": _mutant("final-integer", lambda t: t["revision_history"].pop(1)),
    "6.1.22": _mutant("final-integer", lambda t: t["revision_history"][1].update(number="3")),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("csaf")
    for name, document in DOCUMENTS.items():
        (folder / f"{name}.json").write_text(csaf_json(document), encoding="utf-8")
    for test_id, document in MUTANTS.items():
        (folder / f"mutant-{test_id}.json").write_text(json.dumps(document), encoding="utf-8")
    return run_csaf_validator(folder)


@pytest.fixture(scope="module")
def full_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("csaf-full")
    for name in REAL:
        (folder / f"{name}.json").write_text(csaf_json(DOCUMENTS[name]), encoding="utf-8")
    return run_csaf_validator(folder, preset="full")


@pytest.mark.parametrize("name", REAL)
def test_real_records_pass_every_test_their_data_allows(
    name: str, full_reports: dict[str, str]
) -> None:
    # The mandatory, recommended and informative tests: only what the record's data decides
    # may remain (see ``unavoidable``), never a missing canonical URL, remediation or purl.
    record, meta = CASES[name]
    assert findings(full_reports[f"{name}.json"]) <= unavoidable(record, meta), full_reports[
        f"{name}.json"
    ]


def test_the_canonical_url_is_the_documents_own_in_the_provider() -> None:
    for name in REAL:
        _, meta = CASES[name]
        references = DOCUMENTS[name]["document"]["references"]
        own = [r["url"] for r in references if r["category"] == "self"]
        assert own[0] == meta.document_url
        assert own[0].endswith("/" + csaf_filename(meta.tracking_id))


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_passes_the_csaf_20_json_schema(name: str) -> None:
    assert csaf_schema_errors(DOCUMENTS[name]) == []


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_passes_the_mandatory_tests(name: str, reports: dict[str, str]) -> None:
    report = reports[f"{name}.json"]
    assert "Overall: PASS" in report, report


@pytest.mark.parametrize("test_id", sorted(MUTANTS))
def test_the_validator_refuses_what_publication_meta_refuses(
    test_id: str, reports: dict[str, str]
) -> None:
    report = reports[f"mutant-{test_id}.json"]
    assert "Overall: FAIL" in report
    assert f"[FAIL] {test_id} " in report, report


def test_the_sample_covers_every_tlp_label_both_profiles_and_scores() -> None:
    documents = DOCUMENTS.values()
    labels = {d["document"]["distribution"]["tlp"]["label"] for d in documents}
    categories = {d["document"]["category"] for d in documents}
    scored = [d for d in documents if d["vulnerabilities"][0].get("scores")]
    assert labels == {"WHITE", "GREEN", "AMBER", "RED"}
    assert categories == {"csaf_security_advisory", "csaf_vex", "csaf_base"}
    assert len(scored) >= 10
    assert len(scored) < len(DOCUMENTS)


@pytest.mark.parametrize(
    ("tlp", "label"),
    [
        (Tlp.CLEAR, "WHITE"),
        (Tlp.GREEN, "GREEN"),
        (Tlp.AMBER, "AMBER"),
        (Tlp.AMBER_STRICT, "AMBER"),
        (Tlp.RED, "RED"),
    ],
)
def test_tlp_20_labels_become_the_tlp_10_labels_of_csaf_20(tlp: Tlp, label: str) -> None:
    record, meta = CASES["final-integer"]
    distribution = to_csaf(record, _replace(meta, tlp=tlp))["document"]["distribution"]
    assert distribution["tlp"]["label"] == label
    assert distribution["text"].startswith(f"TLP:{tlp.value} (TLP 2.0)")


def test_vex_flags_carry_each_justification_and_an_impact_statement() -> None:
    _, meta = CASES["vex-binderhub"]
    document = DOCUMENTS["vex-binderhub"]
    vulnerability = document["vulnerabilities"][0]
    named = document["product_tree"]["full_product_names"]
    products = {product["product_id"]: product["name"] for product in named}
    flagged = {f["label"]: [products[i] for i in f["product_ids"]] for f in vulnerability["flags"]}
    assert document["document"]["category"] == "csaf_vex"
    assert flagged == {
        s.justification.value: [s.name] for s in meta.statements if s.justification is not None
    }
    assert [products[i] for i in vulnerability["threats"][0]["product_ids"]] == [
        "Example Cloud Service"
    ]
    status = vulnerability["product_status"]
    assert [products[i] for i in status["under_investigation"]] == ["Example Desktop"]
    assert len(status["known_not_affected"]) == 6


def test_a_record_naming_no_affected_version_makes_a_base_document() -> None:
    # PYSEC-2022-15 (withdrawn) names loguru with neither ranges nor versions.
    base = [n for n, d in DOCUMENTS.items() if d["document"]["category"] == "csaf_base"]
    status = DOCUMENTS["pypa-PYSEC-2022-15"]["vulnerabilities"][0]["product_status"]
    assert base == ["pypa-PYSEC-2022-15"]
    assert list(status) == ["under_investigation"]


def test_under_investigation_alone_is_no_vex() -> None:
    assert DOCUMENTS["investigation-only"]["document"]["category"] == "csaf_security_advisory"


def test_a_cvss_40_vector_is_kept_in_a_note() -> None:
    vulnerability = DOCUMENTS["cvss-v4-only"]["vulnerabilities"][0]
    _, meta = CASES["cvss-v4-only"]
    assert meta.cvss_v4 is not None
    notes = [n for n in vulnerability["notes"] if n["title"] == "CVSS v4.0"]
    assert len(notes) == 1
    score = meta.cvss_v4
    assert notes[0]["text"].startswith(f"{score.vector} (base score {score.base_score}")
    assert "scores" not in vulnerability


def test_withdrawn_records_say_so() -> None:
    withdrawn = [n for n, (record, _) in CASES.items() if record.get("withdrawn")]
    assert len(withdrawn) == 10
    for name in withdrawn:
        document = DOCUMENTS[name]["document"]
        assert document["title"].startswith("Withdrawn: ")
        assert any(note["title"] == "Withdrawn" for note in document["notes"])


def test_real_record_becomes_a_range_and_its_fix() -> None:
    tree = DOCUMENTS["pypa-PYSEC-2021-371"]["product_tree"]
    vendor = tree["branches"][0]
    leaves = vendor["branches"][0]["branches"]
    assert (vendor["category"], vendor["name"]) == ("vendor", "PyPI")
    assert [(leaf["category"], leaf["name"]) for leaf in leaves] == [
        ("product_version_range", "vers:pypi/<0.2.0-n653"),
        ("product_version", "0.2.0-n653"),
    ]
    assert leaves[1]["product"]["product_identification_helper"] == {
        "purl": "pkg:pypi/binderhub@0.2.0-n653"
    }


@pytest.mark.parametrize(
    ("tracking_id", "filename"),
    [
        # CSAF 2.0 section 5.1, its rule's example and examples 47.
        ("2022_#01-A", "2022_01-a.json"),
        ("cisco-sa-20190513-secureboot", "cisco-sa-20190513-secureboot.json"),
        ("Example Company - 2019-YH3234", "example_company_-_2019-yh3234.json"),
        ("RHBA-2019:0024", "rhba-2019_0024.json"),
        ("ACCORD-2024+1", "accord-2024+1.json"),
    ],
)
def test_filename_follows_csaf_section_5_1(tracking_id: str, filename: str) -> None:
    assert csaf_filename(tracking_id) == filename


def _replace(meta: PublicationMeta, **changes: Any) -> PublicationMeta:
    return dataclasses.replace(meta, **changes)


def _remedies(name: str) -> dict[str, set[str]]:
    """Each product's name mapped to the categories of its remediations."""
    document = DOCUMENTS[name]
    names: dict[str, str] = {}
    stack = list(document["product_tree"].get("branches", []))
    while stack:
        branch = stack.pop()
        if "product" in branch:
            names[branch["product"]["product_id"]] = branch["product"]["name"]
        stack += branch.get("branches", [])
    found: dict[str, set[str]] = {}
    for remediation in document["vulnerabilities"][0]["remediations"]:
        for pid in remediation["product_ids"]:
            found.setdefault(names[pid], set()).add(remediation["category"])
    return found


def test_each_interval_has_its_own_remediation() -> None:
    git = _remedies("git-only")
    assert git["example/libfoo commits >=aaaabbbbccccddddeeeeffff0000111122223333"] == {
        "none_available"
    }
    assert git["example/libfoo v1.0"] == {"vendor_fix"}
    multi = _remedies("multi-ecosystem")
    assert multi["crates.io toolkit >=0.3.0"] == {"none_available"}
    assert multi["npm @example/toolkit >=2.0.0-beta.1, <2.0.1"] == {"vendor_fix"}
    assert multi["Maven org.example:toolkit-core <=3.4"] == {"vendor_fix"}
    assert multi["PyPI example-toolkit >=1.0, <2.0"] == {"none_available"}  # a limit, no fix
