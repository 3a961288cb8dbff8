"""Every figure: a pure function of one signatory's records and a period.

Each figure is registered in :data:`DEFINITIONS` with an id, a unit and the definition text
the methods page shows, so that two hubs compute it the same way. Common rules:

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
from datetime import datetime

from accord.accountability.periods import Period
from accord.accountability.rows import RecordRef, Records, VendorCase
from accord.web.i18n import N_

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


@dataclass(frozen=True)
class Definition:
    """A figure's id, how it reads, and how it is computed."""

    id: str
    group: str  # disclosure, advisories, sharing, registry
    title: str
    unit: str  # count, hours, share, yes/no, counts by TLP
    parts: tuple[str, ...]  # the definition's sentences, each translated apart
    compute: Callable[[Records, Period], Figure]
    sortable: bool = True

    @property
    def text(self) -> str:
        """The definition, in English (the API's and the reports' text)."""
        return " ".join(self.parts)


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


def objects_shared(records: Records, period: Period) -> Figure:
    found = [o.ref for o in records.objects if period.contains(o.added_at)]
    return Figure(len(found), tuple(found))


def objects_by_tlp(records: Records, period: Period) -> Figure:
    counts: dict[str, int] = {}
    refs: list[RecordRef] = []
    for found in records.objects:
        if period.contains(found.added_at):
            counts[found.tlp] = counts.get(found.tlp, 0) + 1
            refs.append(found.ref)
    return Figure(dict(sorted(counts.items())), tuple(refs))


def sightings_received(records: Records, period: Period) -> Figure:
    found = [s.ref for s in records.sightings if period.contains(s.added_at)]
    return Figure(len(found), tuple(found))


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


