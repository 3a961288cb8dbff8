"""Figures from scripted histories, each expected value worked out by hand in a comment.

The period is March 2026 ([2026-03-01T00:00Z, 2026-04-01T00:00Z)) unless a test says else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accord.accountability import figures, periods, reports
from accord.accountability.rows import (
    AdvisoryRow,
    Records,
    SecurityTxtCheckRow,
    SharedCount,
    SightingCount,
    StatusChange,
    VendorCase,
)

MARCH = periods.parse("2026-03")
PLUS5 = timezone(timedelta(hours=5))
MINUS2 = timezone(timedelta(hours=-2))


def z(text: str) -> datetime:
    """A UTC moment from ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def case(ref: str, notified: datetime, *statuses: tuple[str, str], **rest: object) -> VendorCase:
    changes = tuple(StatusChange(at=z(at), status=status) for at, status in statuses)
    return VendorCase(ref=ref, org_id=1, notified_at=notified, statuses=changes, **rest)  # type: ignore[arg-type]


def disclosure_history() -> Records:
    return Records(
        vendor_cases=(
            # A: ack after 6 h, affected after 48 h, fixed after 240 h; published 192 h after fix.
            case(
                "case:A",
                z("2026-03-02 10:00"),
                ("2026-03-02 16:00", "acknowledged"),
                ("2026-03-04 10:00", "affected"),
                ("2026-03-12 10:00", "fixed"),
                published_at=z("2026-03-20 10:00"),
            ),
            # B: the vendor's message after 12 h is its reply; not affected after 24 h.
            case(
                "case:B",
                z("2026-03-10 00:00"),
                ("2026-03-11 00:00", "not_affected"),
                messages_at=(z("2026-03-10 12:00"),),
            ),
            # C: never any reply.
            case("case:C", z("2026-03-30 00:00")),
            # D: still open at the period's end: its reply comes in April, so no reply in March.
            case("case:D", z("2026-03-31 20:00"), ("2026-04-01 08:00", "acknowledged")),
            # E: notified in February: not March's, though its reply falls in March.
            case("case:E", z("2026-02-28 23:00"), ("2026-03-01 01:00", "acknowledged")),
            # F: 23:30 on 31 March at UTC-2 is 01:30 on 1 April UTC: April's.
            case("case:F", datetime(2026, 3, 31, 23, 30, tzinfo=MINUS2)),
            # G: written at UTC+5: notified 00:00Z on the 15th, acknowledged at 05:00Z (5 h),
            # fixed 48 h after notification.
            VendorCase(
                ref="case:G",
                org_id=1,
                notified_at=datetime(2026, 3, 15, 5, 0, tzinfo=PLUS5),
                statuses=(
                    StatusChange(datetime(2026, 3, 15, 10, 0, tzinfo=PLUS5), "acknowledged"),
                    StatusChange(z("2026-03-17 00:00"), "fixed"),
                ),
            ),
        )
    )


def test_disclosure_figures_by_hand() -> None:
    found = figures.compute(disclosure_history(), MARCH)
    # Cohort: A, B, C, D, G (E is February's, F is April's).
    assert found["reports_received"].value == 5
    assert set(found["reports_received"].records) == {
        "case:A",
        "case:B",
        "case:C",
        "case:D",
        "case:G",
    }
    # Replies: G 5 h, A 6 h, B 12 h. Median 6; nearest rank ceil(0.9*3)=3rd -> 12.
    assert found["ack_median_hours"].value == 6
    assert found["ack_p90_hours"].value == 12
    # No reply before 1 April: C and D, of 5.
    assert found["no_reply_share"].value == 0.4
    assert set(found["no_reply_share"].records) == {"case:C", "case:D"}
    # First determination: B 24 h (not affected), A 48 h (affected), G 48 h (fixed).
    assert found["determination_median_hours"].value == 48
    assert found["determination_p90_hours"].value == 48
    # Fixed: G 48 h, A 240 h: median (48 + 240) / 2 = 144.
    assert found["fix_median_hours"].value == 144
    # A published 20 March 10:00, fixed 12 March 10:00: 8 days = 192 h.
    assert found["fix_to_advisory_median_hours"].value == 192


def test_the_same_history_read_for_april() -> None:
    april = periods.parse("2026-04")
    found = figures.compute(disclosure_history(), april)
    # Only F is April's, and it never replied.
    assert found["reports_received"].value == 1
    assert found["no_reply_share"].value == 1.0
    assert found["ack_median_hours"].value is None


