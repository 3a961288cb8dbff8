"""Property: no figure counts a record that the period's boundaries exclude.

Two checks on random histories: every record a figure names has one of its defining moments
in the period; and adding records whose every defining moment lies outside the period leaves
every figure unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.accountability import figures, periods
from accord.accountability.periods import Period
from accord.accountability.rows import (
    AdvisoryRow,
    DeliveryRow,
    ReachCheckRow,
    Records,
    SecurityTxtCheckRow,
    SharedCount,
    SightingCount,
    StatusChange,
    VendorCase,
)

PERIOD_KEYS = st.sampled_from(["2026-03", "2028-02", "2026-Q4", "2027", "2028-Q1"])
EPOCH = datetime(2025, 6, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=4 * 365 * 24 * 60).map(
    lambda minutes: EPOCH + timedelta(minutes=minutes)
)
REACH_KINDS = st.sampled_from(["policy", "csaf"])
READER_ORGS = st.integers(2, 5)
AS_AT_END = frozenset(
    {
        "securitytxt_current",
        "policy_present",
        "csaf_metadata_reachable",
        "policy_safe_harbour",
        "campaign_goals_met",
    }
)
STATUSES = st.sampled_from(["acknowledged", "affected", "not_affected", "fixed", "no_reply"])


@st.composite
def vendor_cases(draw: st.DrawFn, prefix: str, when: st.SearchStrategy[datetime]) -> VendorCase:
    n = draw(st.integers(0, 10_000))
    notified = draw(when)
    embargo = draw(st.none() | when)
    published = draw(st.none() | when)
    return VendorCase(
        ref=f"case:{prefix}{n}",
        org_id=1,
        notified_at=notified,
        statuses=tuple(
            StatusChange(at, status)
            for at, status in draw(st.lists(st.tuples(moments, STATUSES), max_size=4))
        ),
        messages_at=tuple(draw(st.lists(moments, max_size=2))),
        embargo_at=embargo,
        embargo_accepted=draw(st.booleans()),
        release_agreed=draw(st.booleans()),
        case_ref=f"ACCORD-{prefix}{n}",
        published_at=published,
    )


@st.composite
def histories(draw: st.DrawFn, prefix: str, when: st.SearchStrategy[datetime]) -> Records:
    tlps = st.sampled_from(["CLEAR", "GREEN", "AMBER", "RED"])
    return Records(
        vendor_cases=tuple(draw(st.lists(vendor_cases(prefix, when), max_size=8))),
        advisories=tuple(
            AdvisoryRow(
                f"advisory:{prefix}{i}", 1, at, tlp, fixed, aliases=(f"ACCORD-{prefix}{alias}",)
            )
            for i, (at, tlp, fixed, alias) in enumerate(
                draw(
                    st.lists(
                        st.tuples(when, tlps, st.booleans(), st.integers(0, 10_000)), max_size=5
                    )
                )
            )
        ),
        # Groups as collect.py reads them: here each within one moment, so none straddles.
        objects=tuple(
            SharedCount(f"objects:{prefix}{i}:{tlp}*{n}", 1, tlp, n, at, at)
            for i, (at, tlp, n) in enumerate(
                draw(st.lists(st.tuples(when, tlps, st.integers(1, 9)), max_size=5))
            )
        ),
        sightings=tuple(
            SightingCount(f"sightings:{prefix}{i}*{n}", 1, n, at, at)
            for i, (at, n) in enumerate(
                draw(st.lists(st.tuples(when, st.integers(1, 9)), max_size=5))
            )
        ),
        checks=tuple(
            SecurityTxtCheckRow(f"check:{prefix}{i}", 1, at, ok, expires)
            for i, (at, ok, expires) in enumerate(
                draw(st.lists(st.tuples(when, st.booleans(), st.none() | moments), max_size=4))
            )
        ),
        reach_checks=tuple(
            ReachCheckRow(f"reach:{prefix}{i}", 1, kind, at, ok)
            for i, (kind, at, ok) in enumerate(
                draw(st.lists(st.tuples(REACH_KINDS, when, st.booleans()), max_size=4))
            )
        ),
        deliveries=tuple(
            # A day's pulls are placed by the day's first moment (midnight UTC).
            DeliveryRow(f"pulls:{prefix}{i}", 1, reader, at.date(), n)
            for i, (at, reader, n) in enumerate(
                draw(
                    st.lists(
                        st.tuples(days(when), st.integers(2, 5), st.integers(1, 9)), max_size=4
                    )
                )
            )
        ),
    )


def days(when: st.SearchStrategy[datetime]) -> st.SearchStrategy[datetime]:
    """Midnights UTC drawn from ``when`` (a day of pulls is placed by its first moment)."""
    return when.map(lambda m: m.replace(hour=0, minute=0, second=0, microsecond=0))


def _outside(period: Period) -> st.SearchStrategy[datetime]:
    before = st.integers(1, 400 * 24 * 60).map(lambda m: period.start - timedelta(minutes=m))
    after = st.integers(0, 400 * 24 * 60).map(lambda m: period.end + timedelta(minutes=m))
    return before | after


def _defining_moments(records: Records, ref: str) -> list[datetime]:
    """The moments that may place a record in a period."""
    found: list[datetime] = []
    for c in records.vendor_cases:
        if c.ref == ref:
            found += [c.notified_at] + [m for m in (c.embargo_at, c.published_at) if m]
    found += [a.first_published_at for a in records.advisories if a.ref == ref]
    found += [m for o in records.objects if o.ref == ref for m in (o.first_added, o.last_added)]
    found += [m for s in records.sightings if s.ref == ref for m in (s.first_added, s.last_added)]
    found += [c.fetched_at for c in records.checks if c.ref == ref]
    found += [c.fetched_at for c in records.reach_checks if c.ref == ref]
    found += [figures.day_start(d.day) for d in records.deliveries if d.ref == ref]
    return found


@settings(max_examples=60, deadline=None)
@given(key=PERIOD_KEYS, data=st.data())
def test_every_named_record_lies_in_the_period(key: str, data: st.DataObject) -> None:
    period = periods.parse(key)
    records = data.draw(histories("in", moments))
    for definition in figures.DEFINITIONS:
        figure = definition.compute(records, period)
        for ref in figure.records:
            moments_of = _defining_moments(records, ref)
            if definition.id in AS_AT_END:
                # the state at the end: the last check made before the end
                assert any(m < period.end for m in moments_of)
            else:
                assert any(period.contains(m) for m in moments_of), (definition.id, ref)


@settings(max_examples=60, deadline=None)
@given(key=PERIOD_KEYS, data=st.data())
def test_records_outside_the_period_change_nothing(key: str, data: st.DataObject) -> None:
    period = periods.parse(key)
    inside = data.draw(histories("in", moments))
    outside = data.draw(histories("out", _outside(period)))
    # A check made after the end cannot change the state at the end; one made before the
    # start can (it is the state carried into the period), so only later checks are added.
    later = tuple(c for c in outside.checks if c.fetched_at >= period.end)
    later_reach = tuple(c for c in outside.reach_checks if c.fetched_at >= period.end)
    both = Records(
        vendor_cases=inside.vendor_cases + outside.vendor_cases,
        advisories=inside.advisories + outside.advisories,
        objects=inside.objects + outside.objects,
        sightings=inside.sightings + outside.sightings,
        checks=inside.checks + later,
        reach_checks=inside.reach_checks + later_reach,
        deliveries=inside.deliveries + outside.deliveries,
    )
    assert figures.compute(both, period) == figures.compute(inside, period)
