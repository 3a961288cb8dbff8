"""The hub-wide report: every signatory together, figure by figure and principle by principle.

Nothing here is a new figure. Each signatory's figures come from ``figures.py`` (stored rows
for pages, computed afresh when a report is published), and the hub's numbers are
aggregates of them: the median of the signatories' values (with ``figures.median``, the
same rule as every other median) and, for counts, their total. Signatories excluded by an
operator, and those that had not signed by the period's end, are left out and counted apart.

The figures are grouped by the accord's four principles (:data:`PRINCIPLES`); the methods
page prints the same grouping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.accountability import figures, periods, services
from accord.accountability.figures import Value
from accord.accountability.models import HubFigures
from accord.accountability.periods import Period
from accord.accountability.services import Stored
from accord.clock import utcnow
from accord.identity.models import Organization
from accord.registry import departures
from accord.registry.models import Signature
from accord.web.i18n import N_

TREND_LENGTH = 8
# What the hub trends chart: counts as the hub's total, durations and shares as the median.
TREND_FIGURES = (
    "reports_received",
    "ack_median_hours",
    "no_reply_share",
    "advisories_published",
    "objects_shared",
)
TOTALLED_UNITS = frozenset({"count", "yes/no", "counts by TLP"})


@dataclass(frozen=True)
class Principle:
    """One of the accord's four principles and the figures that show how it is kept."""

    id: str
    title: str
    summary: str
    figure_ids: tuple[str, ...]


PRINCIPLES: tuple[Principle, ...] = (
    Principle(
        "stronger_defense",
        N_("Stronger defense"),
        N_(
            "Protect all users and customers everywhere: a security contact and a disclosure "
            "policy anyone can find."
        ),
        (
            "securitytxt_current",
            "securitytxt_ok_share",
            "policy_present",
            "policy_ok_share",
            "policy_safe_harbour",
            "campaign_goals_met",
        ),
    ),
    Principle(
        "no_offense",
        N_("No offense"),
        N_(
            "Oppose attacks on innocent citizens and enterprises: fix, and keep embargoes "
            "until users can protect themselves."
        ),
        ("fix_median_hours", "embargoes_kept", "embargoes_broken"),
    ),
    Principle(
        "capacity_building",
        N_("Capacity building"),
        N_(
            "Give users, customers and developers the information and tools to protect "
            "themselves: advisories, machine-readable and with fix versions."
        ),
        (
            "advisories_published",
            "advisories_on_provider",
            "advisories_everywhere",
            "csaf_share",
            "fix_versions_share",
            "fix_to_advisory_median_hours",
            "csaf_metadata_reachable",
        ),
    ),
    Principle(
        "collective_action",
        N_("Collective action"),
        N_("Partner on coordinated disclosure and threat sharing."),
        (
            "reports_received",
            "ack_median_hours",
            "ack_p90_hours",
            "determination_median_hours",
            "determination_p90_hours",
            "no_reply_share",
            "objects_shared",
            "objects_shared_by_tlp",
            "sightings_received",
            "objects_pulled",
            "pulling_organizations",
        ),
    ),
)
PRINCIPLE_OF = {key: p for p in PRINCIPLES for key in p.figure_ids}
PRINCIPLES_BY_ID = {p.id: p for p in PRINCIPLES}


@dataclass(frozen=True)
class Aggregate:
    """One figure across signatories: the median of their values (None for yes/no and
    per-TLP counts, where a median says nothing), the total of counts (None for durations
    and shares), and how many signatories had a value."""

    median: float | None
    total: Value
    reporting: int

    def headline(self, unit: str) -> float | None:
        """The one number a trend charts: the total of a count, else the median."""
        if unit in TOTALLED_UNITS:
            return float(self.total) if isinstance(self.total, int | float) else None
        return self.median


def aggregate(definition: figures.Definition, values: Sequence[Value]) -> Aggregate:
    """``definition``'s figure across the signatories' ``values`` (None: no data)."""
    known = [v for v in values if v is not None]
    if definition.unit == "counts by TLP":
        totals: dict[str, int] = {}
        for value in known:
            if isinstance(value, dict):
                for level, n in value.items():
                    totals[level] = totals.get(level, 0) + n
        return Aggregate(None, dict(sorted(totals.items())), len(known))
    numbers = [float(v) for v in known if isinstance(v, int | float)]
    median = None if definition.unit == "yes/no" else figures.median(numbers)
    total: Value = None
    if definition.unit in TOTALLED_UNITS and numbers:
        total = int(sum(numbers))
    return Aggregate(median, total, len(numbers))


@dataclass(frozen=True)
class Membership:
    """How many signatories the accord had at the period's end, joined in it, and left it."""

    at_end: int
    joined: int
    left: int | None  # signatories that left or were removed in the period
    reported: int  # signed by the end and not excluded: those the aggregates count
    excluded: tuple[tuple[str, str, str], ...]  # (slug, name, reason)


@dataclass(frozen=True)
class Summary:
    """The hub-wide figures of one period."""

    period: Period
    membership: Membership
    aggregates: dict[str, Aggregate]
    trends: dict[str, list[tuple[Period, float | None]]]
    computed_at: datetime | None  # the oldest stored row read; None: computed now


