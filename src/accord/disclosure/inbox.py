"""The inbox: the reports and cases one person takes part in, by view, with unread counts.

Views: ``open`` (new reports and open cases), ``waiting`` (something waits on the viewer: a
vendor's answer or embargo acceptance, a coordinator's triage or publication), ``ending``
(an embargo ending within a week), ``inactive`` (open, but nothing happened in it for
``Settings.disclosure_inactive_days``), ``closed`` (published, or closed with a reason) and
``all``. Each is one query for the page, one for its count, one for the unread counts.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import closing, parties
from accord.disclosure.messages import visible
from accord.disclosure.models import (
    OPEN_STATUSES,
    CaseMessage,
    CaseStatus,
    CaseVendor,
    DisclosureCase,
    ReadMark,
    VendorStatus,
)
from accord.identity.models import Organization
from accord.identity.policy import Actor, CaseStanding

ENDING_SOON = timedelta(days=7)


class View(enum.StrEnum):
    """Which part of the inbox to show."""

    OPEN = "open"
    WAITING = "waiting"
    ENDING = "ending"
    INACTIVE = "inactive"
    CLOSED = "closed"
    ALL = "all"


class Phase(enum.StrEnum):
    """Where a case is, as the inbox groups it."""

    OPEN = "open"
    PUBLISHED = "published"
    CLOSED = "closed"


def phase(status: CaseStatus) -> Phase:
    """Open (new or being coordinated), published, or closed at triage (with a reason)."""
    if status in OPEN_STATUSES:
        return Phase.OPEN
    return Phase.PUBLISHED if status is CaseStatus.PUBLISHED else Phase.CLOSED


@dataclass(frozen=True)
class InboxRow:
    """One line of an inbox."""

    case: DisclosureCase
    organization: str | None  # the report's target organization, by name
    organization_slug: str | None
    unread: int
    inactive: bool = False  # open, with no activity for the configured number of days

    @property
    def phase(self) -> Phase:
        """Open, published or closed."""
        return phase(self.case.status)


def _waiting(actor: Actor, coordinator: bool) -> ColumnElement[bool]:
    """Cases where the next step is the viewer's."""
    mine = CaseVendor.organization_id.in_(sorted(actor.roles))
    pending = func.coalesce(DisclosureCase.embargo_proposed_at, DisclosureCase.embargo_at)
    unanswered = exists().where(
        CaseVendor.case_id == DisclosureCase.id,
        mine,
        or_(
            CaseVendor.status == VendorStatus.NO_REPLY,
            # A proposal waits on every vendor's acceptance; with none pending, so does an
            # embargo in force that a coordinator decided alone.
            and_(
                pending.is_not(None),
                # A vendor not affected holds no embargo, as embargo.holding_proposal says.
                CaseVendor.status != VendorStatus.NOT_AFFECTED,
                or_(
                    CaseVendor.embargo_accepted_at.is_(None),
                    CaseVendor.embargo_accepted_at != pending,
                ),
            ),
        ),
    )
    if not coordinator:
        return and_(DisclosureCase.status.in_(OPEN_STATUSES), unanswered)
    ready = and_(
        DisclosureCase.status == CaseStatus.OPEN,
        DisclosureCase.embargo_at.is_not(None),
        DisclosureCase.embargo_at <= utcnow(),
    )
    return or_(DisclosureCase.status == CaseStatus.REPORTED, ready, unanswered)


def _query(
    actor: Actor, coordinator: bool, view: View, *, inactive_days: int
) -> Select[DisclosureCase]:
    query = select(DisclosureCase)
    if not coordinator:
        mine = select(CaseVendor.case_id).where(CaseVendor.organization_id.in_(sorted(actor.roles)))
        query = query.where(DisclosureCase.id.in_(mine))
    if view is View.OPEN:
        query = query.where(DisclosureCase.status.in_(OPEN_STATUSES))
    elif view is View.WAITING:
        query = query.where(_waiting(actor, coordinator))
    elif view is View.ENDING:
        now = utcnow()
        query = query.where(
            DisclosureCase.status.in_(OPEN_STATUSES),
            DisclosureCase.embargo_at > now,
            DisclosureCase.embargo_at <= now + ENDING_SOON,
        )
    elif view is View.INACTIVE:
        # The same rule as ``closing.inactive``, as SQL.
        query = query.where(
            DisclosureCase.status.in_(OPEN_STATUSES),
            DisclosureCase.updated_at <= utcnow() - timedelta(days=inactive_days),
        )
    elif view is View.CLOSED:
        query = query.where(DisclosureCase.status.not_in(OPEN_STATUSES))
    return query


def inbox(
    db: Session,
    *,
    actor: Actor,
    settings: Settings,
    view: View = View.OPEN,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[InboxRow], int]:
    """The reports and cases of ``view`` the actor takes part in, most recent activity first,
    with the number of messages the actor may read and has not read in each."""
    coordinator_org = parties.coordinator_org_id(db, settings)
    coordinator = actor.is_operator or (
        coordinator_org is not None and coordinator_org in actor.roles
    )
    query = _query(actor, coordinator, view, inactive_days=settings.disclosure_inactive_days)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.execute(
            query.add_columns(Organization.name, Organization.slug)
            .outerjoin(Organization, Organization.id == DisclosureCase.target_org_id)
            .order_by(DisclosureCase.updated_at.desc(), DisclosureCase.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    counts = _unread_counts(db, actor, [case.id for case, _, _ in rows], coordinator=coordinator)
    days = settings.disclosure_inactive_days
    found = [
        InboxRow(case, name, slug, counts.get(case.id, 0), closing.inactive(case, days=days))
        for case, name, slug in rows
    ]
    return found, total


def _unread_counts(
    db: Session, actor: Actor, case_ids: list[int], *, coordinator: bool
) -> dict[int, int]:
    if not case_ids or actor.user_id is None:
        return {}
    # The actor's standing across the page: a vendor message counts only when addressed to
    # one of the actor's organizations, which is then a vendor of that case. The rule is the
    # messages' own (``visible``), so the count never includes a message the page hides.
    standing = CaseStanding(coordinator=coordinator, vendor_org_ids=frozenset(actor.roles))
    mark = func.coalesce(ReadMark.last_read_id, 0)
    query = (
        select(CaseMessage.case_id, func.count())
        .outerjoin(
            ReadMark,
            and_(ReadMark.case_id == CaseMessage.case_id, ReadMark.user_id == actor.user_id),
        )
        .where(CaseMessage.case_id.in_(case_ids), CaseMessage.id > mark, visible(standing))
        .group_by(CaseMessage.case_id)
    )
    return {case_id: int(count) for case_id, count in db.execute(query).all()}
