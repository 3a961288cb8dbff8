"""The disclosure API under /api/v1/disclosure for participants with accounts: cases.

Reporters follow their reports through :mod:`accord.disclosure.reporter_routes`. Everyone
else signs in with a bearer token; the policy's per-case functions then decide what each
participant may do, and anyone not taking part in a case gets 404 (its existence stays hidden).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.disclosure import (
    attachments,
    cases,
    closing,
    embargo,
    history,
    messages,
    publishing,
    reports,
    timezones,
    vendors,
    views,
)
from accord.disclosure.inbox import View
from accord.disclosure.inbox import inbox as inbox_rows
from accord.disclosure.models import CaseStatus, DisclosureCase
from accord.disclosure.schemas import (
    CaseRead,
    CloseRequest,
    EmbargoAcceptance,
    EmbargoProposal,
    EventProof,
    EventRead,
    Inbox,
    InboxItem,
    MessageCreate,
    MessagePage,
    MessageRead,
    PublishRequest,
    ReadMarkUpdate,
    TimeZoneUpdate,
    TriageRequest,
    VendorCandidateRead,
    VendorInvite,
    VendorRead,
    VendorStatusUpdate,
)
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.transparency.batching import Publications
from accord.web.deps import DbSession, SettingsDep, guard

router = APIRouter(prefix="/disclosure", tags=["disclosure"])

Reading = Annotated[Actor, guard(Action.DISCLOSURE_READ)]
Writing = Annotated[Actor, guard(Action.DISCLOSURE_WRITE)]
CaseId = Annotated[str, Path(max_length=64)]
Slug = Annotated[str, Path(max_length=64)]


# -- inbox and cases -------------------------------------------------------------------------


@router.get("/inbox", response_model=Inbox)
def inbox(
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    view: View = View.OPEN,
) -> Inbox:
    """Reports and cases you take part in (``view``: open, waiting on you, embargo ending
    within a week, closed or published, all), with your unread message counts."""
    rows, total = inbox_rows(
        db, actor=actor, settings=settings, view=view, page=page, per_page=per_page
    )
    items = [
        InboxItem(
            id=row.case.public_id,
            ref=row.case.ref,
            status=row.case.status,
            title=row.case.title,
            organization=row.organization_slug,
            organization_name=row.organization,
            phase=row.phase.value,
            triage_reason=row.case.triage_reason,
            close_reason=row.case.close_reason,
            inactive=row.inactive,
            embargo_at=row.case.embargo_at,
            updated_at=row.case.updated_at,
            unread=row.unread,
        )
        for row in rows
    ]
    return Inbox(items=items, total=total, page=page, per_page=per_page, view=view.value)


def _load(
    db: Session, case_id: str, actor: Actor, settings: Settings, *, write: bool
) -> cases.CaseAccess:
    return cases.load(db, case_id, actor=actor, settings=settings, for_update=write)


@router.get("/cases/{case_id}", response_model=CaseRead)
def get_case(case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Reading) -> CaseRead:
    """A report or case (by ACCORD id or report id), as you may see it."""
    access = _load(db, case_id, actor, settings, write=False)
    return views.case_read(db, access.case, access.standing, settings=settings)


@router.post("/cases/{case_id}/open", response_model=CaseRead)
def open_case(case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Writing) -> CaseRead:
    """Turn a report into a case with an ACCORD id (its vendor or a coordinator)."""
    access = _load(db, case_id, actor, settings, write=True)
    cases.open_case(db, access=access, actor=actor, settings=settings)
    return views.case_read(db, access.case, access.standing, settings=settings)


@router.post("/cases/{case_id}/triage", response_model=CaseRead)
def triage(
    case_id: CaseId, data: TriageRequest, db: DbSession, settings: SettingsDep, actor: Writing
) -> CaseRead:
    """Mark a report invalid, spam or a duplicate (with a reason), or make it a question."""
    access = _load(db, case_id, actor, settings, write=True)
    reports.triage(
        db,
        case=access.case,
        standing=access.standing,
        data=data,
        actor=actor,
        settings=settings,
    )
    return views.case_read(db, access.case, access.standing, settings=settings)


@router.post("/cases/{case_id}/close", response_model=CaseRead)
def close_case(
    case_id: CaseId, data: CloseRequest, db: DbSession, settings: SettingsDep, actor: Writing
) -> CaseRead:
    """Close an open case without publishing it, with a reason (coordinators); it becomes
    read-only until reopened."""
    access = _load(db, case_id, actor, settings, write=True)
    closing.close(db, access=access, data=data, actor=actor, settings=settings)
    return views.case_read(db, access.case, access.standing, settings=settings)


@router.post("/cases/{case_id}/reopen", response_model=CaseRead)
def reopen_case(case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Writing) -> CaseRead:
    """Reopen a closed case (coordinators)."""
    access = _load(db, case_id, actor, settings, write=True)
    closing.reopen(db, access=access, actor=actor, settings=settings)
    return views.case_read(db, access.case, access.standing, settings=settings)


@router.get("/cases/{case_id}/vendor-candidates", response_model=list[VendorCandidateRead])
def vendor_candidates(
    case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Reading
) -> list[VendorCandidateRead]:
    """Organizations that declare the report's package or published advisories on it, not
    yet invited, each with the reasons."""
    access = _load(db, case_id, actor, settings, write=False)
    return [
        VendorCandidateRead(
            organization=c.organization.slug, name=c.organization.name, reasons=list(c.reasons)
        )
        for c in vendors.candidates(db, case=access.case)
    ]


@router.post("/cases/{case_id}/vendors", response_model=VendorRead, status_code=201)
def invite_vendor(
    case_id: CaseId, data: VendorInvite, db: DbSession, settings: SettingsDep, actor: Writing
) -> VendorRead:
    """Invite an organization to the case as a vendor."""
    access = _load(db, case_id, actor, settings, write=True)
    vendor = vendors.invite(
        db, access=access, slug=data.organization, actor=actor, settings=settings
    )
    return _vendor_read(db, access.case, vendor.organization_id)


def _vendor_read(db: Session, case: DisclosureCase, org_id: int) -> VendorRead:
    slug = db.scalar(select(Organization.slug).where(Organization.id == org_id))
    return next(v for v in views.vendor_list(db, case) if v.organization == slug)


@router.put("/cases/{case_id}/vendors/{slug}/status", response_model=VendorRead)
def vendor_status(
    case_id: CaseId,
    slug: Slug,
    data: VendorStatusUpdate,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
) -> VendorRead:
    """State a vendor's status: not affected needs a VEX justification, fixed the versions."""
    access = _load(db, case_id, actor, settings, write=True)
    vendor = vendors.set_status(
        db, access=access, slug=slug, data=data, actor=actor, settings=settings
    )
    return _vendor_read(db, access.case, vendor.organization_id)