def joined_at(db: Session, orgs: Sequence[Organization]) -> dict[int, datetime]:
    """When each signatory joined: its first recorded signature, else its creation."""
    first = (
        select(Signature.organization_id, func.min(Signature.signed_at).label("signed"))
        .group_by(Signature.organization_id)
        .subquery()
    )
    query = (
        select(Organization.id, Organization.created_at, first.c.signed)
        .outerjoin(first, first.c.organization_id == Organization.id)
        .where(Organization.id.in_([o.id for o in orgs]))
    )
    return {org_id: signed or created for org_id, created, signed in db.execute(query)}


def counted(found: Sequence[Stored], joined: dict[int, datetime], period: Period) -> list[Stored]:
    """The signatories the aggregates count: signed before the end, not excluded."""
    return [
        s
        for s in found
        if s.excluded is None and joined.get(s.organization.id, period.end) < period.end
    ]


def aggregates(found: Sequence[Stored]) -> dict[str, Aggregate]:
    """Every figure across ``found``."""
    return {d.id: aggregate(d, [s.values.get(d.id) for s in found]) for d in figures.DEFINITIONS}


def summary(db: Session, *, period: Period, fresh: bool = False) -> Summary:
    """The hub-wide figures of ``period``: stored rows (computed where none is stored), or
    all computed afresh with ``fresh`` (what publishing does). Trends read stored rows."""
    orgs = services.signatories(db)
    joined = joined_at(db, orgs)
    (found,) = services.stored_or_live_series(db, series=[period], orgs=orgs).values()
    if fresh:
        computed = services.live(db, period=period, org_ids=[o.id for o in orgs])
        found = [
            Stored(s.organization, {k: f.value for k, f in computed[s.organization.id].items()},
                   {}, None, s.excluded)
            for s in found
        ]  # fmt: skip
    members = counted(found, joined, period)
    gone = departures.departed_at(db, [o.id for o in orgs])
    membership = Membership(
        at_end=sum(
            1
            for org_id, moment in joined.items()
            if moment < period.end and gone.get(org_id, period.end) >= period.end
        ),
        joined=sum(1 for moment in joined.values() if period.contains(moment)),
        left=sum(1 for moment in gone.values() if period.contains(moment)),
        reported=len(members),
        excluded=tuple(
            (s.organization.slug, s.organization.name, s.excluded)
            for s in found
            if s.excluded is not None
        ),
    )
    stamps = [s.computed_at for s in found if s.computed_at is not None]
    found_trends = trends(db, end=period)
    return Summary(period, membership, aggregates(members), found_trends, min(stamps, default=None))


def trends(db: Session, *, end: Period) -> dict[str, list[tuple[Period, float | None]]]:
    """The hub's trend figures over the quarters up to ``end`` (the scorecard's charts): the
    stored aggregates (:func:`store`), computed from the stored figures where none is."""
    series = periods.quarters_up_to(end, TREND_LENGTH)
    query = select(HubFigures.period_key, HubFigures.aggregates).where(
        HubFigures.period_key.in_([p.key for p in series])
    )
    stored: dict[str, Any] = {key: found for key, found in db.execute(query)}  # noqa: C416
    missing = [p for p in series if p.key not in stored]
    if missing:
        orgs = services.signatories(db)
        by_period = services.stored_or_live_series(db, series=missing, orgs=orgs)
        joined = joined_at(db, orgs)
        for quarter in missing:
            found = aggregates(counted(by_period[quarter.key], joined, quarter))
            stored[quarter.key] = {k: encode_aggregate(v) for k, v in found.items()}
    out: dict[str, list[tuple[Period, float | None]]] = {key: [] for key in TREND_FIGURES}
    for quarter in series:
        for key in TREND_FIGURES:
            item = stored[quarter.key].get(key)
            value = decode_aggregate(item).headline(figures.BY_ID[key].unit) if item else None
            out[key].append((quarter, value))
    return out


def store(db: Session, *, period: Period) -> None:
    """Compute ``period``'s hub aggregates from the stored figures and keep them (the
    refresh job runs it after storing the figures; ``services.forget_hub`` drops what a change
    of figures or exclusions makes stale)."""
    orgs = services.signatories(db)
    (found,) = services.stored_or_live_series(db, series=[period], orgs=orgs).values()
    values = aggregates(counted(found, joined_at(db, orgs), period))
    encoded = {key: encode_aggregate(v) for key, v in values.items()}
    row = db.scalar(select(HubFigures).where(HubFigures.period_key == period.key))
    if row is None:
        db.add(HubFigures(period_key=period.key, aggregates=encoded))
    else:
        row.aggregates, row.computed_at = encoded, utcnow()
    db.flush()


def decode_aggregate(item: dict[str, Any]) -> Aggregate:
    """An aggregate as :func:`encode_aggregate` wrote it."""
    return Aggregate(item["median"], item["total"], item["reporting"])


def encode_aggregate(found: Aggregate) -> dict[str, Any]:
    """An aggregate as the report document holds it."""
    return {"median": found.median, "total": found.total, "reporting": found.reporting}
