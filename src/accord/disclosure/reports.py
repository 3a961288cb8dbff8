"""Reports: received from anyone, followed through a private link, triaged by the vendor or
the coordinators (invalid, spam, duplicate, or an ordinary question to the vendor)."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.disclosure import attachments, history, notices
from accord.disclosure.attachments import Upload
from accord.disclosure.models import (
    CaseStatus,
    CaseVendor,
    DisclosureCase,
)
from accord.disclosure.schemas import ReportCreate, TriageRequest
from accord.errors import Conflict, Forbidden, Message, NotFound
from accord.identity.credentials import digest, new_secret
from accord.identity.models import Organization
from accord.identity.policy import Actor, CaseStanding, may_manage_case
from accord.identity.ratelimit import RateLimiter
from accord.web.i18n import N_

TOKEN_PREFIX = "rpt_"  # noqa: S105 (a prefix, not a secret)
TARGET_WINDOW_SECONDS = 3600
SIMILAR = 0.6  # title similarity (difflib ratio) from which a report is hinted as a duplicate


@dataclass(frozen=True)
class Received:
    """A stored report and its private token (shown to the reporter once, never stored)."""

    case: DisclosureCase
    token: str


def target_org(db: Session, slug: str | None) -> Organization | None:
    """The organization a report names (a signatory or partner), or None: the coordinators."""
    if slug is None:
        return None
    org = db.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(Message(N_("no organization %(slug)s"), slug=slug), field="organization")
    return org


def submit(
    db: Session,
    *,
    data: ReportCreate,
    uploads: Sequence[Upload],
    settings: Settings,
    limiter: RateLimiter,
    language: str | None = None,
) -> Received:
    """Store a report from anyone; count it against its target's hourly limit. ``language``
    is the one of the page it was sent from, in which the reporter is emailed."""
    org = target_org(db, data.organization)
    bucket = f"disclosure.target:{org.slug if org else '-'}"
    limiter.check(
        bucket,
        limit=settings.disclosure_reports_per_target_per_hour,
        window_seconds=TARGET_WINDOW_SECONDS,
    )
    files = attachments.checked(uploads)
    token = new_secret(TOKEN_PREFIX)
    case = DisclosureCase(
        public_id=str(uuid.uuid4()),
        status=CaseStatus.REPORTED,
        target_org_id=org.id if org else None,
        title=data.title,
        product=data.product,
        purl=data.purl,
        versions=data.versions,
        description=data.description,
        steps=data.steps_to_reproduce,
        proof_of_concept=data.proof_of_concept,
        impact=data.impact,
        credit=data.credit,
        contact=data.contact,
        reporter_name=data.name,
        vendors_see_contact=data.vendors_see_contact,
        vendors_see_name=data.vendors_see_name,
        language=language,
        token_hash=digest(token),
    )
    db.add(case)
    db.flush()
    for file in files:
        file.case_id = case.id
        db.add(file)
    history.record(
        db,
        settings=settings,
        case=case,
        kind="report_received",
        actor_label="reporter",
        summary="Report received",
        details={"attachments": [f.sha256 for f in files]},
    )
    if org is not None:
        db.add(CaseVendor(case_id=case.id, organization_id=org.id))
        db.flush()
        history.record(
            db,
            settings=settings,
            case=case,
            kind="vendor_notified",
            actor_label="hub",
            summary=f"{org.name} invited",
            organization_id=org.id,
            details={"vendor": org.slug},
        )
    notices.report_received(db, settings=settings, case=case)
    return Received(case=case, token=token)


def by_token(db: Session, token: str) -> DisclosureCase:
    """The report a private link opens; NotFound for any other token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise NotFound(N_("this report link is unknown"), field="token")
    case = db.scalar(select(DisclosureCase).where(DisclosureCase.token_hash == digest(token)))
    if case is None:
        raise NotFound(N_("this report link is unknown"), field="token")
    return case


@dataclass(frozen=True)
class Hint:
    """Another report that may be the same one."""

    public_id: str
    ref: str | None
    title: str
    status: CaseStatus
    similarity: float


def duplicate_hints(db: Session, *, case: DisclosureCase, limit: int = 5) -> list[Hint]:
    """For a report awaiting triage: earlier reports to the same target about the same package
    or product with a similar title, most similar first. Reads five short columns of at most
    200 candidates, whatever the case's size."""
    if case.status is not CaseStatus.REPORTED:
        return []
    same_thing = [DisclosureCase.product == case.product]
    if case.purl:
        base = case.purl.split("@", 1)[0]
        same_thing += [DisclosureCase.purl == case.purl, DisclosureCase.purl.like(f"{base}@%")]
    target = (
        DisclosureCase.target_org_id.is_(None)
        if case.target_org_id is None
        else DisclosureCase.target_org_id == case.target_org_id
    )
    query = (
        select(
            DisclosureCase.public_id,
            DisclosureCase.ref,
            DisclosureCase.title,
            DisclosureCase.status,
        )
        .where(
            DisclosureCase.id != case.id,
            DisclosureCase.created_at <= case.created_at,
            target,
            or_(*same_thing),
            DisclosureCase.status != CaseStatus.SPAM,
        )
        .order_by(DisclosureCase.id.desc())
        .limit(200)
    )
    title = case.title.lower()
    hints = []
    for public_id, ref, other, status in db.execute(query).all():
        score = round(difflib.SequenceMatcher(None, title, other.lower()).ratio(), 2)
        if score >= SIMILAR:
            hints.append(Hint(public_id, ref, other, status, score))
    hints.sort(key=lambda hint: -hint.similarity)
    return hints[:limit]


def triage(
    db: Session,
    *,
    case: DisclosureCase,
    standing: CaseStanding,
    data: TriageRequest,
    actor: Actor,
    settings: Settings,
) -> DisclosureCase:
    """Close a report as invalid, spam or a duplicate (of a case the actor may see), or turn
    it into a question."""
    from accord.disclosure import cases  # cases builds on reports; only this step looks back

    if not may_manage_case(standing):
        raise Forbidden(N_("only the vendor or a coordinator may triage a report"))
    if case.status is not CaseStatus.REPORTED:
        raise Conflict(
            Message(
                N_("only a new report can be triaged; this one is %(status)s"), status=case.status
            ),
            field="action",
        )
    details: dict[str, object] = {"action": data.action, "reason": data.reason}
    if data.action == "duplicate":
        if not data.duplicate_of:
            raise NotFound(N_("no report to be a duplicate of"), field="duplicate_of")
        # Looked up with the actor's rights: naming a case one cannot see reveals nothing.
        try:
            original = cases.load(db, data.duplicate_of, actor=actor, settings=settings).case
        except NotFound:
            raise NotFound(
                Message(N_("no case %(duplicate_of)s"), duplicate_of=data.duplicate_of),
                field="duplicate_of",
            ) from None
        if original.id == case.id:
            raise Conflict(N_("a report cannot duplicate itself"), field="duplicate_of")
        case.duplicate_of_id = original.id
        details["duplicate_of"] = original.ref or original.public_id
    case.status = CaseStatus(data.action)
    case.triage_reason = data.reason
    case.updated_at = utcnow()
    history.record(
        db,
        settings=settings,
        case=case,
        kind="triaged",
        actor_label=actor.label,
        summary=f"Marked {data.action}: {data.reason}",
        details=details,
    )
    notices.to_reporter(db, settings=settings, case=case, what=N_("A decision"))
    if data.action == "question":
        notices.to_case(
            db, settings=settings, case=case, kind="question", what=N_("A report became a question")
        )
    return case
