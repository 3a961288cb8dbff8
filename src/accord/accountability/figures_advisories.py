"""The advisory figures: what a signatory publishes, on the hub and on its own CSAF provider.

Part of the registry of :mod:`accord.accountability.figures`, in its order.
"""

from __future__ import annotations

from accord.accountability.definition import SOURCES_BY_GROUP, Definition
from accord.accountability.measures import (
    advisories_everywhere,
    advisories_on_provider,
    advisories_published,
    csaf_share,
    fix_to_advisory_median,
    fix_versions_share,
)
from accord.web.i18n import N_

_PROVIDER_DOCS = N_(
    "the CSAF documents the hub's aggregator read from the signatory's own CSAF provider"
)

ADVISORIES: tuple[Definition, ...] = (
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
)