def test_embargoes_kept_and_broken() -> None:
    records = Records(
        vendor_cases=(
            # H: accepted, ended 5 March, no early advisory: kept.
            case(
                "case:H",
                z("2026-01-05 00:00"),
                embargo_at=z("2026-03-05 00:00"),
                embargo_accepted=True,
                case_ref="ACCORD-2026-0008",
            ),
            # I: accepted, ended 15 March, but the vendor's advisory naming it came on the 10th.
            case(
                "case:I",
                z("2026-02-01 00:00"),
                embargo_at=z("2026-03-15 00:00"),
                embargo_accepted=True,
                case_ref="ACCORD-2026-0009",
            ),
            # J: not accepted: neither kept nor broken.
            case(
                "case:J",
                z("2026-01-05 00:00"),
                embargo_at=z("2026-03-20 00:00"),
                case_ref="ACCORD-2026-0010",
            ),
            # K: accepted, but it ends in April.
            case(
                "case:K",
                z("2026-01-05 00:00"),
                embargo_at=z("2026-04-02 00:00"),
                embargo_accepted=True,
                case_ref="ACCORD-2026-0011",
            ),
            # L: accepted; its advisory came early but the vendor agreed to early release: kept.
            case(
                "case:L",
                z("2026-01-05 00:00"),
                embargo_at=z("2026-03-25 00:00"),
                embargo_accepted=True,
                release_agreed=True,
                case_ref="ACCORD-2026-0012",
            ),
        ),
        advisories=(
            AdvisoryRow(
                "advisory:X",
                1,
                z("2026-03-10 00:00"),
                "CLEAR",
                True,
                aliases=("CVE-2026-1", "ACCORD-2026-0009"),
            ),
            AdvisoryRow(
                "advisory:Y", 1, z("2026-03-20 00:00"), "CLEAR", True, aliases=("ACCORD-2026-0012",)
            ),
        ),
    )
    found = figures.compute(records, MARCH)
    assert found["embargoes_kept"].records == ("case:H", "case:L")
    assert found["embargoes_kept"].value == 2
    assert found["embargoes_broken"].records == ("case:I",)
    # None of these cases was notified in March.
    assert found["reports_received"].value == 0


def test_advisories_sharing_and_registry_by_hand() -> None:
    records = Records(
        advisories=(
            AdvisoryRow("advisory:1", 1, z("2026-03-10 00:00"), "CLEAR", True),
            AdvisoryRow(
                "advisory:2", 1, datetime(2026, 3, 31, 23, 59, 59, tzinfo=UTC), "GREEN", False
            ),
            AdvisoryRow("advisory:3", 1, z("2026-04-01 00:00"), "CLEAR", True),  # April's
        ),
        objects=(
            SharedCount(
                "objects:CLEAR*1", 1, "CLEAR", 1, z("2026-03-01 00:00"), z("2026-03-01 00:00")
            ),
            SharedCount(
                "private:objects:GREEN*2",
                1,
                "GREEN",
                2,
                z("2026-03-15 00:00"),
                z("2026-03-20 00:00"),
            ),
            SharedCount(
                "private:objects:AMBER*1",
                1,
                "AMBER",
                1,
                z("2026-04-01 00:00"),
                z("2026-04-01 00:00"),
            ),
            SharedCount(
                "private:objects:RED*1", 1, "RED", 1, z("2026-02-28 23:59"), z("2026-02-28 23:59")
            ),
        ),
        sightings=(
            SightingCount(
                "private:sightings*1", 1, 1, z("2026-03-05 00:00"), z("2026-03-05 00:00")
            ),
            SightingCount(
                "private:sightings*3", 1, 3, z("2026-02-01 00:00"), z("2026-02-27 00:00")
            ),
        ),
        checks=(
            SecurityTxtCheckRow("check:1", 1, z("2026-02-10 00:00"), True, z("2026-12-31 00:00")),
            SecurityTxtCheckRow("check:2", 1, z("2026-03-20 00:00"), False, None),
            # The last check before the end: valid, but it expired before the end.
            SecurityTxtCheckRow("check:3", 1, z("2026-03-28 00:00"), True, z("2026-03-31 12:00")),
            SecurityTxtCheckRow("check:4", 1, z("2026-04-02 00:00"), True, z("2027-01-01 00:00")),
        ),
    )
    found = figures.compute(records, MARCH)
    # advisory:1 and :2 (one second before the end); one CLEAR of two, one with a fix of two.
    assert found["advisories_published"].value == 2
    assert found["csaf_share"].value == 0.5
    assert found["fix_versions_share"].value == 0.5
    assert found["fix_versions_share"].records == ("advisory:1",)
    assert found["objects_shared"].value == 3
    assert found["objects_shared_by_tlp"].value == {"CLEAR": 1, "GREEN": 2}
    assert found["sightings_received"].value == 1
    # The groups behind them: the TLP:CLEAR one is named, the others only counted.
    assert found["objects_shared"].records == ("objects:CLEAR*1", "private:objects:GREEN*2")
    assert reports.public_records(found["objects_shared"].records) == (["objects:CLEAR*1"], 2)
    assert reports.public_records(found["sightings_received"].records) == ([], 1)
    assert figures.compute(records, periods.parse("2026-02"))["sightings_received"].value == 3
    assert found["securitytxt_current"].value == 0
    assert found["securitytxt_current"].records == ("check:3",)
    # March checks: 2 failed, 3 passed.
    assert found["securitytxt_ok_share"].value == 0.5
    # In February the last check (check:1) was valid and expires after 1 March.
    assert figures.compute(records, periods.parse("2026-02"))["securitytxt_current"].value == 1
    # In April: check:4 is valid until 2027.
    assert figures.compute(records, periods.parse("2026-04"))["securitytxt_current"].value == 1


