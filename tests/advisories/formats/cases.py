"""The publications the format tests convert: real PyPA records and hand-built ones, with
publication data varied over every TLP label, CVSS 3.x and 4.0 or none, CWEs, VEX
statements, tracking statuses and publisher kinds.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from accord.advisories.formats import (
    ProductStatement,
    PublicationMeta,
    Publisher,
    PublisherCategory,
    Revision,
    StatementStatus,
    Tlp,
    TrackingStatus,
    VexJustification,
)
from tests.advisories.formats.records import HAND_BUILT
from tests.advisories.formats.support import (
    PYPA,
    T0,
    cvss_score,
    load_record,
    make_meta,
    sample,
    weakness,
    withdrawn_paths,
)

Case = tuple[dict[str, Any], PublicationMeta]

# Real vectors from the PyPA database, plus one 3.0 and one with temporal metrics.
EXTRA_V3 = (
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
    "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
    "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N/E:P/RL:O/RC:C",
)
V4 = (
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
)
CWES = (79, 20, 22, 400, 502)


def varied(index: int, record: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {"tlp": list(Tlp)[index % len(Tlp)]}
    vectors = [s["score"] for s in record.get("severity") or () if s["type"] == "CVSS_V3"]
    if vectors:
        changes["cvss_v3"] = cvss_score(vectors[0])
    elif index % 3 == 0:
        changes["cvss_v3"] = cvss_score(EXTRA_V3[index // 3 % len(EXTRA_V3)])
    if index % 4 == 0:
        changes["cvss_v4"] = cvss_score(V4[index // 4 % len(V4)])
    if index % 2 == 0:
        changes["cwes"] = tuple(weakness(n) for n in CWES[: 1 + index % 3])
    return changes


def real_cases() -> dict[str, Case]:
    """50 records spread over the database, the malformed binderhub one, the withdrawn ones."""
    paths = [*sample(50), PYPA / "binderhub" / "PYSEC-2021-371.yaml", *withdrawn_paths()]
    cases: dict[str, Case] = {}
    for index, path in enumerate(paths):
        record = load_record(path)
        cases[f"pypa-{record['id']}"] = (record, make_meta(record, **varied(index, record)))
    return cases


def statements() -> tuple[ProductStatement, ...]:
    """One not-affected product per VEX justification, one with only an impact statement,
    one under investigation."""
    found = [
        ProductStatement(
            f"Example Appliance {i}",
            purl=f"pkg:pypi/example-appliance-{i}@{i}.0",
            justification=justification,
        )
        for i, justification in enumerate(VexJustification, start=1)
    ]
    found.append(
        ProductStatement(
            "Example Cloud Service",
            impact_statement="The service never passes user input to the affected function.",
        )
    )
    found.append(ProductStatement("Example Desktop", status=StatementStatus.UNDER_INVESTIGATION))
    return tuple(found)


def _tracking(version: str, numbers: list[str], status: TrackingStatus) -> dict[str, Any]:
    revisions = tuple(
        Revision(number, T0 + timedelta(days=i), f"Revision {number}.")
        for i, number in enumerate(numbers)
    )
    return {
        "version": version,
        "revisions": revisions,
        "status": status,
        "current_release_date": revisions[-1].date,
    }


def special_cases() -> dict[str, Case]:
    """Hand-built records, VEX documents, tracking and publisher variants."""
    binderhub = load_record(PYPA / "binderhub" / "PYSEC-2021-371.yaml")
    multi = HAND_BUILT["multi-ecosystem"]
    cases: dict[str, Case] = {
        name: (record, make_meta(record, cwes=(weakness(22),)))
        for name, record in HAND_BUILT.items()
    }
    cases["vex-binderhub"] = (binderhub, make_meta(binderhub, statements=statements()))
    cases["vex-multi"] = (
        multi,
        make_meta(multi, statements=statements()[:2], cvss_v3=cvss_score(EXTRA_V3[0])),
    )
    cases["investigation-only"] = (
        binderhub,
        make_meta(binderhub, statements=statements()[-1:], tlp=Tlp.AMBER_STRICT),
    )
    cases["cvss-v4-only"] = (multi, make_meta(multi, cvss_v4=cvss_score(V4[0])))
    cases["draft-semver"] = (
        multi,
        make_meta(multi, **_tracking("0.2.0", ["0.1.0", "0.2.0"], TrackingStatus.DRAFT)),
    )
    cases["interim-semver"] = (
        multi,
        make_meta(
            multi,
            **_tracking("2.1.0", ["1.0.0", "1.1.0", "2.0.0", "2.1.0"], TrackingStatus.INTERIM),
        ),
    )
    cases["final-integer"] = (
        binderhub,
        make_meta(binderhub, **_tracking("3", ["1", "2", "3"], TrackingStatus.FINAL)),
    )
    coordinator = Publisher(
        "Example CERT",
        "https://cert.example",
        category=PublisherCategory.COORDINATOR,
        contact_details="mailto:cert@cert.example",
        issuing_authority="Coordinated under the hub's disclosure policy.",
        cve_org_id=uuid.UUID("5e1a7c2b-9d3f-4a6e-8b0c-1f2e3d4c5b6a"),
    )
    cases["coordinator-no-record-url"] = (
        binderhub,
        make_meta(binderhub, publisher=coordinator, record_url=None, summary=""),
    )
    return cases


def all_cases() -> dict[str, Case]:
    """Every case, by name."""
    return {**real_cases(), **special_cases()}
