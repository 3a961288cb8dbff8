"""Computed figures per (signatory, period), the scorecard, and operators' exclusions.

Freshness: every moment a figure reads is written by the hub's own clock when the record is
made (notification, status event, first version, object added, check fetched), and a figure
counts only moments before its period's end. So once a period has ended its figures no longer
change, and the stored row computed after the end stays true. The ``accountability.refresh``
job (``handlers.py``) recomputes the periods still running, and each period once more when it
ends; pages read the stored rows and compute live only where none is stored yet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from accord.accountability import collect, figures, periods
from accord.accountability.figures import Figure, Value
from accord.accountability.models import ComputedFigures, Exclusion, HubFigures
from accord.accountability.periods import Period, PeriodError
from accord.clock import utcnow
from accord.errors import N_, InvalidInput, Message, NotFound
from accord.identity import audit
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import Actor
from accord.registry import departures

MAX_REASON = 2000


@dataclass(frozen=True)
class Stored:
    """One signatory's figures for one period, and when they were computed."""

    organization: Organization
    values: dict[str, Value]
    records: dict[str, tuple[str, ...]]  # empty unless asked for
    computed_at: datetime | None  # None: computed for this request
    excluded: str | None  # the reason it is not published, if it is not

    @property
    def figures(self) -> dict[str, Figure]:
        """Values with their records, for every figure this version defines."""
        return {
            d.id: Figure(self.values.get(d.id), self.records.get(d.id, ()))
            for d in figures.DEFINITIONS
        }


def encode(found: dict[str, Figure]) -> dict[str, Any]:
    """Figures as published: {id: {"value", "records"}}."""
    return {key: {"value": f.value, "records": list(f.records)} for key, f in found.items()}


def parse_period(key: str) -> Period:
    """The period named ``key`` (400 naming it otherwise)."""
    return periods.parse(key)


def default_period() -> Period:
    """The period pages and the API show when none is named: the last quarter that ended."""
    return periods.previous(periods.of(periods.PeriodKind.QUARTER, utcnow()))


def signatories(db: Session) -> list[Organization]:
    """Every signatory (as the registry lists them), by name."""
    query = select(Organization).where(Organization.kind == OrgKind.SIGNATORY)
    return list(db.scalars(query.order_by(Organization.name)))


def get_signatory(db: Session, slug: str) -> Organization:
    """The signatory ``slug``; 404 naming it when no signatory has that name."""
    org = db.scalar(
        select(Organization).where(
            Organization.slug == slug, Organization.kind == OrgKind.SIGNATORY
        )
    )
    if org is None:
        raise NotFound(Message(N_("no signatory %(slug)r"), slug=slug), field="signatory")
    return org


def refresh(db: Session, *, period: Period, org_ids: Collection[int] | None = None) -> int:
    """Compute and store the figures of ``period`` for the signatories (all by default);
    the number of rows written."""
    return store(db, period=period, computed=compute(db, period=period, org_ids=org_ids))


def compute(
    db: Session, *, period: Period, org_ids: Collection[int] | None = None
) -> dict[int, dict[str, Figure]]:
    """The figures of ``period`` for the signatories (all by default), computed, not stored.

    Reads only: the refresh job runs it on a reader's snapshot, so that on SQLite the seconds
    it takes over a large hub do not hold the one write lock (TAXII ingest waited on it).
    """
    ids = list(org_ids) if org_ids is not None else collect.signatory_ids(db)
    gone = departures.departed_at(db, ids)
    return live(
        db,
        period=period,
        org_ids=[i for i in ids if departures.active_in(gone, i, period.start)],
    )


