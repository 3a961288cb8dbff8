"""An organization's dashboard: the cases waiting on it, embargoes ending, advisories in
draft, its security.txt check and this quarter's figures, read from each domain's records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.accountability import periods
from accord.accountability import services as accountability
from accord.accountability.figures import DEFINITIONS, Definition
from accord.accountability.measures import Value
from accord.advisories.models import Advisory, AdvisoryStatus
from accord.disclosure.models import CaseStatus, CaseVendor, DisclosureCase, VendorStatus
from accord.identity.models import Organization, OrgKind
from accord.registry import checks
from accord.registry.models import SecurityTxtCheck

# How far ahead an embargo's end is shown as ending soon.
EMBARGO_HORIZON = timedelta(days=30)
# The figures the dashboard shows; the rest are one click away on the report pages.
FIGURES = (
    "reports_received",
    "ack_median_hours",
    "no_reply_share",
    "advisories_published",
    "objects_shared",
    "securitytxt_current",
)
LISTED = 10


@dataclass(frozen=True)
class Waiting:
    """A case waiting on the organization, and why (a word of ``web.labels``)."""

    case: DisclosureCase
    reason: str  # "triage", "answer", "embargo"


@dataclass(frozen=True)
class OrgStatus:
    """Everything an organization's dashboard shows."""

    waiting: list[Waiting]
    embargoes: list[DisclosureCase]
    drafts: list[Advisory]
    check: SecurityTxtCheck | None
    period: periods.Period
    figures: list[tuple[Definition, Value]]


def _waiting(db: Session, org: Organization) -> list[Waiting]:
    """Reports addressed to it awaiting triage, then open cases awaiting its answer."""
    found = [
        Waiting(case, "triage")
        for case in db.scalars(
            select(DisclosureCase)
            .where(
                DisclosureCase.target_org_id == org.id,
                DisclosureCase.status == CaseStatus.REPORTED,
            )
            .order_by(DisclosureCase.created_at)
            .limit(LISTED)
        )
    ]
    rows = db.execute(
        select(DisclosureCase, CaseVendor)
        .join(CaseVendor, CaseVendor.case_id == DisclosureCase.id)
        .where(
            CaseVendor.organization_id == org.id,
            DisclosureCase.status == CaseStatus.OPEN,
            or_(
                CaseVendor.status.in_([VendorStatus.NO_REPLY, VendorStatus.ACKNOWLEDGED]),
                (DisclosureCase.embargo_proposed_at.is_not(None))
                & CaseVendor.embargo_accepted_at.is_(None),
            ),
        )
        .order_by(DisclosureCase.opened_at)
        .limit(LISTED)
    )
    for case, vendor in rows:
        unanswered = vendor.status in (VendorStatus.NO_REPLY, VendorStatus.ACKNOWLEDGED)
        found.append(Waiting(case, "answer" if unanswered else "embargo"))
    return found


def _embargoes(db: Session, org: Organization, now: datetime) -> list[DisclosureCase]:
    """Its open cases whose embargo ends within the horizon, soonest first."""
    return list(
        db.scalars(
            select(DisclosureCase)
            .join(CaseVendor, CaseVendor.case_id == DisclosureCase.id)
            .where(
                CaseVendor.organization_id == org.id,
                DisclosureCase.status == CaseStatus.OPEN,
                DisclosureCase.embargo_at >= now,
                DisclosureCase.embargo_at < now + EMBARGO_HORIZON,
            )
            .order_by(DisclosureCase.embargo_at)
            .limit(LISTED)
        )
    )


def _drafts(db: Session, org: Organization) -> list[Advisory]:
    """Its advisories with unpublished changes: new drafts and drafts of a next version."""
    return list(
        db.scalars(
            select(Advisory)
            .where(
                Advisory.organization_id == org.id,
                (Advisory.status == AdvisoryStatus.DRAFT) | Advisory.draft.is_not(None),
            )
            .order_by(Advisory.updated_at.desc())
            .limit(LISTED)
        )
    )


def _figures(
    db: Session, org: Organization, period: periods.Period
) -> list[tuple[Definition, Value]]:
    if org.kind is not OrgKind.SIGNATORY:
        return []  # progress reports are the signatories' promise
    stored = accountability.stored_or_live(db, period=period, orgs=[org])
    values = stored[0].values if stored else {}
    return [(d, values.get(d.id)) for d in DEFINITIONS if d.id in FIGURES]


def status(db: Session, *, org: Organization, now: datetime) -> OrgStatus:
    """The organization as its members need to see it now."""
    period = periods.of(periods.PeriodKind.QUARTER, now)
    return OrgStatus(
        waiting=_waiting(db, org),
        embargoes=_embargoes(db, org, now),
        drafts=_drafts(db, org),
        check=checks.latest(db, org_id=org.id),
        period=period,
        figures=_figures(db, org, period),
    )
