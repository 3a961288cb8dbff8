"""Who may read which advisory: TLP 2.0 and drafts, decided by the policy module.

CLEAR is public. GREEN goes to the hub's community (any signed-in account). AMBER,
AMBER+STRICT and RED, and every draft, stay with the publishing organization (and operators,
whom the policy lets act for any organization). The rules live in ``policy``; this module
only asks it, per advisory or as an SQL filter for lists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from accord.advisories.models import Advisory, AdvisoryStatus, Tlp
from accord.identity.policy import Action, Actor, allowed


def can_read(
    actor: Actor, *, status: AdvisoryStatus, tlp: Tlp, organization_id: int | None
) -> bool:
    """Whether ``actor`` may read an advisory in this state."""
    if status is AdvisoryStatus.DRAFT or tlp not in (Tlp.CLEAR, Tlp.GREEN):
        return allowed(actor, Action.ADVISORY_READ_RESTRICTED, org_id=organization_id)
    if tlp is Tlp.GREEN:
        return allowed(actor, Action.ADVISORY_READ_GREEN)
    return True


def readable(actor: Actor) -> ColumnElement[bool]:
    """An SQL condition on :class:`Advisory` rows equivalent to :func:`can_read`."""
    if allowed(actor, Action.ADVISORY_READ_RESTRICTED, org_id=None):
        return true()  # the policy lets this actor read for every organization
    shared = [Tlp.CLEAR] + ([Tlp.GREEN] if allowed(actor, Action.ADVISORY_READ_GREEN) else [])
    own = [
        org_id
        for org_id in actor.roles
        if allowed(actor, Action.ADVISORY_READ_RESTRICTED, org_id=org_id)
    ]
    published = and_(Advisory.status != AdvisoryStatus.DRAFT, Advisory.tlp.in_(shared))
    mine = Advisory.organization_id.in_(own) if own else false()
    return or_(published, mine)
