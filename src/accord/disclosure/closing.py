"""Closing an opened case without publishing it (with a reason), and reopening it.

Reports are closed at triage (:mod:`accord.disclosure.reports`); a case that was opened ends
either published or closed here by a coordinator. A closed case is read-only: no messages, no
invitations, no answers, until a coordinator reopens it.

"Inactive" is not a state anyone sets: an open report or case is inactive when nothing has
happened in it for ``Settings.disclosure_inactive_days`` (see ``inactive``), so the mark can
never go stale.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import history, notices, parties
from accord.disclosure.cases import CaseAccess, touch
from accord.disclosure.models import OPEN_STATUSES, CaseStatus, CloseReason, DisclosureCase
from accord.disclosure.schemas import CloseRequest
from accord.errors import N_, Conflict, Forbidden, Message
from accord.identity import audit
from accord.identity.policy import Actor, may_close_case

REASON_TEXT = {
    CloseReason.FIXED_NO_ADVISORY: N_("fixed without an advisory"),
    CloseReason.NOT_A_VULNERABILITY: N_("not a vulnerability"),
    CloseReason.DUPLICATE: N_("a duplicate"),
    CloseReason.WITHDRAWN: N_("withdrawn by the reporter"),
    CloseReason.OTHER: N_("other"),
}


def inactive(case: DisclosureCase, *, days: int, now: datetime | None = None) -> bool:
    """Whether an open report or case has seen no activity for ``days`` days
    (``Settings.disclosure_inactive_days``)."""
    return case.status in OPEN_STATUSES and (now or utcnow()) - case.updated_at >= timedelta(
        days=days
    )


def close(
    db: Session, *, access: CaseAccess, data: CloseRequest, actor: Actor, settings: Settings
) -> DisclosureCase:
    """Close an open case with a reason (coordinators), recorded in its history and the
    audit log, and told to its participants."""
    case = access.case
    if not may_close_case(access.standing):
        raise Forbidden(N_("only a coordinator may close a case"))
    if case.status is not CaseStatus.OPEN:
        raise Conflict(
            Message(
                N_("only an open case can be closed; this one is %(status)s"),
                status=case.status.value,
            ),
            field="case_id",
        )
    case.status = CaseStatus.CLOSED
    case.close_reason = data.reason
    case.triage_reason = data.note
    case.closed_at = utcnow()
    touch(case)
    _record(db, settings, case, actor, kind="case_closed", details={"reason": data.reason.value})
    return case


def reopen(db: Session, *, access: CaseAccess, actor: Actor, settings: Settings) -> DisclosureCase:
    """Reopen a closed case (coordinators); its history keeps why it had been closed."""
    case = access.case
    if not may_close_case(access.standing):
        raise Forbidden(N_("only a coordinator may reopen a case"))
    if case.status is not CaseStatus.CLOSED:
        raise Conflict(
            Message(
                N_("only a closed case can be reopened; this one is %(status)s"),
                status=case.status.value,
            )
        )
    reason = case.close_reason
    case.status = CaseStatus.OPEN
    case.close_reason = None
    case.triage_reason = ""
    case.closed_at = None
    touch(case)
    _record(
        db,
        settings,
        case,
        actor,
        kind="case_reopened",
        details={"was": reason.value if reason else None},
    )
    return case


def _record(
    db: Session,
    settings: Settings,
    case: DisclosureCase,
    actor: Actor,
    *,
    kind: str,
    details: dict[str, str | None],
) -> None:
    if kind == "case_closed":
        assert case.close_reason is not None
        summary = f"Closed: {REASON_TEXT[case.close_reason]}"
        if case.triage_reason:
            summary = f"{summary} ({case.triage_reason})"[:500]
        details = {**details, "note": case.triage_reason}
    else:
        summary = "Reopened"
    history.record(
        db,
        settings=settings,
        case=case,
        kind=kind,
        actor_label=actor.label,
        summary=summary,
        details=details,
    )
    audit.record(
        db,
        actor=actor,
        action=f"disclosure.{kind}",
        target=case.ref or case.public_id,
        organization_id=parties.coordinator_org_id(db, settings),
        details=details,
    )
    what = N_("The case was closed") if kind == "case_closed" else N_("The case was reopened")
    notices.to_case(db, settings=settings, case=case, kind=kind.removeprefix("case_"), what=what)
    notices.to_reporter(db, settings=settings, case=case, what=what)
