"""Periods: keys, UTC boundaries, leap days, and refusals that name the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from accord.accountability import periods
from accord.accountability.periods import PeriodError, PeriodKind


def test_month_quarter_year_boundaries() -> None:
    february = periods.parse("2028-02")
    assert (february.start, february.end) == (
        datetime(2028, 2, 1, tzinfo=UTC),
        datetime(2028, 3, 1, tzinfo=UTC),
    )
    assert february.end - february.start == timedelta(days=29)  # 2028 is a leap year
    assert periods.parse("2027-02").end - periods.parse("2027-02").start == timedelta(days=28)
    q4 = periods.parse("2026-Q4")
    assert (q4.start, q4.end) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    year = periods.parse("2028")
    assert year.kind is PeriodKind.YEAR
    assert year.end - year.start == timedelta(days=366)


def test_leap_day_belongs_to_february_and_q1() -> None:
    leap = datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert periods.parse("2028-02").contains(leap)
    assert periods.parse("2028-Q1").contains(leap)
    assert not periods.parse("2028-03").contains(leap)
    assert periods.of(PeriodKind.MONTH, leap).key == "2028-02"


def test_boundaries_are_utc_whatever_the_zone() -> None:
    # 23:30 on 31 March at UTC-2 is 01:30 on 1 April UTC: April, not March.
    late = datetime(2026, 3, 31, 23, 30, tzinfo=timezone(timedelta(hours=-2)))
    assert periods.parse("2026-04").contains(late)
    assert not periods.parse("2026-03").contains(late)
    # 00:30 on 1 April at UTC+2 is 22:30 on 31 March UTC: March.
    early = datetime(2026, 4, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert periods.parse("2026-03").contains(early)
    # start is included, end excluded
    assert periods.parse("2026-03").contains(datetime(2026, 3, 1, tzinfo=UTC))
    assert not periods.parse("2026-03").contains(datetime(2026, 4, 1, tzinfo=UTC))


def test_previous_and_recent() -> None:
    assert periods.previous(periods.parse("2026-01")).key == "2025-12"
    assert periods.previous(periods.parse("2026-Q1")).key == "2025-Q4"
    assert periods.previous(periods.parse("2026")).key == "2025"
    now = datetime(2026, 5, 10, tzinfo=UTC)
    assert [p.key for p in periods.recent(PeriodKind.QUARTER, now, 3)] == [
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
    ]


@pytest.mark.parametrize(
    "key", ["2026-13", "2026-00", "2026-Q5", "26", "2026-3", "last-month", "1999"]
)
def test_unknown_period_is_refused_by_name(key: str) -> None:
    with pytest.raises(PeriodError) as refused:
        periods.parse(key)
    assert key in refused.value.message
    assert refused.value.field == "period"
    assert refused.value.status_code == 400


def test_a_key_is_read_without_surrounding_space() -> None:
    assert periods.parse(" 2026-Q2 ").key == "2026-Q2"
