"""The embargo: the publication moment (UTC) the vendors agreed, and the one proposed next.

Two moments are kept apart. The embargo *in force* (``DisclosureCase.embargo_at``) is the last
moment that every vendor that may be affected accepted, or that a coordinator decided where
the hub lets coordinators decide (``ACCORD_DISCLOSURE_COORDINATORS_DECIDE_EMBARGO``). A
*proposal* (``embargo_proposed_at``) changes nothing until it is accepted: otherwise any
invited vendor could end everyone's embargo by proposing a moment a few seconds ahead.

Nothing from a case is published before the embargo in force ends (or, with none in force,
at all) unless every vendor that may be affected agreed to an earlier release. "May be
affected" is every vendor but those that said they are not affected: a vendor that has not
replied is never taken as not affected.
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
from accord.errors import N_, Conflict, Forbidden, InvalidInput, Message
from accord.identity.policy import Actor, may_answer_for, may_decide_embargo, may_manage_case


class EmbargoActive(Conflict):
    """Publication before the embargo, without every possibly affected vendor's agreement."""

    code = "embargo_active"

    def __init__(self, message: str, *, until: datetime | None) -> None:
        super().__init__(message, field="embargo_at")
        self.until = until


def stamp(moment: datetime) -> str:
    """The UTC form written in history and errors."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _second(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def propose(
    db: Session,
    *,
    access: CaseAccess,
    embargo_at: datetime,
    reason: str,
    actor: Actor,
    settings: Settings,
) -> DisclosureCase:
    """Propose a publication moment. The proposer's own vendors accept it; it takes force
    once every vendor that may be affected accepted it, or at once when a coordinator
    proposes and the hub lets coordinators decide."""
    case = access.case
    if not may_manage_case(access.standing):
        raise Forbidden(N_("only a vendor or a coordinator of the case may propose an embargo"))
    if case.status is not CaseStatus.OPEN:
        raise Conflict(N_("an embargo belongs to an open case"), field="case_id")
    moment = _second(embargo_at)
    if moment <= utcnow():
        raise InvalidInput(N_("embargo_at: the embargo must end in the future"), field="embargo_at")
    case.embargo_proposed_at = moment
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
        "in_force": stamp(case.embargo_at) if case.embargo_at else None,
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
    notices.to_case(
        db, settings=settings, case=case, kind="embargo", what=N_("A new embargo was proposed")
    )
    if may_decide_embargo(
        access.standing, coordinators_decide=settings.disclosure_coordinators_decide_embargo
    ):
        _take_force(db, case=case, actor=actor, settings=settings, decided=True)
    else:
        settle(db, case=case, actor=actor, settings=settings)
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
    """A vendor accepts the embargo proposed (or the one in force), naming the moment so that
    a changed one is refused."""
    case = access.case
    vendor, org = vendors.get_vendor(db, case, slug)
    if not may_answer_for(access.standing, org.id):
        raise Forbidden(
            Message(N_("only %(name)s or a coordinator may answer for it"), name=org.name)
        )
    if case.status is not CaseStatus.OPEN:
        raise Conflict(N_("an embargo belongs to an open case"), field="case_id")
    named = _second(embargo_at)
    if named not in (case.embargo_proposed_at, case.embargo_at):
        if case.embargo_proposed_at is None and case.embargo_at is None:
            raise Conflict(N_("no embargo is proposed"), field="embargo_at")
        current = case.embargo_proposed_at or case.embargo_at
        assert current is not None
        raise Conflict(
            Message(N_("the embargo now proposed is %(moment)s"), moment=stamp(current)),
            field="embargo_at",
        )
    if named == case.embargo_proposed_at and named <= utcnow():
        raise Conflict(
            Message(
                N_("the proposed moment %(moment)s has passed; propose a new one"),
                moment=stamp(named),
            ),
            field="embargo_at",
        )
    vendor.embargo_accepted_at = named
    touch(case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="embargo_accepted",
        actor_label=actor.label,
        organization_id=org.id,
        summary=f"{org.name} accepted the embargo {stamp(named)}",
        details={"vendor": org.slug, "embargo_at": stamp(named)},
    )
    settle(db, case=case, actor=actor, settings=settings)
    return vendor


def holding_proposal(db: Session, case: DisclosureCase) -> list[str]:
    """The vendors that may be affected and have not accepted the proposal (by name)."""
    return [
        org.name
        for vendor, org in vendors.listed(db, case)
        if vendor.status is not VendorStatus.NOT_AFFECTED
        and vendor.embargo_accepted_at != case.embargo_proposed_at
    ]


def settle(db: Session, *, case: DisclosureCase, actor: Actor, settings: Settings) -> bool:
    """Put the proposal in force if every vendor that may be affected accepted it (after an
    acceptance, a proposal, or a vendor's "not affected"). Returns whether it did."""
    if case.embargo_proposed_at is None or case.status is not CaseStatus.OPEN:
        return False
    if holding_proposal(db, case):
        return False
    _take_force(db, case=case, actor=actor, settings=settings, decided=False)
    return True


def _take_force(
    db: Session, *, case: DisclosureCase, actor: Actor, settings: Settings, decided: bool
) -> None:
    moment = case.embargo_proposed_at
    assert moment is not None
    previous = case.embargo_at
    case.embargo_at, case.embargo_proposed_at = moment, None
    # An agreement to publish early was given against the embargo it would shorten.
    db.execute(update(CaseVendor).where(CaseVendor.case_id == case.id).values(release_agreed=False))
    how = "decided by a coordinator" if decided else "accepted by every vendor that may be affected"
    history.record(
        db,
        settings=settings,
        case=case,
        kind="embargo_in_force",
        actor_label=actor.label,
        summary=f"Embargo in force: {stamp(moment)} ({how})",
        details={
            "embargo_at": stamp(moment),
            "previous": stamp(previous) if previous else None,
            "decided": decided,
        },
    )
    notices.to_case(
        db, settings=settings, case=case, kind="embargo", what=N_("The embargo changed")
    )


def agree_release(
    db: Session, *, access: CaseAccess, slug: str, actor: Actor, settings: Settings
) -> CaseVendor:
    """A vendor agrees that the case may be published before the embargo ends."""
    case = access.case
    vendor, org = vendors.get_vendor(db, case, slug)
    if not may_answer_for(access.standing, org.id):
        raise Forbidden(
            Message(N_("only %(name)s or a coordinator may answer for it"), name=org.name)
        )
    if case.status is not CaseStatus.OPEN:
        raise Conflict(N_("only an open case is released"), field="case_id")
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
    """Raise :class:`EmbargoActive` unless the embargo in force has ended or every vendor
    that may be affected agreed to publish now. A pending proposal plays no part."""
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
    if case.embargo_at is not None:
        message = Message(
            N_("the case is under embargo until %(moment)s; not yet agreed to publish earlier: "
               "%(vendors)s"),
            moment=stamp(case.embargo_at),
            vendors=", ".join(holding),
        )  # fmt: skip
    else:
        message = Message(
            N_("the case is under embargo with no end agreed yet; not yet agreed to publish "
               "earlier: %(vendors)s"),
            vendors=", ".join(holding),
        )  # fmt: skip
    raise EmbargoActive(message, until=case.embargo_at)
