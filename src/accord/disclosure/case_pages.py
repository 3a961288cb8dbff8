"""Disclosure pages for vendors and coordinators: the inbox and the case page with its forms.

The actions go through the same services as the API; a refused action shows the error page
with the reason, a successful one returns to the case page (303).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.disclosure import (
    attachments,
    cases,
    embargo,
    history,
    messages,
    publishing,
    reports,
    timezones,
    vendors,
    views,
)
from accord.disclosure.models import Audience, CaseStatus, VendorStatus
from accord.disclosure.pages import (
    STATUS_TEXT,
    CaseId,
    Reading,
    Text,
    Writing,
    back_to_case,
    json_download,
    viewer_zone,
)
from accord.disclosure.schemas import (
    EmbargoAcceptance,
    EmbargoProposal,
    MessageCreate,
    PublishRequest,
    TriageRequest,
    VendorStatusUpdate,
)
from accord.errors import InvalidInput, invalid_from, validated
from accord.identity.policy import Actor
from accord.limits import DbInt
from accord.registry.forms import filled
from accord.web.deps import DbSession, SettingsDep
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


# -- inbox and case page ---------------------------------------------------------------------


@router.get("/disclosure", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Open reports and cases you take part in, with unread counts."""
    rows, total = cases.inbox(db, actor=actor, settings=settings, page=page, per_page=50)
    return render(
        request,
        "disclosure/inbox.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "per_page": 50,
            "zone": viewer_zone(request, db, actor),
            "show": timezones.show,
        },
    )


