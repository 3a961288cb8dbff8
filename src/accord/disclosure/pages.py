"""Disclosure pages for reporters: the public report form and the reporter's private page,
and what the case pages share (``case_pages.py`` holds the inbox and the case page). Every
form carries the CSRF token; the pages run no inline script.
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

from accord.disclosure import (
    attachments,
    closing,
    event_words,
    history,
    messages,
    reports,
    timezones,
    vendors,
    views,
)
from accord.disclosure.models import VendorStatus
from accord.disclosure.reporter_routes import ReportIntake, report_link
from accord.disclosure.schemas import (
    ReportCreate,
    ReporterMessageCreate,
)
from accord.errors import (
    N_,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    validated,
)
from accord.identity.models import Organization
from accord.identity.policy import REPORTER, Action, Actor
from accord.limits import DbInt
from accord.registry import products
from accord.web import i18n
from accord.web.deps import DbSession, Limiter, SettingsDep, guard
from accord.web.forms import field_errors, filled
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


def viewer_zone(request: Request, db: Session, actor: Actor) -> str:
    """The zone the viewer reads times in (``web.i18n.resolve_zone``)."""
    return i18n.resolve_zone(
        timezones.preference(db, actor.user_id),
        request.cookies.get(i18n.ZONE_COOKIE),
        request.cookies.get(i18n.BROWSER_ZONE_COOKIE),
    )


def back_to_case(case: Any) -> RedirectResponse:
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
            "products": products.offers(db),
            "values": values,
            "errors": errors,
            "types": list(attachments.NAMES.values()),
            "picker": attachments.PICKER,
            "max_bytes": attachments.MAX_BYTES,
            "max_files": attachments.MAX_FILES,
        },
        status=status,
    )


@router.get("/disclosure/report", response_class=HTMLResponse)
def report_form(request: Request, db: DbSession, _: Reporting) -> HTMLResponse:
    """The public form to report a vulnerability; no account needed."""
    return _report_form(request, db, values={}, errors={}, status=200)


def report_fields(  # one parameter per field of the form
    # Longer than any field may be, so that ReportCreate says it beside the field.
    organization: Annotated[str, Form(max_length=10_000)] = "",
    title: Annotated[str, Form(max_length=10_000)] = "",
    product: Annotated[str, Form(max_length=10_000)] = "",
    purl: Annotated[str, Form(max_length=10_000)] = "",
    versions: Annotated[str, Form(max_length=10_000)] = "",
    description: Text = "",
    steps_to_reproduce: Text = "",
    proof_of_concept: Text = "",
    impact: Text = "",
    credit: Annotated[str, Form(max_length=500)] = "",
    contact: Annotated[str, Form(max_length=500)] = "",
    name: Annotated[str, Form(max_length=500)] = "",
    vendors_see_contact: Annotated[str, Form(max_length=10)] = "",
    vendors_see_name: Annotated[str, Form(max_length=10)] = "",
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
        "name": name,
        # Checkboxes: sent when ticked; not sent is "coordinators only".
        "vendors_see_contact": "true" if vendors_see_contact else "",
        "vendors_see_name": "true" if vendors_see_name else "",
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
    uploads = _uploads(files)
    language = i18n.viewer_of(request).language  # the reporter is emailed in the page's language
    received = reports.submit(
        db, data=data, uploads=uploads, settings=settings, limiter=limiter, language=language
    )
    return render(
        request,
        "disclosure/received.html",
        {"case": received.case, "link": report_link(settings, received.token)},
        status=201,
    )


def _uploads(files: list[UploadFile] | None) -> list[attachments.Upload]:
    return [
        attachments.Upload(
            upload.filename, upload.content_type or "", upload.file.read(attachments.MAX_BYTES + 1)
        )
        for upload in files or []
        if upload.filename  # an empty file input sends a nameless part
    ]


def _reporter_page(
    request: Request,
    db: Session,
    token: str,
    actor: Actor,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
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
            "event_words": event_words.words,
            "token": token,
            "zone": viewer_zone(request, db, actor),
            "show": i18n.when,
            "status_text": STATUS_TEXT,
            "types": list(attachments.NAMES.values()),
            "picker": attachments.PICKER,
            "max_bytes": attachments.MAX_BYTES,
            "room": attachments.room_left(db, case=case),
            "close_reasons": closing.REASON_TEXT,
            "form": form or {},
            "errors": errors or {},
        },
        status=status,
    )


@router.get("/disclosure/follow", response_class=HTMLResponse)
def follow(
    request: Request,
    db: DbSession,
    actor: Following,
    token: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The reporter's private page: the report, status, vendors, embargo, messages, history."""
    return _reporter_page(request, db, token, actor)