def store(db: Session, *, period: Period, computed: dict[int, dict[str, Figure]]) -> int:
    """Store computed figures of ``period``, replacing the ones stored; the rows written."""
    ids = list(computed)
    existing = {
        row.organization_id: row
        for row in db.scalars(
            select(ComputedFigures).where(
                ComputedFigures.period_key == period.key,
                ComputedFigures.organization_id.in_(ids),
            )
        )
    }
    now = utcnow()
    for org_id, found in computed.items():
        values = {key: f.value for key, f in found.items()}
        refs = {key: list(f.records) for key, f in found.items()}
        row = existing.get(org_id)
        if row is None:
            db.add(
                ComputedFigures(
                    organization_id=org_id,
                    period_key=period.key,
                    period_start=period.start,
                    computed_at=now,
                    values=values,
                    records=refs,
                )
            )
        else:
            row.values, row.records, row.computed_at = values, refs, now
    db.flush()
    forget_hub(db, period_key=period.key)
    return len(computed)


def forget_hub(db: Session, *, period_key: str | None) -> None:
    """Drop the stored hub aggregates of ``period_key`` (every period's with None): they are
    stale once a signatory's figures or an exclusion change. ``hub.trends`` computes them
    again from the stored figures until the refresh job stores them anew."""
    query = delete(HubFigures)
    if period_key is not None:
        query = query.where(HubFigures.period_key == period_key)
    db.execute(query)


def live(db: Session, *, period: Period, org_ids: Sequence[int]) -> dict[int, dict[str, Figure]]:
    """Figures computed now, without storing them."""
    computed = collect.collect(db, period=period, org_ids=org_ids)
    return {org_id: figures.compute(records, period) for org_id, records in computed.items()}


# -- exclusions ----------------------------------------------------------------------------


def exclusion_reason(
    exclusions: Sequence[Exclusion], *, org_id: int, period_key: str | None
) -> str | None:
    """Why ``org_id`` in ``period_key`` is not published, or None when it is."""
    for found in exclusions:
        org_matches = found.organization_id in (None, org_id)
        period_matches = found.period_key is None or found.period_key == period_key
        if org_matches and period_matches:
            return found.reason
    return None


def exclusions(db: Session, *, period_key: str | None = None) -> list[Exclusion]:
    """Exclusions that apply to ``period_key`` (every one when None), oldest first."""
    query = select(Exclusion).order_by(Exclusion.id)
    if period_key is not None:
        query = query.where(or_(Exclusion.period_key.is_(None), Exclusion.period_key == period_key))
    return list(db.scalars(query))


