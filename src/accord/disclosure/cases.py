"""Cases: finding one with the actor's standing, opening a report as a case, the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.advisories.models import Advisory
from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import history, notices, parties
from accord.disclosure.models import (
    OPEN_STATUSES,
    CaseMessage,
    CaseSequence,
    CaseStatus,
    CaseVendor,
    DisclosureCase,
    ReadMark,
)
from accord.errors import Conflict, Forbidden, NotFound
from accord.identity.models import Organization
from accord.identity.policy import Actor, CaseStanding, may_manage_case

REF_PREFIX = "ACCORD"


def find(db: Session, ident: str, *, for_update: bool = False) -> DisclosureCase | None:
    """The report or case with this reference (ACCORD-YYYY-NNNN) or public id (a UUID)."""
    if len(ident) > 64:
        return None
    column = DisclosureCase.ref if ident.startswith(f"{REF_PREFIX}-") else DisclosureCase.public_id
    query = select(DisclosureCase).where(column == ident)
    if for_update:
        # Events number themselves per case: writers of one case queue on its row.
        query = query.with_for_update()
    return db.scalar(query)


@dataclass(frozen=True)
class CaseAccess:
    """A case and how the actor stands in it."""

    case: DisclosureCase
    standing: CaseStanding


def load(
    db: Session, ident: str, *, actor: Actor, settings: Settings, for_update: bool = False
) -> CaseAccess:
    """The case, if the actor takes part in it; NotFound otherwise (existence stays hidden)."""
    case = find(db, ident, for_update=for_update)
    if case is None:
        raise NotFound(f"no case {ident}", field="case_id")
    standing = parties.standing_of(db, actor=actor, case=case, settings=settings)
    if not standing.participant:
        raise NotFound(f"no case {ident}", field="case_id")
    return CaseAccess(case=case, standing=standing)


def next_ref(db: Session, year: int, *, advisory_prefix: str = REF_PREFIX) -> tuple[int, str]:
    """The next number of ``year`` and its reference, safe under concurrent openings.

    One atomic upsert increments the year's counter and returns it; the row stays locked
    until the transaction ends (PostgreSQL), and SQLite writers are serialised already.
    """
    pg = db.get_bind().dialect.name == "postgresql"
    insert = postgresql.insert if pg else sqlite.insert
    statement = (
        insert(CaseSequence)
        .values(year=year, last=1)
        .on_conflict_do_update(index_elements=["year"], set_={"last": CaseSequence.last + 1})
        .returning(CaseSequence.last)
    )
    while True:
        number = int(db.execute(statement).scalar_one())
        ref = f"{REF_PREFIX}-{year}-{number:04d}"
        # The advisories domain numbers its own drafts x_PREFIX-YYYY-NNNN too: skip a number
        # it took, so that the case's advisory can carry the case's number.
        taken = f"x_{advisory_prefix}-{year}-{number:04d}"
        if db.scalar(select(Advisory.id).where(Advisory.osv_id == taken)) is None:
            return number, ref


def open_case(
    db: Session, *, access: CaseAccess, actor: Actor, settings: Settings
) -> DisclosureCase:
    """Turn a report into a case with an ACCORD id; its vendor or a coordinator may."""
    case = access.case
    if not may_manage_case(access.standing):
        raise Forbidden("only the vendor or a coordinator may open a case")
    if case.status is not CaseStatus.REPORTED:
        raise Conflict(
            f"only a new report can be opened; this one is {case.status}", field="case_id"
        )
    now = utcnow()
    case.number, case.ref = next_ref(db, now.year, advisory_prefix=settings.advisory_id_prefix)
    case.year = now.year
    case.status = CaseStatus.OPEN
    case.opened_at = case.updated_at = now
    history.record(
        db,
        settings=settings,
        case=case,
        kind="case_opened",
        actor_label=actor.label,
        summary=f"Opened as case {case.ref}",
        details={"ref": case.ref},
    )
    notices.to_case(db, settings=settings, case=case, kind="opened", what="A case was opened")
    notices.to_reporter(db, settings=settings, case=case, what="A case was opened")
    return case


def touch(case: DisclosureCase) -> None:
    """Note activity on the case (the inbox sorts by it)."""
    case.updated_at = utcnow()


# -- the inbox -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxRow:
    """One line of an inbox."""

    case: DisclosureCase
    organization: str | None
    unread: int


def _inbox_query(actor: Actor, coordinator: bool) -> Select[DisclosureCase]:
    query = select(DisclosureCase).where(DisclosureCase.status.in_(OPEN_STATUSES))
    if not coordinator:
        mine = select(CaseVendor.case_id).where(CaseVendor.organization_id.in_(sorted(actor.roles)))
        query = query.where(DisclosureCase.id.in_(mine))
    return query


def inbox(
    db: Session, *, actor: Actor, settings: Settings, page: int = 1, per_page: int = 50
) -> tuple[list[InboxRow], int]:
    """Open reports and cases the actor takes part in, most recent activity first, with the
    number of messages the actor has not read in each: three queries whatever the size."""
    coordinator_org = parties.coordinator_org_id(db, settings)
    coordinator = actor.is_operator or (
        coordinator_org is not None and coordinator_org in actor.roles
    )
    query = _inbox_query(actor, coordinator)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        db.execute(
            query.add_columns(Organization.slug)
            .outerjoin(Organization, Organization.id == DisclosureCase.target_org_id)
            .order_by(DisclosureCase.updated_at.desc(), DisclosureCase.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    counts = _unread_counts(db, actor, [case.id for case, _ in rows], coordinator=coordinator)
    return [InboxRow(case, slug, counts.get(case.id, 0)) for case, slug in rows], total


def _unread_counts(
    db: Session, actor: Actor, case_ids: list[int], *, coordinator: bool
) -> dict[int, int]:
    if not case_ids or actor.user_id is None:
        return {}
    mark = func.coalesce(ReadMark.last_read_id, 0)
    query = (
        select(CaseMessage.case_id, func.count())
        .outerjoin(
            ReadMark,
            and_(ReadMark.case_id == CaseMessage.case_id, ReadMark.user_id == actor.user_id),
        )
        .where(CaseMessage.case_id.in_(case_ids), CaseMessage.id > mark)
        .group_by(CaseMessage.case_id)
    )
    if not coordinator:
        # Per case, the actor's vendor organizations there; one join instead of a standing
        # per case: VENDOR messages count only when addressed to one of the actor's orgs.
        orgs = sorted(actor.roles)
        query = query.where(
            or_(
                CaseMessage.audience.in_(["all", "vendors"]),
                and_(CaseMessage.audience == "vendor", CaseMessage.vendor_org_id.in_(orgs)),
            )
        )
    return dict(db.execute(query).all())


def embargo_passed(case: DisclosureCase, now: datetime | None = None) -> bool:
    """Whether the case's embargo has ended (False while none is set)."""
    return case.embargo_at is not None and (now or utcnow()) >= case.embargo_at
