"""The embargo: a proposed publication moment (UTC), accepted or countered by each vendor.

Nothing from a case is published before its embargo ends unless every vendor that may be
affected agreed to an earlier release. "May be affected" is every vendor but those that said
they are not affected: a vendor that has not replied is never taken as not affected.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import history, notices, vendors
from accord.disclosure.cases import CaseAccess, touch
from accord.disclosure.models import CaseStatus, CaseVendor, DisclosureCase, VendorStatus
from accord.errors import Conflict, Forbidden, InvalidInput
from accord.identity.policy import Actor, may_answer_for, may_manage_case


class EmbargoActive(Conflict):
    """Publication before the embargo, without every possibly affected vendor's agreement."""

    code = "embargo_active"

    def __init__(self, message: str, *, until: datetime | None) -> None:
        super().__init__(message, field="embargo_at")
        self.until = until


def stamp(moment: datetime) -> str:
    """The UTC form written in history and errors."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def propose(
    db: Session,
    *,
    access: CaseAccess,
    embargo_at: datetime,
    reason: str,
    actor: Actor,
    settings: Settings,
) -> DisclosureCase:
    """Set the proposed embargo; every vendor must accept it again (the proposer's vendor
    accepts its own proposal)."""
    case = access.case
    if not may_manage_case(access.standing):
        raise Forbidden("only a vendor or a coordinator of the case may propose an embargo")
    if case.status is not CaseStatus.OPEN:
        raise Conflict("an embargo belongs to an open case", field="case_id")
    moment = embargo_at.astimezone(UTC).replace(microsecond=0)
    if moment <= utcnow():
        raise InvalidInput("embargo_at: the embargo must end in the future", field="embargo_at")
    previous = case.embargo_at
    case.embargo_at = moment
    db.execute(
        update(CaseVendor)
        .where(CaseVendor.case_id == case.id)
        .values(embargo_accepted_at=None, release_agreed=False)
    )
    if access.standing.vendor_org_ids and not access.standing.coordinator:
        db.execute(
            update(CaseVendor)
            .where(
                CaseVendor.case_id == case.id,
                CaseVendor.organization_id.in_(sorted(access.standing.vendor_org_ids)),
            )
            .values(embargo_accepted_at=moment)
        )
    touch(case)
    details = {
        "embargo_at": stamp(moment),
        "previous": stamp(previous) if previous else None,
        "reason": reason,
    }
    history.record(
        db,
        settings=settings,
        case=case,
        kind="embargo_changed",
        actor_label=actor.label,
        summary=f"Embargo proposed: {stamp(moment)}",
        details=details,
    )
    notices.to_case(db, settings=settings, case=case, kind="embargo", what="The embargo changed")
    return case


def accept(
    db: Session,
    *,
    access: CaseAccess,
    slug: str,
    embargo_at: datetime,
    actor: Actor,
    settings: Settings,
) -> CaseVendor:
    """A vendor accepts the embargo as now proposed (naming it, so a changed one is refused)."""
    case = access.case
    vendor, org = vendors.get_vendor(db, case, slug)
    if not may_answer_for(access.standing, org.id):
        raise Forbidden(f"only {org.name} or a coordinator may answer for it")
    if case.embargo_at is None:
        raise Conflict("no embargo is proposed", field="embargo_at")
    if embargo_at.astimezone(UTC).replace(microsecond=0) != case.embargo_at:
        raise Conflict(f"the embargo now proposed is {stamp(case.embargo_at)}", field="embargo_at")
    vendor.embargo_accepted_at = case.embargo_at
    touch(case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="embargo_accepted",
        actor_label=actor.label,
        organization_id=org.id,
        summary=f"{org.name} accepted the embargo {stamp(case.embargo_at)}",
        details={"vendor": org.slug, "embargo_at": stamp(case.embargo_at)},
    )
    return vendor


def agree_release(
    db: Session, *, access: CaseAccess, slug: str, actor: Actor, settings: Settings
) -> CaseVendor:
    """A vendor agrees that the case may be published before the embargo ends."""
    case = access.case
    vendor, org = vendors.get_vendor(db, case, slug)
    if not may_answer_for(access.standing, org.id):
        raise Forbidden(f"only {org.name} or a coordinator may answer for it")
    if case.status is not CaseStatus.OPEN:
        raise Conflict("only an open case is released", field="case_id")
    vendor.release_agreed = True
    touch(case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="release_agreed",
        actor_label=actor.label,
        organization_id=org.id,
        summary=f"{org.name} agreed to publication before the embargo",
        details={"vendor": org.slug},
    )
    return vendor


def check_publishable(db: Session, case: DisclosureCase, now: datetime | None = None) -> None:
    """Raise :class:`EmbargoActive` unless the embargo has ended or every vendor that may be
    affected agreed to publish now."""
    moment = now or utcnow()
    if case.embargo_at is not None and moment >= case.embargo_at:
        return
    holding = [
        org.name
        for vendor, org in vendors.listed(db, case)
        if vendor.status is not VendorStatus.NOT_AFFECTED and not vendor.release_agreed
    ]
    if not holding:
        return
    until = f"until {stamp(case.embargo_at)}" if case.embargo_at else "with no end set yet"
    raise EmbargoActive(
        f"the case is under embargo {until}; not yet agreed to publish earlier: "
        + ", ".join(holding),
        until=case.embargo_at,
    )
