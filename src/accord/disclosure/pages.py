"""Disclosure pages: the public report form, the reporter's private page, the inbox and the
case page with its forms. Every form carries the CSRF token; the pages run no inline script.

The actions go through the same services as the API; a refused action shows the error page
with the reason, a successful one returns to the case page (303).
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
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
from accord.disclosure.routes import ReportIntake, report_link
from accord.disclosure.schemas import (
    EmbargoAcceptance,
    EmbargoProposal,
    MessageCreate,
    PublishRequest,
    ReportCreate,
    ReporterMessageCreate,
    TriageRequest,
    VendorStatusUpdate,
)
from accord.errors import InvalidInput, invalid_from, validated
from accord.identity.models import Organization
from accord.identity.policy import REPORTER, Action, Actor
from accord.registry.forms import field_errors, filled
from accord.web.deps import DbSession, Limiter, SettingsDep, guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Reporting = Annotated[Actor, guard(Action.DISCLOSURE_REPORT)]
Following = Annotated[Actor, guard(Action.DISCLOSURE_FOLLOW)]
Reading = Annotated[Actor, guard(Action.DISCLOSURE_READ)]
Writing = Annotated[Actor, guard(Action.DISCLOSURE_WRITE)]
CaseId = Annotated[str, Path(max_length=64)]
Slug = Annotated[str, Path(max_length=64)]
Text = Annotated[str, Form(max_length=50_000)]
Token = Annotated[str, Form(max_length=100)]
STATUS_TEXT = {s: vendors.status_text(s) for s in VendorStatus}


def _zone(request: Request, db: Session, actor: Actor) -> str:
    return timezones.viewer_zone(
        db, user_id=actor.user_id, cookie=request.cookies.get(timezones.COOKIE)
    )


def _back(case: Any) -> RedirectResponse:
    return RedirectResponse(f"/disclosure/cases/{case.ref or case.public_id}", status_code=303)


def _targets(db: Session) -> list[Organization]:
    return list(db.scalars(select(Organization).order_by(Organization.name)))


# -- reporting -------------------------------------------------------------------------------


def _report_form(
    request: Request, db: Session, *, values: dict[str, str], errors: dict[str, str], status: int
) -> HTMLResponse:
    return render(
        request,
        "disclosure/report.html",
        {
            "targets": _targets(db),
            "values": values,
            "errors": errors,
            "types": sorted(attachments.ALLOWED),
            "max_bytes": attachments.MAX_BYTES,
        },
        status=status,
    )


@router.get("/disclosure/report", response_class=HTMLResponse)
def report_form(request: Request, db: DbSession, _: Reporting) -> HTMLResponse:
    """The public form to report a vulnerability; no account needed."""
    return _report_form(request, db, values={}, errors={}, status=200)


def report_fields(  # one parameter per field of the form
    organization: Annotated[str, Form(max_length=64)] = "",
    title: Annotated[str, Form(max_length=500)] = "",
    product: Annotated[str, Form(max_length=500)] = "",
    purl: Annotated[str, Form(max_length=600)] = "",
    versions: Annotated[str, Form(max_length=600)] = "",
    description: Text = "",
    steps_to_reproduce: Text = "",
    proof_of_concept: Text = "",
    impact: Text = "",
    credit: Annotated[str, Form(max_length=500)] = "",
    contact: Annotated[str, Form(max_length=500)] = "",
) -> dict[str, str]:
    """The report form's fields as typed (to validate, and to show again)."""
    return {
        "organization": organization,
        "title": title,
        "product": product,
        "purl": purl,
        "versions": versions,
        "description": description,
        "steps_to_reproduce": steps_to_reproduce,
        "proof_of_concept": proof_of_concept,
        "impact": impact,
        "credit": credit,
        "contact": contact,
    }


