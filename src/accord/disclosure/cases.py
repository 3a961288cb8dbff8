"""Cases: finding one with the actor's standing, opening a report as a case, the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.advisories.models import Advisory
from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import history, notices, parties
from accord.disclosure.models import (
    CaseSequence,
    CaseStatus,
    DisclosureCase,
)
from accord.errors import N_, Conflict, Forbidden, Message, NotFound
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
        raise NotFound(Message(N_("no case %(ident)s"), ident=ident), field="case_id")
    standing = parties.standing_of(db, actor=actor, case=case, settings=settings)
    if not standing.participant:
        raise NotFound(Message(N_("no case %(ident)s"), ident=ident), field="case_id")
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
        raise Forbidden(N_("only the vendor or a coordinator may open a case"))
    if case.status is not CaseStatus.REPORTED:
        raise Conflict(
            Message(
                N_("only a new report can be opened; this one is %(status)s"),
                status=case.status.value,
            ),
            field="case_id",
        )
    now = utcnow()
    case.number, case.ref = next_ref(db, now.year, advisory_prefix=settings.advisory_id_prefix)
    case.year = now.year
    case.status = CaseStatus.OPEN
    case.opened_at = case.updated_at = now
    # Vulnerability 1 is the report's; coordinators add the others (a cycle at import time).
    from accord.disclosure.vulnerabilities import first_of

    first_of(db, case)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="case_opened",
        actor_label=actor.label,
        summary=f"Opened as case {case.ref}",
        details={"ref": case.ref},
    )
    notices.to_case(db, settings=settings, case=case, kind="opened", what=N_("A case was opened"))
    notices.to_reporter(db, settings=settings, case=case, what=N_("A case was opened"))
    return case


def touch(case: DisclosureCase) -> None:
    """Note activity on the case (the inbox sorts by it)."""
    case.updated_at = utcnow()


def embargo_passed(case: DisclosureCase, now: datetime | None = None) -> bool:
    """Whether the case's embargo has ended (False while none is set)."""
    return case.embargo_at is not None and (now or utcnow()) >= case.embargo_at
