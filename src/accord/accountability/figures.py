"""The registry of figures: each one's id, title, unit, definition text and computation.

:data:`DEFINITIONS` is what the methods page prints, so that two hubs compute every figure the
same way; the computations are the pure functions of :mod:`accord.accountability.measures`,
whose docstring states the rules common to all of them (as at the period's end, hours,
medians and percentiles, no data rather than 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accord.accountability.measures import (
    Figure,
    Value,
    ack_median,
    ack_p90,
    advisories_everywhere,
    advisories_on_provider,
    advisories_published,
    campaign_goals_met,
    csaf_metadata_reachable,
    csaf_share,
    day_start,
    determination_median,
    determination_p90,
    embargoes_broken,
    embargoes_kept,
    fix_median,
    fix_to_advisory_median,
    fix_versions_share,
    median,
    no_reply_share,
    objects_by_tlp,
    objects_pulled,
    objects_shared,
    percentile_90,
    policy_ok_share,
    policy_present,
    policy_safe_harbour,
    pulling_organizations,
    reports_received,
    securitytxt_current,
    securitytxt_ok_share,
    sightings_received,
)
from accord.accountability.periods import Period
from accord.accountability.rows import Records
from accord.web.i18n import N_

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
    # The records it reads, named as the methods page names them; by group unless given.
    sources: tuple[str, ...] = ()

    @property
    def reads(self) -> tuple[str, ...]:
        """The sources of the figure: the hub's own records, or what signatories publish
        elsewhere as the registry's scheduled checks found it."""
        return self.sources or SOURCES_BY_GROUP[self.group]

    @property
    def text(self) -> str:
        """The definition, in English (the API's and the reports' text)."""
        return " ".join(self.parts)


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

_PULLS = N_(
    "Deliveries by the hub's TAXII server (GET of a collection's objects or of one object, "
    "federation pulls by other hubs' accounts included) of object versions the signatory "
    "produced to signed-in readers of other organizations, counted per UTC day; version "
    "lists, manifests, anonymous readers and the signatory's own members are not counted. "
    "A reader in several organizations counts for one of them. Each web process counts in "
    "memory and stores its counts every few seconds: a process killed without warning loses "
    "its last unstored seconds."
)
_CHECKED = N_(
    "The hub checks every signatory on a schedule (the registry.checks job) and keeps each "
    "check; redirects to non-public addresses or from https to http fail."
)