def exclude(
    db: Session, *, actor: Actor, slug: str | None, period_key: str | None, reason: str
) -> Exclusion:
    """An operator keeps a signatory, a period, or both together out of publication."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(
            N_("say why: the reason is shown in place of the figures"), field="reason"
        )
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            Message(N_("the reason has at most %(MAX_REASON)s characters"), MAX_REASON=MAX_REASON),
            field="reason",
        )
    if not slug and not period_key:
        raise InvalidInput(N_("name a signatory, a period, or both"), field="signatory")
    org = get_signatory(db, slug) if slug else None
    period = periods.parse(period_key) if period_key else None
    found = Exclusion(
        organization_id=org.id if org else None,
        period_key=period.key if period else None,
        reason=reason,
        created_by=actor.label,
    )
    db.add(found)
    db.flush()
    forget_hub(db, period_key=found.period_key)
    audit.record(
        db,
        actor=actor,
        action="accountability.exclude",
        target=f"{slug or '*'}/{period_key or '*'}",
        organization_id=found.organization_id,
        details={"reason": reason, "exclusion": found.id},
    )
    return found


def lift(db: Session, *, actor: Actor, exclusion_id: int) -> None:
    """An operator lifts an exclusion."""
    found = db.get(Exclusion, exclusion_id)
    if found is None:
        raise NotFound(
            Message(N_("no exclusion %(exclusion_id)s"), exclusion_id=exclusion_id),
            field="exclusion_id",
        )
    audit.record(
        db,
        actor=actor,
        action="accountability.lift",
        target=str(exclusion_id),
        organization_id=found.organization_id,
        details={"period": found.period_key, "reason": found.reason},
    )
    forget_hub(db, period_key=found.period_key)
    db.execute(delete(Exclusion).where(Exclusion.id == exclusion_id))


# -- reading -------------------------------------------------------------------------------


def stored_or_live(
    db: Session, *, period: Period, orgs: Sequence[Organization], with_records: bool = False
) -> list[Stored]:
    """Each signatory's figures for ``period``: the stored row, else computed now. Stored
    figures come without their records unless ``with_records``."""
    return stored_or_live_series(db, series=[period], orgs=orgs, with_records=with_records)[
        period.key
    ]


def stored_or_live_series(
    db: Session,
    *,
    series: Sequence[Period],
    orgs: Sequence[Organization],
    with_records: bool = False,
) -> dict[str, list[Stored]]:
    """:func:`stored_or_live` for several periods, their stored rows read in one query;
    figures are computed live only for the (period, signatory) pairs never stored."""
    ids = [org.id for org in orgs]
    columns = [
        ComputedFigures.organization_id,
        ComputedFigures.computed_at,
        ComputedFigures.values,
        ComputedFigures.period_key,
    ]
    if with_records:
        columns.append(ComputedFigures.records)
    # Columns, not entities: the scorecard reads 500 rows per period and request.
    rows: dict[tuple[Any, Any], Any] = {
        (row[3], row[0]): row
        for row in db.execute(
            select(*columns).where(
                ComputedFigures.period_key.in_([p.key for p in series]),
                ComputedFigures.organization_id.in_(ids),
            )
        )
    }
    rules = exclusions(db)
    gone = departures.departed_at(db, ids)
    out: dict[str, list[Stored]] = {}
    for period in series:
        # A signatory that left keeps its periods as a member, and has none after.
        members = [o for o in orgs if departures.active_in(gone, o.id, period.start)]
        missing = [o.id for o in members if (period.key, o.id) not in rows]
        computed = live(db, period=period, org_ids=missing) if missing else {}
        found: list[Stored] = []
        for org in members:
            reason = exclusion_reason(rules, org_id=org.id, period_key=period.key)
            row = rows.get((period.key, org.id))
            if row is not None:
                records = {k: tuple(v) for k, v in row[4].items()} if with_records else {}
                found.append(Stored(org, row[2], records, row[1], reason))
            else:
                live_figures = computed[org.id]
                values = {k: f.value for k, f in live_figures.items()}
                records = {k: f.records for k, f in live_figures.items()}
                found.append(Stored(org, values, records, None, reason))
        out[period.key] = found
    return out


SORT_ORDERS = ("asc", "desc")


def scorecard(db: Session, *, period: Period, sort: str | None, order: str) -> list[Stored]:
    """Every signatory's figures for ``period``, sorted by figure ``sort`` (name otherwise).

    Signatories without a value, and those excluded, come last whatever the order."""
    if sort is not None and (sort not in figures.BY_ID or not figures.BY_ID[sort].sortable):
        raise PeriodError(
            Message(N_("unknown figure %(sort)r to sort by"), sort=sort), field="sort"
        )
    if order not in SORT_ORDERS:
        raise PeriodError(
            Message(N_("unknown order %(order)r: asc or desc"), order=order), field="order"
        )
    found = stored_or_live(db, period=period, orgs=signatories(db))
    if sort is None:
        return found  # by name

    def value(item: Stored) -> float | None:
        raw = item.values.get(sort) if item.excluded is None else None
        return float(raw) if isinstance(raw, int | float) else None

    known = [item for item in found if value(item) is not None]
    unknown = [item for item in found if value(item) is None]
    known.sort(key=lambda item: (value(item), item.organization.name), reverse=order == "desc")
    return known + unknown


def trends(
    db: Session, *, org: Organization, figure_ids: Sequence[str], series: Sequence[Period]
) -> dict[str, list[tuple[Period, float | None]]]:
    """Figures of one signatory over ``series`` of periods (stored rows, else live), one read
    per period."""
    out: dict[str, list[tuple[Period, float | None]]] = {key: [] for key in figure_ids}
    for period in series:
        found = stored_or_live(db, period=period, orgs=[org])
        for key in figure_ids:
            stored = found[0] if found else None  # none: the signatory had left by then
            raw = stored.values.get(key) if stored and stored.excluded is None else None
            out[key].append((period, float(raw) if isinstance(raw, int | float) else None))
    return out
