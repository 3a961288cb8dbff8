"""Who takes part in a case: its vendors, the hub's coordinators, and the actor's standing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.disclosure.models import CaseVendor, DisclosureCase
from accord.identity.models import Organization, User
from accord.identity.policy import Actor, CaseStanding, case_standing


def coordinator_org_id(db: Session, settings: Settings) -> int | None:
    """The coordinating organization named by ``ACCORD_DISCLOSURE_COORDINATOR_ORG``, if any."""
    slug = settings.disclosure_coordinator_org
    if not slug:
        return None
    return db.scalar(select(Organization.id).where(Organization.slug == slug))


def operator_ids(db: Session) -> tuple[int, ...]:
    """The hub's active operators (coordinators by office)."""
    query = select(User.id).where(User.is_operator.is_(True), User.is_active.is_(True))
    return tuple(db.scalars(query.order_by(User.id)))


def vendor_org_ids(db: Session, case: DisclosureCase) -> frozenset[int]:
    """Every vendor organization of the case."""
    query = select(CaseVendor.organization_id).where(CaseVendor.case_id == case.id)
    return frozenset(db.scalars(query))


def standing_of(
    db: Session, *, actor: Actor, case: DisclosureCase, settings: Settings
) -> CaseStanding:
    """The actor's standing in the case (reads only the actor's own vendor rows)."""
    mine: frozenset[int] = frozenset()
    if actor.roles:
        query = select(CaseVendor.organization_id).where(
            CaseVendor.case_id == case.id, CaseVendor.organization_id.in_(sorted(actor.roles))
        )
        mine = frozenset(db.scalars(query))
    return case_standing(
        actor, case_vendor_org_ids=mine, coordinator_org_id=coordinator_org_id(db, settings)
    )
