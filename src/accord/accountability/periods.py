"""Reporting periods: a month, a quarter or a year, as half-open UTC intervals [start, end).

A period is named by a key: ``2026-03`` (March 2026), ``2026-Q1`` (January to March 2026) or
``2026`` (the calendar year). Boundaries are midnight UTC, whatever time zone a record was
written in: a moment belongs to a period when ``start <= moment < end``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accord.errors import N_, AccordError, Message


class PeriodError(AccordError):
    """A period that names none, or that cannot be used yet: answered 400."""


class PeriodKind(enum.StrEnum):
    """How long a period is."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


_KEY = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")
FIRST_YEAR = 2000
LAST_YEAR = 2999


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period; ``start`` included, ``end`` excluded, both UTC."""

    start: datetime
    end: datetime
    kind: PeriodKind
    key: str

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` (any time zone; naive is refused) lies in the period."""
        return self.start <= moment.astimezone(UTC) < self.end

    def ended(self, now: datetime) -> bool:
        """Whether the period is over at ``now``."""
        return now >= self.end


def _month_start(year: int, month: int) -> datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=UTC)


def parse(key: str) -> Period:
    """The period named ``key``; an :class:`InvalidInput` naming it when it names none."""
    text = key.strip()
    found = _KEY.match(text)
    if found is None:
        raise PeriodError(
            Message(
                N_(
                    "period: %(key)s is not a period: "
                    "write 2026-03 (a month), 2026-Q1 (a quarter) or 2026"
                ),
                key=repr(key),
            ),
            field="period",
        )
    year = int(found["year"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(
            Message(
                N_("period: %(key)s is not a period: years run from %(first)s to %(last)s"),
                key=repr(key),
                first=FIRST_YEAR,
                last=LAST_YEAR,
            ),
            field="period",
        )
    if found["month"] is not None:
        month = int(found["month"])
        if not 1 <= month <= 12:
            raise PeriodError(
                Message(
                    N_("period: %(key)s is not a period: no month %(month)s"),
                    key=repr(key),
                    month=month,
                ),
                field="period",
            )
        return Period(
            _month_start(year, month), _month_start(year, month + 1), PeriodKind.MONTH, text
        )
    if found["quarter"] is not None:
        first = 3 * (int(found["quarter"]) - 1) + 1
        return Period(
            _month_start(year, first), _month_start(year, first + 3), PeriodKind.QUARTER, text
        )
    return Period(_month_start(year, 1), _month_start(year + 1, 1), PeriodKind.YEAR, text)


def of(kind: PeriodKind, moment: datetime) -> Period:
    """The period of ``kind`` holding ``moment``."""
    moment = moment.astimezone(UTC)
    if kind is PeriodKind.MONTH:
        return parse(f"{moment.year:04d}-{moment.month:02d}")
    if kind is PeriodKind.QUARTER:
        return parse(f"{moment.year:04d}-Q{(moment.month - 1) // 3 + 1}")
    return parse(f"{moment.year:04d}")


def previous(period: Period) -> Period:
    """The period of the same kind just before ``period``."""
    return of(period.kind, period.start - timedelta(seconds=1))


def recent(kind: PeriodKind, now: datetime, count: int) -> list[Period]:
    """The last ``count`` periods of ``kind`` that have ended by ``now``, oldest first."""
    found: list[Period] = []
    current = previous(of(kind, now))
    while len(found) < count and current.start.year >= FIRST_YEAR:
        found.append(current)
        current = previous(current)
    return list(reversed(found))


def quarters_up_to(end: Period, count: int) -> list[Period]:
    """``count`` quarters up to ``end``'s quarter (which a month or year starts in), oldest
    first: the series trend charts show."""
    series: list[Period] = []
    current = of(PeriodKind.QUARTER, end.start)
    for _ in range(count):
        series.append(current)
        current = previous(current)
    return list(reversed(series))
