"""Disclosure pages for vendors and coordinators: the inbox and the case page with its forms.

The actions go through the same services as the API; a refused action shows the error page
with the reason (a refused message: the case page again, the text kept and the reason beside
its field), a successful one returns to the case page (303).
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
    closing,
    embargo,
    history,
    inbox,
    messages,
    publishing,
    reports,
    timezones,
    vendors,
)
from accord.disclosure.case_view import render_case
from accord.disclosure.inbox import View
from accord.disclosure.pages import (
    CaseId,
    Reading,
    Text,
    Writing,
    back_to_case,
    json_download,
    viewer_zone,
)
from accord.disclosure.schemas import (
    CloseRequest,
    EmbargoAcceptance,
    EmbargoProposal,
    MessageCreate,
    PublishRequest,
    TriageRequest,
    VendorStatusUpdate,
)
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound, invalid_from, validated
from accord.identity.policy import Actor
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
    view: View = View.OPEN,
) -> HTMLResponse:
    """Reports and cases you take part in, by view, with unread counts."""
    rows, total = inbox.inbox(db, actor=actor, settings=settings, view=view, page=page, per_page=50)
    return render(
        request,
        "disclosure/inbox.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "per_page": 50,
            "view": view.value,
            "views": [v.value for v in View],
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
    before: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """A case: status per vendor, the embargo in your zone, messages and history."""
    access = cases.load(db, case_id, actor=actor, settings=settings)
    return render_case(request, db, settings, actor, access, before=before)


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


@router.post("/disclosure/cases/{case_id}/close", response_class=HTMLResponse)
def close_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    reason: Annotated[str, Form(max_length=30)] = "",
    note: Text = "",
) -> Response:
    """Close the case with a reason; a refused one comes back with the choice and text kept
    and the reason beside its field."""
    access = _write(db, case_id, actor, settings)
    try:
        data = validated(CloseRequest, filled({"reason": reason, "note": note}))
        closing.close(db, access=access, data=data, actor=actor, settings=settings)
    except (InvalidInput, Conflict) as exc:
        field = f"close_{exc.field}" if exc.field in ("reason", "note") else "close_reason"
        return render_case(
            request,
            db,
            settings,
            actor,
            access,
            form={"close_reason": reason, "close_note": note},
            errors={field: exc.message},
            status=exc.status_code,
        )
    return back_to_case(access.case)


@router.post("/disclosure/cases/{case_id}/reopen")
def reopen_page(
    case_id: CaseId, db: DbSession, settings: SettingsDep, actor: Writing
) -> RedirectResponse:
    """Reopen a closed case."""
    access = _write(db, case_id, actor, settings)
    return back_to_case(closing.reopen(db, access=access, actor=actor, settings=settings))


@router.post("/disclosure/cases/{case_id}/vendors", response_class=HTMLResponse)
def invite_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    organization: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Invite an organization as a vendor, by its slug or its name; an unknown one comes
    back with what was typed and the reason beside the field."""
    access = _write(db, case_id, actor, settings)
    try:
        if not organization.strip():
            raise InvalidInput("choose an organization", field="organization")
        vendors.invite(db, access=access, slug=organization, actor=actor, settings=settings)
    except (InvalidInput, NotFound, Conflict) as exc:
        return render_case(
            request,
            db,
            settings,
            actor,
            access,
            form={"organization": organization},
            errors={"organization": exc.message},
            status=exc.status_code,
        )
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


@router.post("/disclosure/cases/{case_id}/messages", response_class=HTMLResponse)
def message_page(
    request: Request,
    case_id: CaseId,
    db: DbSession,
    settings: SettingsDep,
    actor: Writing,
    body: Text = "",
    audience: Annotated[str, Form(max_length=80)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Post a message to the audience chosen; a refused one comes back with the text kept
    and the reason beside its field."""
    access = _write(db, case_id, actor, settings)
    typed = {"body": body, "audience": audience, "parent_id": parent_id}
    kind, _, vendor = audience.partition(":")
    try:
        data = validated(
            MessageCreate,
            filled({"body": body, "audience": kind, "vendor": vendor, "parent_id": parent_id}),
        )
        messages.post_as(db, settings=settings, access=access, actor=actor, data=data)
    except (InvalidInput, Forbidden, NotFound, Conflict) as exc:
        field = {"vendor": "audience"}.get(exc.field or "", exc.field or "body")
        return render_case(
            request,
            db,
            settings,
            actor,
            access,
            form=typed,
            errors={field: exc.message},
            status=exc.status_code,
        )
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
    return json_download(found, f"{access.case.ref or access.case.public_id}-event-{seq}.json")
