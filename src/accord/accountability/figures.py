"""The registry of figures: each one's id, title, unit, definition text and computation.

:data:`DEFINITIONS` is what the methods page prints, so that two hubs compute every figure the
same way; the computations are the pure functions of :mod:`accord.accountability.measures`,
whose docstring states the rules common to all of them (as at the period's end, hours,
medians and percentiles, no data rather than 0). What a figure is lives in
:mod:`accord.accountability.definition`; the figures themselves, one module a group, in
``figures_disclosure.py``, ``figures_advisories.py``, ``figures_sharing.py`` and
``figures_registry.py``.
"""

from __future__ import annotations

from accord.accountability.definition import Definition
from accord.accountability.figures_advisories import ADVISORIES
from accord.accountability.figures_disclosure import DISCLOSURE
from accord.accountability.figures_registry import REGISTRY
from accord.accountability.figures_sharing import SHARING
from accord.accountability.measures import Figure, Value, day_start, median, percentile_90
from accord.accountability.periods import Period
from accord.accountability.rows import Records

# What other modules read from here besides the registry.
__all__ = [
    "BY_ID",
    "DEFINITIONS",
    "Definition",
    "Figure",
    "Value",
    "compute",
    "day_start",
    "median",
    "percentile_90",
]

# The methods page, the API and the reports list the figures in this order: by group.
DEFINITIONS: tuple[Definition, ...] = (*DISCLOSURE, *ADVISORIES, *SHARING, *REGISTRY)

BY_ID: dict[str, Definition] = {d.id: d for d in DEFINITIONS}


def compute(records: Records, period: Period) -> dict[str, Figure]:
    """Every figure of one signatory for one period."""
    return {d.id: d.compute(records, period) for d in DEFINITIONS}
