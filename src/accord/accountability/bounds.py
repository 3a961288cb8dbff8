"""How every reader of records bounds its query: by the period, and by the signatories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, true

from accord.accountability.periods import Period

# A record a figure counts but that not everyone may see: public pages count it, never name it.
PRIVATE = "private:"
FEW = 50  # up to this many signatories, filter them in SQL (through the org indexes)


def orgs(column: Any, wanted: frozenset[int]) -> ColumnElement[bool]:
    """``column`` among ``wanted`` when they are few; else true (filtered in Python)."""
    return column.in_(sorted(wanted)) if len(wanted) <= FEW else true()


def within(column: Any, period: Period) -> ColumnElement[bool]:
    """``column`` in ``period``: from its start, before its end."""
    return and_(column >= period.start, column < period.end)