def test_no_events_means_no_data_not_zero() -> None:
    found = figures.compute(Records(), MARCH)
    for definition in figures.DEFINITIONS:
        value = found[definition.id].value
        if definition.unit == "count":
            assert value == 0, definition.id
        elif definition.unit == "counts by TLP":
            assert value == {}
        else:
            assert value is None, definition.id
        assert found[definition.id].records == ()


def test_leap_day_2028() -> None:
    records = Records(
        vendor_cases=(
            # Notified the 28th, acknowledged on the leap day: 24 h.
            case("case:1", z("2028-02-28 12:00"), ("2028-02-29 12:00", "acknowledged")),
            # Notified on the leap day, acknowledged 1 March: after February's end.
            case("case:2", z("2028-02-29 12:00"), ("2028-03-01 12:00", "acknowledged")),
        )
    )
    february = figures.compute(records, periods.parse("2028-02"))
    assert february["reports_received"].value == 2
    assert february["ack_median_hours"].value == 24
    assert february["no_reply_share"].value == 0.5
    # Over the first quarter both replies count: 24 h each.
    quarter = figures.compute(records, periods.parse("2028-Q1"))
    assert quarter["ack_median_hours"].value == 24
    assert quarter["no_reply_share"].value == 0.0
    # 28 Feb 12:00 to 1 Mar 12:00 spans the leap day: 48 h, not 24.
    spanning = Records(
        vendor_cases=(case("case:3", z("2028-02-28 12:00"), ("2028-03-01 12:00", "fixed")),)
    )
    assert figures.compute(spanning, periods.parse("2028"))["fix_median_hours"].value == 48


def test_percentiles_by_hand() -> None:
    assert figures.median([]) is None
    assert figures.median([1.0, 2.0, 3.0, 10.0]) == 2.5
    # Ten values 1..10: nearest rank ceil(9.0)=9th -> 9; eleven values: ceil(9.9)=10th -> 10.
    assert figures.percentile_90([float(v) for v in range(10, 0, -1)]) == 9
    assert figures.percentile_90([float(v) for v in range(1, 12)]) == 10
    assert figures.percentile_90([7.0]) == 7


def test_every_definition_is_documented_and_unique() -> None:
    ids = [d.id for d in figures.DEFINITIONS]
    assert len(ids) == len(set(ids))
    for definition in figures.DEFINITIONS:
        assert len(definition.text) > 40


def test_a_reply_at_the_very_end_is_the_next_periods() -> None:
    records = Records(
        vendor_cases=(case("case:1", z("2026-03-31 23:00"), ("2026-04-01 00:00", "fixed")),)
    )
    march = figures.compute(records, MARCH)
    assert march["no_reply_share"].value == 1.0
    assert march["fix_median_hours"].value is None
    # Over the year the same reply counts: 1 h.
    assert figures.compute(records, periods.parse("2026"))["fix_median_hours"].value == 1


def test_a_group_of_records_counts_whole_or_not_at_all() -> None:
    # Groups of objects are read per period (collect.py): one lying across a boundary cannot
    # be split between the periods, so it is refused rather than counted in or out.
    across = SharedCount("objects:CLEAR*2", 1, "CLEAR", 2, z("2026-03-31 23:00"), z("2026-04-01"))
    with pytest.raises(ValueError, match="straddle 2026-03"):
        figures.compute(Records(objects=(across,)), MARCH)
    # Around the period, wholly before and after, is not in it.
    around = SightingCount("private:sightings*2", 1, 2, z("2026-02-01 00:00"), z("2026-05-01"))
    with pytest.raises(ValueError, match="straddle"):
        figures.compute(Records(sightings=(around,)), MARCH)
    # In the year it lies wholly within, it counts; in the one after, it does not.
    year = figures.compute(Records(objects=(across,)), periods.parse("2026"))
    assert year["objects_shared"].value == 2
    assert year["objects_shared_by_tlp"].value == {"CLEAR": 2}
    later = figures.compute(Records(objects=(across,)), periods.parse("2027"))
    assert later["objects_shared"].value == 0
