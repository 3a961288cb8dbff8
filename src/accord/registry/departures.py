"""Signatories leaving the accord: by their admins' choice (confirmed by typing the
organization's slug) or removed by operators with a reason.

A departure is a publication like a signature: it is appended to the transparency log in the
caller's transaction, so the log shows who left, when and why, and cannot forget it. The
signatures stay; the public lists and profiles say "left on ..."; progress figures keep the
periods while the organization was a member and make no new ones after (``active_in``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accountability import events
from accord.config import Settings
from accord.errors import N_, Conflict, InvalidInput, Message
from accord.identity import audit
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import Action, Actor, authorize
from accord.registry.models import Departure, DepartureKind
from accord.registry.profiles import utc_iso
from accord.transparency import services as log

DEPARTURE_DOCUMENT_TYPE = "accord.departure/v1"
ENTRY_TYPE = "registry.departure"
MAX_REASON = 2000


def of(db: Session, org_id: int) -> Departure | None:
    """The organization's departure, if it left or was removed."""
    return db.scalar(select(Departure).where(Departure.organization_id == org_id))


def departed_at(db: Session, org_ids: Collection[int] | None = None) -> dict[int, datetime]:
    """When each departed organization (of ``org_ids``, or all) stopped being a signatory."""
    query = select(Departure.organization_id, Departure.departed_at)
    if org_ids is not None:
        query = query.where(Departure.organization_id.in_(list(org_ids)))
    return {org_id: moment for org_id, moment in db.execute(query).all()}  # noqa: C416


def active_in(departures: dict[int, datetime], org_id: int, start: datetime) -> bool:
    """Whether ``org_id`` was still a signatory when a period beginning at ``start`` began:
    figures are kept for the periods it was a member in, and none is made after it left."""
    left = departures.get(org_id)
    return left is None or left > start


def document(departure: Departure) -> dict[str, Any]:
    """The public JSON of a departure, as the transparency log records it."""
    org = departure.organization
    return {
        "type": DEPARTURE_DOCUMENT_TYPE,
        "organization": {"slug": org.slug, "name": org.name},
        "kind": departure.kind.value,
        "reason": departure.reason,
        "departed_at": utc_iso(departure.departed_at),
        "decided_by": departure.decided_by,
    }


def leave(
    db: Session,
    *,
    org: Organization,
    confirm: str,
    reason: str = "",
    actor: Actor,
    settings: Settings,
) -> Departure:
    """The signatory ``org`` leaves the accord (its admins). ``confirm`` must repeat the
    organization's slug: leaving is public and logged for good."""
    authorize(actor, Action.REGISTRY_LEAVE, org_id=org.id)
    if confirm.strip() != org.slug:
        raise InvalidInput(
            Message(
                N_("confirm: type %(slug)s to confirm that %(name)s leaves the accord"),
                slug=org.slug,
                name=org.name,
            ),
            field="confirm",
        )
    return _depart(db, org, DepartureKind.LEFT, reason.strip(), actor, settings)


def remove(
    db: Session, *, org: Organization, reason: str, actor: Actor, settings: Settings
) -> Departure:
    """Operators remove the signatory ``org``; the reason is required and public."""
    authorize(actor, Action.REGISTRY_REMOVE)
    if not reason.strip():
        raise InvalidInput(N_("reason: say why the signatory is removed"), field="reason")
    return _depart(db, org, DepartureKind.REMOVED, reason.strip(), actor, settings)


def _depart(
    db: Session,
    org: Organization,
    kind: DepartureKind,
    reason: str,
    actor: Actor,
    settings: Settings,
) -> Departure:
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            Message(N_("reason: at most %(MAX_REASON)s characters"), MAX_REASON=MAX_REASON),
            field="reason",
        )
    if org.kind is not OrgKind.SIGNATORY:
        raise Conflict(
            Message(N_("%(name)s is a partner, not a signatory"), name=org.name),
            field="organization",
        )
    # Locked, so that a leave and a removal at the same moment cannot both be recorded.
    db.scalar(select(Organization.id).where(Organization.id == org.id).with_for_update())
    if of(db, org.id) is not None:
        raise Conflict(
            Message(N_("%(name)s already left the accord"), name=org.name), field="organization"
        )
    departure = Departure(
        organization=org,
        kind=kind,
        reason=reason,
        decided_by=actor.label,
        decided_by_user_id=actor.user_id,
    )
    db.add(departure)
    db.flush()
    departure.log_index = log.append(
        db,
        settings=settings,
        entry_type=ENTRY_TYPE,
        subject_id=org.slug,
        document=document(departure),
    ).index
    audit.record(
        db,
        actor=actor,
        action=f"registry.{kind.value}",
        target=org.slug,
        organization_id=org.id,
        details={"reason": reason},
    )
    events.recorded(db, settings=settings)
    return departure