@router.get("/disclosure/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
    before: Annotated[DbInt | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """A case: status per vendor, the embargo in your zone, messages and history."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    case, standing = access.case, access.standing
    rows, more = messages.page(db, case=case, standing=standing, before=before)
    assert actor.user_id is not None
    read_up_to = messages.last_read(db, case=case, user_id=actor.user_id)
    vendor_rows = views.vendor_list(db, case)
    mine = {v.organization for v in vendor_rows} & set(views._slugs(db, standing.vendor_org_ids))
    return render(
        request,
        "disclosure/case.html",
        {
            "case": case,
            "standing": standing,
            "vendors": vendor_rows,
            "my_vendors": sorted(mine),
            "candidates": vendors.candidates(db, case=case) if standing.coordinator else [],
            "hints": reports.duplicate_hints(db, case=case),
            "attachments": views.attachment_list(db, case),
            "messages": views.message_reads(db, rows),
            "read_up_to": read_up_to,
            "newest": rows[-1].id if rows else 0,
            "older": more,
            "events": history.events(db, case=case, standing=standing, limit=100),
            "zone": viewer_zone(request, db, actor),
            "zones": timezones.names(),
            "show": timezones.show,
            "status_text": STATUS_TEXT,
            "statuses": list(VendorStatus),
            "justifications": [j.value for j in _justifications()],
            "audiences": list(Audience),
            "publishable": case.status is CaseStatus.OPEN,
        },
    )


def _justifications() -> list[Any]:
    from accord.advisories.formats.meta import VexJustification

    return list(VexJustification)


def _write(db: Session, case_id: str, actor: Actor, settings: Settings) -> cases.CaseAccess:
    return cases.load(db, case_id, actor=actor, settings=settings, for_update=True)


@router.post("/disclosure/cases/{case_id}/open")
def open_page(
    case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Writing
) -> RedirectResponse:
    """Open the report as a case."""
    access = _write(db, case_id, actor, settings)
    return back_to_case(cases.open_case(db, access=access, actor=actor, settings=settings))


@router.post("/disclosure/cases/{case_id}/triage")
def triage_page(
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    action: Annotated[str, Form(max_length=20)] = "",
    reason: Text = "",
    duplicate_of: Annotated[str, Form(max_length=64)] = "",
) -> RedirectResponse:
    """Close the report as invalid, spam or duplicate, or make it a question."""
    access = _write(db, case_id, actor, settings)
    data = validated(
        TriageRequest, filled({"action": action, "reason": reason, "duplicate_of": duplicate_of})
    )
    reports.triage(
        db,
        case=access.case,
        standing=access.standing,
        data=data,
        actor=actor,
        settings=settings,
    )
    return back_to_case(access.case)


@router.post("/disclosure/cases/{case_id}/vendors")
def invite_page(
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    organization: Annotated[str, Form(max_length=64)] = "",
) -> RedirectResponse:
    """Invite an organization as a vendor."""
    access = _write(db, case_id, actor, settings)
    if not organization:
        raise InvalidInput("organization: choose an organization", field="organization")
    vendors.invite(db, access=access, slug=organization, actor=actor, settings=settings)
    return back_to_case(access.case)


def _lines(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


@router.post("/disclosure/cases/{case_id}/vendor-answer")
def answer_page(
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    vendor: Annotated[str, Form(max_length=64)] = "",
    answer: Annotated[str, Form(max_length=20)] = "status",
    status: Annotated[str, Form(max_length=20)] = "",
    justification: Annotated[str, Form(max_length=60)] = "",
    statement: Text = "",
    purl: Annotated[str, Form(max_length=500)] = "",
    affected_versions: Annotated[str, Form(max_length=5000)] = "",
    fixed_versions: Annotated[str, Form(max_length=5000)] = "",
    embargo_at: Annotated[str, Form(max_length=40)] = "",
) -> RedirectResponse:
    """A vendor's answer (or a coordinator's on its behalf): its status, its acceptance of
    the embargo shown, or its agreement to publish before the embargo."""
    access = _write(db, case_id, actor, settings)
    if answer == "accept-embargo":
        accepted = validated(EmbargoAcceptance, {"embargo_at": embargo_at})
        embargo.accept(
            db,
            access=access,
            slug=vendor,
            embargo_at=accepted.embargo_at,
            actor=actor,
            settings=settings,
        )
    elif answer == "agree-release":
        embargo.agree_release(db, access=access, slug=vendor, actor=actor, settings=settings)
    elif answer == "status":
        fields: dict[str, Any] = filled(
            {"status": status, "justification": justification, "statement": statement, "purl": purl}
        )
        fields["affected_versions"] = _lines(affected_versions)
        fields["fixed_versions"] = _lines(fixed_versions)
        data = validated(VendorStatusUpdate, fields)
        vendors.set_status(
            db, access=access, slug=vendor, data=data, actor=actor, settings=settings
        )
    else:
        raise InvalidInput("answer: status, accept-embargo or agree-release", field="answer")
    return back_to_case(access.case)


def _moment(request: Request, db: Session, actor: Actor, text: str) -> str:
    zone = viewer_zone(request, db, actor)
    return timezones.parse_local(text, zone, field="embargo_at").isoformat()


@router.post("/disclosure/cases/{case_id}/embargo")
def embargo_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    embargo_at: Annotated[str, Form(max_length=40)] = "",
    reason: Text = "",
) -> RedirectResponse:
    """Propose an embargo, entered in the viewer's zone."""
    access = _write(db, case_id, actor, settings)
    if not embargo_at:
        raise InvalidInput("embargo_at: enter a date and time", field="embargo_at")
    data = validated(
        EmbargoProposal, {"embargo_at": _moment(request, db, actor, embargo_at), "reason": reason}
    )
    embargo.propose(
        db,
        access=access,
        embargo_at=data.embargo_at,
        reason=data.reason,
        actor=actor,
        settings=settings,
    )
    return back_to_case(access.case)


@router.post("/disclosure/cases/{case_id}/messages")
def message_page(
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    body: Text = "",
    audience: Annotated[str, Form(max_length=20)] = "all",
    vendor: Annotated[str, Form(max_length=64)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    """Post a message."""
    access = _write(db, case_id, actor, settings)
    data = validated(
        MessageCreate,
        filled({"body": body, "audience": audience, "vendor": vendor, "parent_id": parent_id}),
    )
    messages.post_as(db, settings=settings, access=access, actor=actor, data=data)
    return back_to_case(access.case)


@router.post("/disclosure/cases/{case_id}/read")
def read_page(
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    last_read_id: Annotated[int, Form(ge=0)] = 0,
) -> RedirectResponse:
    """Mark the messages shown as read."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    assert actor.user_id is not None
    messages.mark_read(db, case=access.case, user_id=actor.user_id, last_read_id=last_read_id)
    return back_to_case(access.case)


@router.post("/disclosure/cases/{case_id}/publish")
def publish_page(
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    summary: Annotated[str, Form(max_length=200)] = "",
    cvss_v3: Annotated[str, Form(max_length=300)] = "",
    cwe_ids: Annotated[str, Form(max_length=500)] = "",
    cve_id: Annotated[str, Form(max_length=30)] = "",
) -> RedirectResponse:
    """Publish the case's advisory and go to it."""
    access = _write(db, case_id, actor, settings)
    fields: dict[str, Any] = filled({"summary": summary, "cvss_v3": cvss_v3, "cve_id": cve_id})
    fields["cwe_ids"] = _lines(cwe_ids)
    try:
        data = PublishRequest.model_validate(fields)
    except ValidationError as exc:
        raise invalid_from(exc) from None
    advisory = publishing.publish_case(db, access=access, data=data, actor=actor, settings=settings)
    return RedirectResponse(f"/advisories/{advisory.osv_id}", status_code=303)


@router.get("/disclosure/cases/{case_id}/attachments/{attachment_id}", response_class=Response)
def attachment_page(
    case_id: CaseId,
    attachment_id: Annotated[DbInt, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
) -> Response:
    """An attachment, as a download."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    return attachments.download(attachments.get(db, case=access.case, attachment_id=attachment_id))


@router.get("/disclosure/cases/{case_id}/history/{seq}", response_class=Response)
def proof_page(
    case_id: CaseId,
    seq: Annotated[DbInt, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
) -> Response:
    """An event's document and log bundle, as a JSON download."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    found = history.proof(
        db, case=access.case, standing=access.standing, seq=seq, settings=settings
    )
    return json_download(found, f"{access.case.ref or access.case.public_id}-event-{seq}.json")
