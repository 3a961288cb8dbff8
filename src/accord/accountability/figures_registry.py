"""The registry figures: what a signatory publishes on its own site, as the hub's checks
found it.

Part of the registry of :mod:`accord.accountability.figures`, in its order.
"""

from __future__ import annotations

from accord.accountability.definition import Definition
from accord.accountability.measures import (
    campaign_goals_met,
    csaf_metadata_reachable,
    policy_ok_share,
    policy_present,
    policy_safe_harbour,
    securitytxt_current,
    securitytxt_ok_share,
)
from accord.web.i18n import N_

_CHECKED = N_(
    "The hub checks every signatory on a schedule (the registry.checks job) and keeps each "
    "check; redirects to non-public addresses or from https to http fail."
)
_POLICY_CHECKS = N_("the registry's checks of the disclosure policy page (reach_checks)")
_TXT_CHECKS = N_("the registry's security.txt checks")

REGISTRY: tuple[Definition, ...] = (
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