_COHORT = N_(
    "The cohort is every case in which the hub notified the signatory as a vendor within the "
    "period (the vendor's notification time, CaseVendor.invited_at)."
)
_AS_AT = N_("Only what happened before the period's end counts.")
_REPLY = N_(
    'A reply is the first of: a stated status other than "no reply" (the case history\'s '
    "status_changed events for that vendor), or a message written by one of the vendor's "
    "members. The hub does not record when a vendor first read a case, so reading is no reply."
)

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "reports_received",
        "disclosure",
        N_("Reports received"),
        "count",
        (
            _COHORT,
            N_("The figure is the cohort's size."),
        ),
        reports_received,
    ),
    Definition(
        "ack_median_hours",
        "disclosure",
        N_("Median time to acknowledge"),
        "hours",
        (
            _COHORT,
            N_(
                "For each case of the cohort answered before the period's end, the time from "
                "notification to the vendor's first reply; the median of those times."
            ),
            _REPLY,
        ),
        ack_median,
    ),
    Definition(
        "ack_p90_hours",
        "disclosure",
        N_("90th percentile time to acknowledge"),
        "hours",
        (
            N_("As the median time to acknowledge, but the nearest-rank 90th percentile."),
            _AS_AT,
        ),
        ack_p90,
    ),
    Definition(
        "determination_median_hours",
        "disclosure",
        N_("Median time to a status"),
        "hours",
        (
            _COHORT,
            N_(
                'For each case of the cohort where the vendor stated "affected", "not '
                'affected" or "fixed" before the period\'s end, the time from notification to '
                'the first such status; the median. "Acknowledged" alone is no determination.'
            ),
        ),
        determination_median,
    ),
    Definition(
        "determination_p90_hours",
        "disclosure",
        N_("90th percentile time to a status"),
        "hours",
        (
            N_("As the median time to a status, but the nearest-rank 90th percentile."),
            _AS_AT,
        ),
        determination_p90,
    ),
    Definition(
        "no_reply_share",
        "disclosure",
        N_("Share of cases never replied to"),
        "share",
        (
            _COHORT,
            N_("The share of the cohort without any reply before the period's end."),
            _REPLY,
            N_(
                "A case notified late in the period has had little time: read with the median "
                "time to acknowledge."
            ),
        ),
        no_reply_share,
    ),
    Definition(
        "fix_median_hours",
        "disclosure",
        N_("Median time from report to fix"),
        "hours",
        (
            _COHORT,
            N_(
                'For each case of the cohort where the vendor stated "fixed" before the '
                "period's end, the time from notification to that status; the median. The hub "
                "records when a fix was stated, not when it shipped."
            ),
        ),
        fix_median,
    ),
    Definition(
        "embargoes_kept",
        "disclosure",
        N_("Embargoes kept"),
        "count",
        (
            N_(
                "Embargoes the signatory accepted (as now set on the case) whose end fell "
                "within the period, and that it did not break (see embargoes broken)."
            ),
        ),
        embargoes_kept,
    ),
    Definition(
        "embargoes_broken",
        "disclosure",
        N_("Embargoes broken"),
        "count",
        (
            N_(
                "Embargoes the signatory accepted whose end fell within the period, where an "
                "advisory of the signatory naming the case's ACCORD id among its aliases was "
                "first published on the hub after the signatory was notified and before the "
                "embargo ended, without the signatory having agreed to early release. The hub "
                "itself never publishes a case early; publication elsewhere is not seen."
            ),
        ),
        embargoes_broken,
    ),
    Definition(
        "advisories_published",
        "advisories",
        N_("Advisories published"),
        "count",
        (
            N_(
                "Advisories of the signatory whose first version was published on the hub "
                "within the period (advisory_versions number 1); later versions and "
                "withdrawals do not count again."
            ),
        ),
        advisories_published,
    ),
    Definition(
        "csaf_share",
        "advisories",
        N_("Share with a public CSAF document"),
        "share",
        (
            N_(
                "Of the advisories published in the period, the share the hub's CSAF trusted "
                "provider serves to anyone: those of TLP:CLEAR (CSAF label WHITE). Others "
                "have a CSAF document only their permitted readers may fetch."
            ),
        ),
        csaf_share,
    ),
    Definition(
        "fix_versions_share",
        "advisories",
        N_("Share with machine-readable fix versions"),
        "share",
        (
            N_(
                "Of the advisories published in the period, the share whose current OSV "
                'record names at least one fixed version (an affected range event "fixed").'
            ),
        ),
        fix_versions_share,
    ),
    Definition(
        "fix_to_advisory_median_hours",
        "advisories",
        N_("Median time from fix to advisory"),
        "hours",
        (
            N_(
                "Cases published as an advisory within the period in which the signatory, a "
                'vendor, had stated "fixed" before publication: the time from its first '
                '"fixed" to publication; the median.'
            ),
        ),
        fix_to_advisory_median,
    ),
    Definition(
        "objects_shared",
        "sharing",
        N_("Objects shared"),
        "count",
        (
            N_(
                "STIX objects the signatory produced whose first version was added to a hub "
                "collection within the period; objects pulled from other servers are not "
                "counted."
            ),
        ),
        objects_shared,
    ),
    Definition(
        "objects_shared_by_tlp",
        "sharing",
        N_("Objects shared by TLP"),
        "counts by TLP",
        (N_("The objects shared, counted by their TLP 2.0 marking."),),
        objects_by_tlp,
        sortable=False,
    ),
    Definition(
        "sightings_received",
        "sharing",
        N_("Sightings received"),
        "count",
        (
            N_(
                "STIX sightings added within the period by other organizations of objects the "
                "signatory produced. Reads of the signatory's objects by others (TAXII GETs "
                "and federation pulls) are not recorded per object by the hub, so no figure "
                "counts them."
            ),
        ),
        sightings_received,
    ),
    Definition(
        "securitytxt_current",
        "registry",
        N_("security.txt valid and current"),
        "yes/no",
        (
            N_(
                "The last check of the signatory's security.txt the hub made before the "
                "period's end found it valid (RFC 9116), and its Expires lay after the "
                "period's end: 1, else 0; no data when never checked. Whether a disclosure "
                "policy or CSAF provider metadata is reachable is not checked by the hub yet."
            ),
        ),
        securitytxt_current,
    ),
    Definition(
        "securitytxt_ok_share",
        "registry",
        N_("Share of security.txt checks passed"),
        "share",
        (
            N_(
                "Of the hub's checks of the signatory's security.txt within the period, the "
                "share that found it valid."
            ),
        ),
        securitytxt_ok_share,
    ),
)

BY_ID: dict[str, Definition] = {d.id: d for d in DEFINITIONS}


def compute(records: Records, period: Period) -> dict[str, Figure]:
    """Every figure of one signatory for one period."""
    return {d.id: d.compute(records, period) for d in DEFINITIONS}