def _back(token: str) -> RedirectResponse:
    return RedirectResponse(f"/disclosure/follow?token={quote(token)}", status_code=303)


@router.post("/disclosure/follow/messages", response_class=HTMLResponse)
def follow_message(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Following,
    token: Token = "",
    body: Text = "",
    audience: Annotated[str, Form(max_length=20)] = "",
    parent_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """The reporter answers or adds something; a refused message comes back with the text
    kept and the reason beside its field."""
    case = reports.by_token(db, token)
    typed = {"body": body, "audience": audience, "parent_id": parent_id}
    try:
        data = validated(ReporterMessageCreate, filled(typed))
        messages.post_as_reporter(db, settings=settings, case=case, data=data)
    except (InvalidInput, Forbidden, NotFound, Conflict) as exc:
        errors = {exc.field or "body": exc.message}
        return _reporter_page(
            request, db, token, actor, form=typed, errors=errors, status=exc.status_code
        )
    return _back(token)


@router.post("/disclosure/follow/attachments", response_class=HTMLResponse)
def follow_add_files(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Following,
    token: Token = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """The reporter adds files after sending, under the same rules as the report's own."""
    case = reports.by_token(db, token)
    try:
        attachments.add_later(db, settings=settings, case=case, uploads=_uploads(files))
    except (InvalidInput, PayloadTooLarge, Conflict) as exc:
        errors = {"files": exc.message}
        return _reporter_page(request, db, token, actor, errors=errors, status=exc.status_code)
    return _back(token)


@router.get("/disclosure/follow/attachments/{attachment_id}", response_class=Response)
def follow_attachment(
    attachment_id: Annotated[DbInt, Path(ge=1)],
    db: DbSession,
    _: Following,
    token: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """A report's attachment, downloaded by its reporter."""
    case = reports.by_token(db, token)
    return attachments.download(attachments.get(db, case=case, attachment_id=attachment_id))


@router.get("/disclosure/follow/history/{seq}", response_class=Response)
def follow_proof(
    seq: Annotated[DbInt, Path(ge=1)],
    db: DbSession,
    settings: SettingsDep,
    _: Following,
    token: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """An event's document and log bundle, as a JSON download."""
    case = reports.by_token(db, token)
    found = history.proof(db, case=case, standing=REPORTER, seq=seq, settings=settings)
    return json_download(found, f"{case.ref or case.public_id}-event-{seq}.json")


def json_download(body: dict[str, Any], filename: str) -> Response:
    return Response(
        json.dumps(body, indent=2, sort_keys=True),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/disclosure/time-zone", response_model=None)
def timeviewer_zone(
    request: Request,
    db: DbSession,
    actor: Following,
    # Longer than a zone's name, so that the refusal is said beside the field.
    time_zone: Annotated[str, Form(max_length=10_000)] = "",
    back: Annotated[str, Form(max_length=300)] = "/disclosure",
) -> Response:
    """Show disclosure dates in this zone (kept for the user, and in this browser); a name
    that is no zone comes back on the preferences page, beside the zone field, as typed."""
    zone = i18n.canonical_zone(time_zone.strip()) if time_zone.strip() else None
    if zone is None:
        target = back if back.startswith("/disclosure") and "//" not in back else "/disclosure"
        context = {
            "next": i18n.safe_next(target),
            "zones": i18n.zone_names(),
            "errors": {"tz": N_("not a time zone name")},
            "typed": time_zone,
        }
        return render(request, "web/preferences.html", context, status=422)
    if actor.user_id is not None:
        timezones.set_preference(db, user_id=actor.user_id, name=zone)
    target = back if back.startswith("/disclosure") and "//" not in back else "/disclosure"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(timezones.COOKIE, zone, httponly=True, samesite="strict", path="/")
    return response