@router.put("/cases/{case_id}/embargo", response_model=CaseRead)
def propose_embargo(
    case_id: CaseId, data: EmbargoProposal, db: DbSession, settings: SettingsDep, actor: Writing
) -> CaseRead:
    """Propose the publication moment (stored in UTC); every vendor must accept it anew."""
    access = _load(db, case_id, actor, settings, write=True)
    embargo.propose(
        db,
        access=access,
        embargo_at=data.embargo_at,
        reason=data.reason,
        actor=actor,
        settings=settings,
    )
    return views.case_read(db, access.case, access.standing, settings=settings)


@router.post("/cases/{case_id}/vendors/{slug}/accept-embargo", response_model=VendorRead)
def accept_embargo(
    case_id: CaseId,
    slug: Slug,
    data: EmbargoAcceptance,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
) -> VendorRead:
    """Accept the embargo now proposed, for this vendor."""
    access = _load(db, case_id, actor, settings, write=True)
    vendor = embargo.accept(
        db, access=access, slug=slug, embargo_at=data.embargo_at, actor=actor, settings=settings
    )
    return _vendor_read(db, access.case, vendor.organization_id)


@router.post("/cases/{case_id}/vendors/{slug}/agree-release", response_model=VendorRead)
def agree_release(
    case_id: CaseId, slug: Slug, db: DbSession, settings: SettingsDep, actor: Writing
) -> VendorRead:
    """Agree, for this vendor, that the case may be published before the embargo ends."""
    access = _load(db, case_id, actor, settings, write=True)
    vendor = embargo.agree_release(db, access=access, slug=slug, actor=actor, settings=settings)
    return _vendor_read(db, access.case, vendor.organization_id)


