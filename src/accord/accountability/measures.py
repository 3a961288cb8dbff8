"""How each figure is computed: a pure function of one signatory's records and a period.

The registry that names them, with their units and definition texts, is
:mod:`accord.accountability.figures`. Common rules:

- A period is a half-open UTC interval [start, end) (see ``periods.py``).
- Figures are computed *as at the period's end*: nothing that happened at or after ``end``
  counts, so a published report can be recomputed to the same numbers years later.
- Durations are in hours. The median of an even count is the mean of the two middle values;
  the 90th percentile is the nearest rank (the ceil(0.9 n)-th smallest value).
- A figure with nothing to measure is ``None`` ("no data"), never 0.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from accord.accountability.periods import Period
from accord.accountability.rows import (
    DeliveryRow,
    ReachCheckRow,
    RecordRef,
    Records,
    SharedCount,
    VendorCase,
)

Value = int | float | dict[str, int] | None

REPLY_STATUSES = frozenset({"acknowledged", "affected", "not_affected", "fixed"})
DETERMINED_STATUSES = frozenset({"affected", "not_affected", "fixed"})
PUBLIC_CSAF_TLPS = frozenset({"CLEAR"})
HOUR = 3600.0


@dataclass(frozen=True)
class Figure:
    """A computed figure and the records it was computed from."""

    value: Value
    records: tuple[RecordRef, ...] = ()


# -- helpers -------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float | None:
    """The median, or None for no values."""
    return round(statistics.median(values), 2) if values else None


def percentile_90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile, or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2)


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to four places, or None when ``whole`` is 0."""
    return round(part / whole, 4) if whole else None


def hours(start: datetime, end: datetime) -> float:
    """The time from ``start`` to ``end`` in hours."""
    return (end - start).total_seconds() / HOUR


def received(records: Records, period: Period) -> list[VendorCase]:
    """The cases whose vendor was notified within the period: the period's cohort."""
    return [c for c in records.vendor_cases if period.contains(c.notified_at)]


def first_reply(case: VendorCase, before: datetime) -> datetime | None:
    """The vendor's first reply before ``before``: a stated status other than "no reply",
    or a message its members wrote, whichever came first."""
    moments = [s.at for s in case.statuses if s.status in REPLY_STATUSES and s.at < before]
    moments += [m for m in case.messages_at if m < before]
    return min(moments) if moments else None


def first_status(case: VendorCase, statuses: Iterable[str], before: datetime) -> datetime | None:
    """When the vendor first stated one of ``statuses``, before ``before``."""
    wanted = frozenset(statuses)
    moments = [s.at for s in case.statuses if s.status in wanted and s.at < before]
    return min(moments) if moments else None


def _durations(
    records: Records, period: Period, moment: Callable[[VendorCase, datetime], datetime | None]
) -> tuple[list[float], tuple[RecordRef, ...]]:
    values: list[float] = []
    refs: list[RecordRef] = []
    for case in received(records, period):
        reached = moment(case, period.end)
        if reached is not None:
            values.append(hours(case.notified_at, max(reached, case.notified_at)))
            refs.append(case.ref)
    return values, tuple(refs)


# -- disclosure ----------------------------------------------------------------------------


def reports_received(records: Records, period: Period) -> Figure:
    cohort = received(records, period)
    return Figure(len(cohort), tuple(c.ref for c in cohort))


def _ack(records: Records, period: Period) -> tuple[list[float], tuple[RecordRef, ...]]:
    return _durations(records, period, first_reply)


def ack_median(records: Records, period: Period) -> Figure:
    values, refs = _ack(records, period)
    return Figure(median(values), refs)


def ack_p90(records: Records, period: Period) -> Figure:
    values, refs = _ack(records, period)
    return Figure(percentile_90(values), refs)


def _determined(records: Records, period: Period) -> tuple[list[float], tuple[RecordRef, ...]]:
    return _durations(
        records, period, lambda case, end: first_status(case, DETERMINED_STATUSES, end)
    )


def determination_median(records: Records, period: Period) -> Figure:
    values, refs = _determined(records, period)
    return Figure(median(values), refs)


def determination_p90(records: Records, period: Period) -> Figure:
    values, refs = _determined(records, period)
    return Figure(percentile_90(values), refs)