@router.post("/disclosure/report", response_class=HTMLResponse)
def report(
    _: ReportIntake,
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    limiter: Limiter,
    __: Reporting,
    values: Annotated[dict[str, str], Depends(report_fields)],
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> HTMLResponse:
    """Store the report and show the private link, once."""
    try:
        data = ReportCreate.model_validate(filled(values))
    except ValidationError as exc:
        return _report_form(request, db, values=values, errors=field_errors(exc), status=422)
    uploads = [
        reports.Upload(
            upload.filename, upload.content_type or "", upload.file.read(attachments.MAX_BYTES + 1)
        )
        for upload in files or []
        if upload.filename  # an empty file input sends a nameless part
    ]
    received = reports.submit(db, data=data, uploads=uploads, settings=settings, limiter=limiter)
    return render(
        request,
        "disclosure/received.html",
        {"case": received.case, "link": report_link(settings, received.token)},
        status=201,
    )


def _reporter_page(request: Request, db: Session, token: str, actor: Actor) -> HTMLResponse:
    case = reports.by_token(db, token)
    rows, _ = messages.page(db, case=case, standing=REPORTER)
    return render(
        request,
        "disclosure/follow.html",
        {
            "case": case,
            "view": views.reporter_view(db, case),
            "messages": views.message_reads(db, rows),
            "events": history.events(db, case=case, standing=REPORTER),
            "token": token,
            "zone": _zone(request, db, actor),
            "zones": timezones.names(),
            "show": timezones.show,
            "status_text": STATUS_TEXT,
        },
    )


@router.get("/disclosure/follow", response_class=HTMLResponse)
def follow(
    request: Request,
    db: DbSession,
    actor: Following,
    token: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The reporter's private page: status, vendors, embargo, messages and history."""
    return _reporter_page(request, db, token, actor)


@router.post("/disclosure/follow/messages")
def follow_message(
    db: DbSession,
    settings: SettingsDep,
    _: Following,
    token: Token = "",
    body: Text = "",
    audience: Annotated[str, Form(max_length=20)] = "all",
    parent_id: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    """The reporter answers or adds something."""
    case = reports.by_token(db, token)
    data = validated(
        ReporterMessageCreate, filled({"body": body, "audience": audience, "parent_id": parent_id})
    )
    locked = cases.find(db, case.public_id, for_update=True)
    assert locked is not None
    messages.post(
        db,
        settings=settings,
        case=locked,
        standing=REPORTER,
        author=messages.Author(label="reporter", reporter=True),
        body=data.body,
        audience=data.audience,
        vendor_org_id=None,
        parent_id=data.parent_id,
    )
    return RedirectResponse(f"/disclosure/follow?token={quote(token)}", status_code=303)


@router.get("/disclosure/follow/attachments/{attachment_id}", response_class=Response)
def follow_attachment(
    attachment_id: Annotated[int, Path(ge=1)],
    db: DbSession,
    _: Following,
    token: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """A report's attachment, downloaded by its reporter."""
    case = reports.by_token(db, token)
    return attachments.download(attachments.get(db, case=case, attachment_id=attachment_id))


@router.get("/disclosure/follow/history/{seq}", response_class=Response)
def follow_proof(
    seq: Annotated[int, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    _: Following,
    token: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """An event's document and log bundle, as a JSON download."""
    case = reports.by_token(db, token)
    found = history.proof(db, case=case, standing=REPORTER, seq=seq, settings=settings)
    return _json_download(found, f"{case.ref or case.public_id}-event-{seq}.json")


def _json_download(body: dict[str, Any], filename: str) -> Response:
    return Response(
        json.dumps(body, indent=2, sort_keys=True),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/disclosure/time-zone")
def time_zone(
    db: DbSession,
    actor: Following,
    time_zone: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form(max_length=300)] = "/disclosure",
) -> RedirectResponse:
    """Show disclosure dates in this zone (kept for the user, and in this browser)."""
    zone = timezones.check(time_zone)
    if actor.user_id is not None:
        timezones.set_preference(db, user_id=actor.user_id, name=zone)
    target = back if back.startswith("/disclosure") and "//" not in back else "/disclosure"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(timezones.COOKIE, zone, httponly=True, samesite="strict", path="/")
    return response


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
            "zone": _zone(request, db, actor),
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
    before: Annotated[int | None, Query(ge=1)] = None,
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
            "zone": _zone(request, db, actor),
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
    return _back(cases.open_case(db, access=access, actor=actor, settings=settings))


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
    return _back(access.case)


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
    return _back(access.case)


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
    return _back(access.case)


def _moment(request: Request, db: Session, actor: Actor, text: str) -> str:
    zone = _zone(request, db, actor)
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
    return _back(access.case)


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
    return _back(access.case)


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
    return _back(access.case)


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
    attachment_id: Annotated[int, Path(ge=1)],
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
    seq: Annotated[int, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    actor: Reading,
) -> Response:
    """An event's document and log bundle, as a JSON download."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    found = history.proof(
        db, case=access.case, standing=access.standing, seq=seq, settings=settings
    )
    return _json_download(found, f"{access.case.ref or access.case.public_id}-event-{seq}.json")