# Where each group's figures come from. "Checks" are what signatories publish on their own
# sites (security.txt, the policy page, CSAF provider metadata), fetched by the hub.
SOURCES_BY_GROUP: dict[str, tuple[str, ...]] = {
    "disclosure": (N_("the hub's disclosure cases (vendors' statuses, messages, embargoes)"),),
    "advisories": (N_("the advisories published on the hub"),),
    "sharing": (N_("the objects shared on the hub and its TAXII server's deliveries"),),
    "registry": (N_("the registry's scheduled checks of what signatories publish"),),
}
_POLICY_CHECKS = N_("the registry's checks of the disclosure policy page (reach_checks)")
_TXT_CHECKS = N_("the registry's security.txt checks")
_PROVIDER_DOCS = N_(
    "the CSAF documents the hub's aggregator read from the signatory's own CSAF provider"
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
            N_(
                "Advisories the hub's aggregator read from a CSAF provider are not counted "
                "here but in the advisories on the signatory's own CSAF provider."
            ),
        ),
        advisories_published,
    ),
    Definition(
        "advisories_on_provider",
        "advisories",
        N_("Advisories on its own CSAF provider"),
        "count",
        (
            N_(
                "CSAF documents the signatory released on its own CSAF provider (the provider "
                "registered for it on the hub) within the period, by the document's initial "
                "release date, that the hub's aggregator had read, checked and kept before "
                "the period's end; a document read later does not change a past period."
            ),
        ),
        advisories_on_provider,
        sources=(_PROVIDER_DOCS,),
    ),
    Definition(
        "advisories_everywhere",
        "advisories",
        N_("Advisories published, hub and own provider"),
        "count",
        (
            N_(
                "The advisories published on the hub plus those on the signatory's own CSAF "
                "provider, as the two figures above count them; none is counted twice."
            ),
        ),
        advisories_everywhere,
        sources=(SOURCES_BY_GROUP["advisories"][0], _PROVIDER_DOCS),
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
                "signatory produced."
            ),
        ),
        sightings_received,
    ),
    Definition(
        "objects_pulled",
        "sharing",
        N_("Objects pulled by others"),
        "count",
        (
            _PULLS,
            N_(
                "The figure is the number of object versions delivered on the days of the "
                "period; the same object delivered twice counts twice."
            ),
        ),
        objects_pulled,
    ),
    Definition(
        "pulling_organizations",
        "sharing",
        N_("Organizations pulling"),
        "count",
        (
            _PULLS,
            N_(
                "The figure is the number of distinct reader organizations those deliveries "
                "went to."
            ),
        ),
        pulling_organizations,
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
                "period's end: 1, else 0; no data when never checked."
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
    Definition(
        "policy_present",
        "registry",
        N_("Disclosure policy present"),
        "yes/no",
        (
            N_(
                "The last check the hub made before the period's end of the signatory's "
                "disclosure policy (the first Policy field of its last security.txt check, else "
                "the disclosure policy URL it declared in the registry) fetched it over https "
                "with a 2xx answer of text/html or text/plain within the size and time limits: "
                "1, else 0 (no URL counts as 0); no data when never checked."
            ),
            _CHECKED,
        ),
        policy_present,
    ),
    Definition(
        "csaf_metadata_reachable",
        "registry",
        N_("CSAF provider metadata reachable"),
        "yes/no",
        (
            N_(
                "The last check the hub made before the period's end of the signatory's CSAF "
                "provider metadata (the first CSAF field of its last security.txt check, else "
                "https://<website host>/.well-known/csaf/provider-metadata.json) fetched it "
                "over https as application/json within the size and time limits, and it was "
                "valid against the official CSAF 2.0 provider metadata JSON schema: 1, else 0; "
                "no data when never checked."
            ),
            _CHECKED,
        ),
        csaf_metadata_reachable,
    ),
    Definition(
        "policy_ok_share",
        "registry",
        N_("Share of policy checks passed"),
        "share",
        (
            N_(
                "Of the hub's checks of the signatory's disclosure policy page within the "
                "period, the share that fetched it (2xx, text/html or text/plain)."
            ),
            _CHECKED,
        ),
        policy_ok_share,
        sources=(_POLICY_CHECKS,),
    ),
    Definition(
        "policy_safe_harbour",
        "registry",
        N_("Policy states safe harbour"),
        "yes/no",
        (
            N_(
                "The last check of the signatory's disclosure policy page before the period's "
                "end fetched it, and the page had a sentence promising safe harbour (a "
                'phrase such as "safe harbor" or "will not initiate legal action", not '
                "denied): 1, else 0; no data when never checked. The sentence is shown in the "
                "directory of disclosure policies."
            ),
            _CHECKED,
        ),
        policy_safe_harbour,
        sources=(_POLICY_CHECKS,),
    ),
    Definition(
        "campaign_goals_met",
        "registry",
        N_("Campaign goals met"),
        "count",
        (
            N_(
                "Of the goals of the hub's campaigns started before the period's end (a valid "
                "security.txt, a reachable disclosure policy, a policy stating safe harbour, "
                "a CSAF provider), how many the signatory met at the period's end, each by its "
                "last check of that kind; 0 when no campaign had started."
            ),
            _CHECKED,
        ),
        campaign_goals_met,
        sources=(_TXT_CHECKS, _POLICY_CHECKS, N_("the hub's campaigns")),
    ),
)

BY_ID: dict[str, Definition] = {d.id: d for d in DEFINITIONS}


def compute(records: Records, period: Period) -> dict[str, Figure]:
    """Every figure of one signatory for one period."""
    return {d.id: d.compute(records, period) for d in DEFINITIONS}