def no_reply_share(records: Records, period: Period) -> Figure:
    cohort = received(records, period)
    silent = [c for c in cohort if first_reply(c, period.end) is None]
    return Figure(share(len(silent), len(cohort)), tuple(c.ref for c in silent))


def fix_median(records: Records, period: Period) -> Figure:
    values, refs = _durations(records, period, lambda c, end: first_status(c, ("fixed",), end))
    return Figure(median(values), refs)


def _embargoes(records: Records, period: Period) -> tuple[list[VendorCase], list[VendorCase]]:
    """Embargoes the vendor accepted that ended within the period: (kept, broken)."""
    kept: list[VendorCase] = []
    broken: list[VendorCase] = []
    for case in records.vendor_cases:
        if case.embargo_at is None or not case.embargo_accepted:
            continue
        if not period.contains(case.embargo_at):
            continue
        early = (
            case.case_ref
            and not case.release_agreed
            and any(
                case.case_ref in advisory.aliases
                and case.notified_at <= advisory.first_published_at < case.embargo_at
                for advisory in records.advisories
            )
        )
        (broken if early else kept).append(case)
    return kept, broken


def embargoes_kept(records: Records, period: Period) -> Figure:
    kept, _ = _embargoes(records, period)
    return Figure(len(kept), tuple(c.ref for c in kept))


def embargoes_broken(records: Records, period: Period) -> Figure:
    _, broken = _embargoes(records, period)
    return Figure(len(broken), tuple(c.ref for c in broken))


# -- advisories ----------------------------------------------------------------------------


def _published(records: Records, period: Period) -> list[RecordRef]:
    return [a.ref for a in records.advisories if period.contains(a.first_published_at)]


def advisories_published(records: Records, period: Period) -> Figure:
    found = _published(records, period)
    return Figure(len(found), tuple(found))


def _released(records: Records, period: Period) -> list[RecordRef]:
    """Released on the signatory's provider within the period, and read by the hub before
    its end (so that a period's figure, once past, stays what it was)."""
    return [
        a.ref
        for a in records.provider_advisories
        if period.contains(a.released_at) and a.seen_at < period.end
    ]


def advisories_on_provider(records: Records, period: Period) -> Figure:
    found = _released(records, period)
    return Figure(len(found), tuple(found))


def advisories_everywhere(records: Records, period: Period) -> Figure:
    found = _published(records, period) + _released(records, period)
    return Figure(len(found), tuple(found))


def csaf_share(records: Records, period: Period) -> Figure:
    found = [a for a in records.advisories if period.contains(a.first_published_at)]
    public = [a for a in found if a.tlp in PUBLIC_CSAF_TLPS]
    return Figure(share(len(public), len(found)), tuple(a.ref for a in public))


def fix_versions_share(records: Records, period: Period) -> Figure:
    found = [a for a in records.advisories if period.contains(a.first_published_at)]
    fixed = [a for a in found if a.has_fixed_version]
    return Figure(share(len(fixed), len(found)), tuple(a.ref for a in fixed))


def fix_to_advisory_median(records: Records, period: Period) -> Figure:
    values: list[float] = []
    refs: list[RecordRef] = []
    for case in records.vendor_cases:
        if case.published_at is None or not period.contains(case.published_at):
            continue
        fixed = first_status(case, ("fixed",), case.published_at)
        if fixed is not None:
            values.append(hours(fixed, case.published_at))
            refs.append(case.ref)
    return Figure(median(values), tuple(refs))


# -- sharing -------------------------------------------------------------------------------


def within(first: datetime, last: datetime, period: Period) -> bool:
    """Whether a group of records added from ``first`` to ``last`` lies in the period.

    A group cannot be split: ``collect.py`` reads each period's groups from that period
    alone, so one across a boundary is a mistake, refused rather than counted wrongly."""
    if period.contains(first) and period.contains(last):
        return True
    if last < period.start or first >= period.end:
        return False
    raise ValueError(f"records added from {first} to {last} straddle {period.key}")


def _shared(records: Records, period: Period) -> list[SharedCount]:
    return [o for o in records.objects if o.count and within(o.first_added, o.last_added, period)]


def objects_shared(records: Records, period: Period) -> Figure:
    found = _shared(records, period)
    return Figure(sum(o.count for o in found), tuple(o.ref for o in found))


