"""The disclosure figures: how a signatory answers the cases the hub notifies it of.

Part of the registry of :mod:`accord.accountability.figures`, in its order.
"""

from __future__ import annotations

from accord.accountability.definition import Definition
from accord.accountability.measures import (
    ack_median,
    ack_p90,
    determination_median,
    determination_p90,
    embargoes_broken,
    embargoes_kept,
    fix_median,
    no_reply_share,
    reports_received,
)
from accord.web.i18n import N_

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

DISCLOSURE: tuple[Definition, ...] = (
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
)
