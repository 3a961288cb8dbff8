"""PublicationMeta refuses what would make a document fail its format's rules, naming the field.

test_csaf.py slips some of these past it into documents and checks that the official CSAF
validator refuses them too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from accord.advisories.formats import (
    CvssScore,
    ProductStatement,
    Publisher,
    Revision,
    StatementStatus,
    TrackingStatus,
    VexJustification,
    Weakness,
)
from accord.errors import InvalidInput
from tests.advisories.formats.records import MULTI_ECOSYSTEM
from tests.advisories.formats.support import T0, make_meta


def _history(*numbers: str) -> tuple[Revision, ...]:
    return tuple(Revision(n, T0 + timedelta(days=i), f"r{n}") for i, n in enumerate(numbers))


def _refused(**changes: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        make_meta(MULTI_ECOSYSTEM, **changes)
    return refused.value


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"version": "2"}, "meta.version"),  # 6.1.16: not the latest revision
        ({"version": "0", "revisions": _history("0")}, "meta.status"),  # 6.1.17
        ({"version": "1.0.0-rc.1", "revisions": _history("1.0.0")}, "meta.status"),  # 6.1.20
        ({"version": "3", "revisions": _history("1", "3")}, "meta.revisions"),  # 6.1.21
        ({"version": "2", "revisions": _history("2")}, "meta.revisions"),  # 6.1.21: start
        ({"version": "2", "revisions": _history("1", "2", "2")}, "meta.revisions"),  # 6.1.22
        ({"version": "1", "revisions": _history("2", "1")}, "meta.revisions"),  # 6.1.14
        ({"version": "2", "revisions": _history("1.0.0", "2")}, "meta.revisions"),  # 6.1.30
        ({"version": "1.0.0", "revisions": _history("1.0.0-rc.1", "1.0.0")}, "meta.revisions"),
        ({"version": "1", "revisions": _history("0", "1")}, "meta.revisions"),  # 6.1.18
        ({"version": "v1", "revisions": _history("v1")}, "meta.version"),
        ({"revisions": ()}, "meta.revisions"),
        ({"tracking_id": " ACCORD-1"}, "meta.tracking_id"),
        ({"initial_release_date": datetime(2024, 1, 1)}, "meta.revisions"),  # naive
        (
            {
                "cvss_v3": CvssScore(
                    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3
                )
            },
            "meta.cvss_v3",
        ),
        (
            {
                "cvss_v4": CvssScore(
                    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 11.0
                )
            },
            "meta.cvss_v4",
        ),
        ({"record_url": "ftp://example.org/x"}, "meta.record_url"),
    ],
)
def test_refused_with_the_field(changes: dict[str, Any], field: str) -> None:
    assert _refused(**changes).field == field


def test_a_draft_may_carry_initial_development_versions() -> None:
    meta = make_meta(
        MULTI_ECOSYSTEM,
        version="0.3.0-rc.1",
        revisions=_history("0.1.0", "0.2.0", "0.3.0"),
        status=TrackingStatus.DRAFT,
    )
    assert [r.number for r in meta.revisions] == ["0.1.0", "0.2.0", "0.3.0"]


def test_revisions_are_kept_in_date_order() -> None:
    history = _history("1", "2", "3")
    meta = make_meta(MULTI_ECOSYSTEM, version="3", revisions=tuple(reversed(history)))
    assert meta.revisions == history


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Weakness("79", "Cross-site Scripting"), "meta.cwes"),
        (lambda: Weakness("CWE-79", " "), "meta.cwes"),
        (lambda: ProductStatement("Appliance"), "meta.statements"),
        (
            lambda: ProductStatement(
                "Appliance",
                purl="npm/left-pad",
                justification=VexJustification.COMPONENT_NOT_PRESENT,
            ),
            "meta.statements",
        ),
        (lambda: ProductStatement(" "), "meta.statements"),
        (lambda: Publisher("Example", "example.org"), "meta.publisher.namespace"),
        (lambda: Publisher(" ", "https://example.org"), "meta.publisher.name"),
    ],
)
def test_parts_refuse_bad_values(make: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        make()
    assert refused.value.field == field


def test_under_investigation_needs_no_justification() -> None:
    statement = ProductStatement("Appliance", status=StatementStatus.UNDER_INVESTIGATION)
    assert not make_meta(MULTI_ECOSYSTEM, statements=(statement,)).is_vex


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (0.0, "NONE"),
        (0.1, "LOW"),
        (3.9, "LOW"),
        (4.0, "MEDIUM"),
        (6.9, "MEDIUM"),
        (7.0, "HIGH"),
        (8.9, "HIGH"),
        (9.0, "CRITICAL"),
        (10.0, "CRITICAL"),
    ],
)
def test_severity_follows_the_cvss_rating_scale(score: float, severity: str) -> None:
    # CVSS v3.1 specification, section 5 (qualitative severity rating scale); same in 4.0.
    assert CvssScore("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", score).severity == severity