def objects_by_tlp(records: Records, period: Period) -> Figure:
    found = _shared(records, period)
    counts: dict[str, int] = {}
    for group in found:
        counts[group.tlp] = counts.get(group.tlp, 0) + group.count
    return Figure(dict(sorted(counts.items())), tuple(o.ref for o in found))


def sightings_received(records: Records, period: Period) -> Figure:
    found = [
        s for s in records.sightings if s.count and within(s.first_added, s.last_added, period)
    ]
    return Figure(sum(s.count for s in found), tuple(s.ref for s in found))


# -- registry ------------------------------------------------------------------------------


def securitytxt_current(records: Records, period: Period) -> Figure:
    before = [c for c in records.checks if c.fetched_at < period.end]
    if not before:
        return Figure(None)
    last = max(before, key=lambda c: (c.fetched_at, c.ref))
    current = last.ok and last.expires_at is not None and last.expires_at > period.end
    return Figure(1 if current else 0, (last.ref,))


def securitytxt_ok_share(records: Records, period: Period) -> Figure:
    found = [c for c in records.checks if period.contains(c.fetched_at)]
    good = [c for c in found if c.ok]
    return Figure(share(len(good), len(found)), tuple(c.ref for c in found))


def _reachable(kind: str) -> Callable[[Records, Period], Figure]:
    def compute(records: Records, period: Period) -> Figure:
        before = [c for c in records.reach_checks if c.kind == kind and c.fetched_at < period.end]
        if not before:
            return Figure(None)
        last = max(before, key=lambda c: (c.fetched_at, c.ref))
        return Figure(1 if last.ok else 0, (last.ref,))

    return compute


policy_present = _reachable("policy")
csaf_metadata_reachable = _reachable("csaf")


def policy_ok_share(records: Records, period: Period) -> Figure:
    """Of the period's checks of the disclosure policy, the share that reached it."""
    found = [
        c for c in records.reach_checks if c.kind == "policy" and period.contains(c.fetched_at)
    ]
    good = [c for c in found if c.ok]
    return Figure(share(len(good), len(found)), tuple(c.ref for c in found))


def policy_safe_harbour(records: Records, period: Period) -> Figure:
    """The last policy check before the end reached a page that stated safe harbour."""
    before = [c for c in records.reach_checks if c.kind == "policy" and c.fetched_at < period.end]
    if not before:
        return Figure(None)
    last = max(before, key=lambda c: (c.fetched_at, c.ref))
    return Figure(1 if last.ok and last.safe_harbour else 0, (last.ref,))


def campaign_goals_met(records: Records, period: Period) -> Figure:
    """How many of the campaigns' goals the signatory met at the period's end, each by its
    last check of the goal's kind (campaigns/goals.py reads the same checks the same way)."""
    if not records.campaign_goals:
        return Figure(0)
    last_txt = max(
        (c for c in records.checks if c.fetched_at < period.end),
        key=lambda c: (c.fetched_at, c.ref),
        default=None,
    )
    last_reach: dict[str, ReachCheckRow] = {}
    for c in sorted(records.reach_checks, key=lambda c: (c.fetched_at, c.ref)):
        if c.fetched_at < period.end:
            last_reach[c.kind] = c
    policy, csaf = last_reach.get("policy"), last_reach.get("csaf")
    met = {
        "security_txt": last_txt is not None and last_txt.ok,
        "disclosure_policy": policy is not None and policy.ok,
        "safe_harbour": policy is not None and policy.ok and policy.safe_harbour,
        "csaf_provider": csaf is not None and csaf.ok,
    }
    refs = tuple(r.ref for r in (last_txt, policy, csaf) if r is not None)
    return Figure(sum(1 for goal in records.campaign_goals if met.get(goal)), refs)


def _pulled(records: Records, period: Period) -> list[DeliveryRow]:
    return [d for d in records.deliveries if period.contains(day_start(d.day))]


def objects_pulled(records: Records, period: Period) -> Figure:
    found = _pulled(records, period)
    return Figure(sum(d.objects for d in found), tuple(d.ref for d in found))


def pulling_organizations(records: Records, period: Period) -> Figure:
    found = _pulled(records, period)
    return Figure(len({d.reader_org_id for d in found}), tuple(d.ref for d in found))


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