@router.get("/cases/{case_id}/messages", response_model=MessagePage)
def case_messages(
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
    before: Annotated[DbInt | None, Query(ge=1)] = None,
) -> MessagePage:
    """The newest messages you may read (100 a page; ``before`` pages back)."""
    access = _load(db, case_id, actor, settings, write=False)
    rows, more = messages.page(db, case=access.case, standing=access.standing, before=before)
    assert actor.user_id is not None
    unread = messages.unread(db, case=access.case, standing=access.standing, user_id=actor.user_id)
    return MessagePage(messages=views.message_reads(db, rows), unread=unread, next_before=more)


@router.post("/cases/{case_id}/messages", response_model=MessageRead, status_code=201)
def post_message(
    case_id: CaseId, data: MessageCreate, request: Request, settings: SettingsDep, actor: Writing
) -> MessageRead:
    """Write to everyone, the reporter, one vendor, the vendors, or the coordinators."""

    def post(db: Session) -> MessageRead:
        access = _load(db, case_id, actor, settings, write=True)
        message = messages.post_as(db, settings=settings, access=access, actor=actor, data=data)
        return views.message_reads(db, [message])[0]

    # A message is a publication through the log: posts arriving together share a commit,
    # each answered once the commit that holds its entry is done (transparency.batching).
    publications: Publications = request.app.state.publications
    return publications.run(post)


@router.put("/cases/{case_id}/read", response_model=ReadMarkUpdate)
def mark_read(
    case_id: CaseId, data: ReadMarkUpdate, db: DbSession, settings: SettingsDep, actor: Writing
) -> ReadMarkUpdate:
    """Mark the case's messages read up to ``last_read_id`` (a mark never moves back)."""
    access = _load(db, case_id, actor, settings, write=False)
    assert actor.user_id is not None
    mark = messages.mark_read(
        db, case=access.case, user_id=actor.user_id, last_read_id=data.last_read_id
    )
    return ReadMarkUpdate(last_read_id=mark)


@router.get("/cases/{case_id}/history", response_model=list[EventRead])
def case_history(
    case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Reading
) -> list[EventRead]:
    """The case's history as you may see it, each entry with its log index."""
    access = _load(db, case_id, actor, settings, write=False)
    return views.event_reads(history.events(db, case=access.case, standing=access.standing))


@router.get("/cases/{case_id}/history/{seq}", response_model=EventProof)
def case_proof(
    case_id: CaseId,
    seq: Annotated[DbInt, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
) -> dict[str, Any]:
    """An event's document and the log bundle proving the hub recorded it then."""
    access = _load(db, case_id, actor, settings, write=False)
    return history.proof(db, case=access.case, standing=access.standing, seq=seq, settings=settings)


@router.get("/cases/{case_id}/attachments/{attachment_id}", response_class=Response)
def case_attachment(
    case_id: CaseId,
    attachment_id: Annotated[DbInt, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
) -> Response:
    """One of the report's attachments, as a download (participants only)."""
    access = _load(db, case_id, actor, settings, write=False)
    return attachments.download(attachments.get(db, case=access.case, attachment_id=attachment_id))


@router.post("/cases/{case_id}/publish", status_code=201)
def publish(
    case_id: CaseId,
    data: PublishRequest,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
) -> dict[str, Any]:
    """Publish advisories from the case, one per vulnerability (coordinators', or an
    affected vendor's own; after the embargo, or earlier when every vendor that may be
    affected agreed). Answers the first advisory's id and where to read it, and the ids of
    all it published (``advisories``)."""
    access = _load(db, case_id, actor, settings, write=True)
    published = publishing.publish_vulnerabilities(
        db, access=access, data=data, actor=actor, settings=settings
    )
    advisory = published[0]
    return {
        "advisory_id": advisory.osv_id,
        "advisories": [a.osv_id for a in published],
        "status": CaseStatus.PUBLISHED.value,
        "osv": f"/v1/vulns/{advisory.osv_id}",
        "csaf": f"/api/v1/advisories/{advisory.osv_id}/formats/csaf",
        "cve": f"/api/v1/advisories/{advisory.osv_id}/formats/cve",
    }


@router.put("/time-zone", response_model=TimeZoneUpdate)
def set_time_zone(data: TimeZoneUpdate, db: DbSession, actor: Writing) -> TimeZoneUpdate:
    """Keep the time zone in which your disclosure pages show dates."""
    assert actor.user_id is not None
    zone = timezones.set_preference(db, user_id=actor.user_id, name=data.time_zone)
    return TimeZoneUpdate(time_zone=zone)
