"""Operators' registry pages: applications to decide, and publishing a new accord version."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from accord.errors import invalid_from
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.registry import services, translations
from accord.registry.models import ApplicationStatus
from accord.registry.schemas import AccordVersionCreate, Approve, Reject
from accord.registry.views import decision
from accord.web.deps import DbSession, FreshFactor, SettingsDep, guard
from accord.web.forms import field_errors, filled
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

HubRead = Annotated[Actor, guard(Action.HUB_READ)]
HubOperate = Annotated[Actor, guard(Action.HUB_OPERATE)]
Reason = Annotated[str, Form(max_length=2000)]

PAGE_SIZE = 100


@router.get("/admin/applications", response_class=HTMLResponse)
def applications(
    request: Request,
    db: DbSession,
    actor: HubRead,
    status: ApplicationStatus = ApplicationStatus.PENDING,
    before_id: Annotated[DbInt | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """Applications by status, newest first; pending ones by default (operators)."""
    rows = services.list_applications(
        db, actor=actor, status=status, before_id=before_id, limit=PAGE_SIZE
    )
    return render(
        request,
        "registry/applications.html",
        {
            "applications": rows,
            "status": status,
            "statuses": list(ApplicationStatus),
            "next_before": rows[-1].id if len(rows) == PAGE_SIZE else None,
        },
    )


@router.get("/admin/applications/{application_id}", response_class=HTMLResponse)
def application(
    request: Request, application_id: DbInt, db: DbSession, actor: HubRead
) -> HTMLResponse:
    """One application, with the forms to approve or reject it (operators)."""
    found = services.get_application(db, application_id=application_id, actor=actor)
    return render(request, "registry/application.html", {"application": found})


@router.post("/admin/applications/{application_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request,
    application_id: DbInt,
    db: DbSession,
    settings: SettingsDep,
    actor: HubOperate,
    _fresh: FreshFactor,
    reason: Reason = "",
    create_account: Annotated[bool, Form()] = False,
    username: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """Approve; the page shows the first admin's one-time set-up link, once."""
    try:
        data = Approve.model_validate(
            {**filled({"reason": reason, "username": username}), "create_account": create_account}
        )
    except ValidationError as exc:
        raise invalid_from(exc) from None
    approval = services.approve(
        db, application_id=application_id, data=data, actor=actor, settings=settings
    )
    return render(request, "registry/approved.html", {"decision": decision(approval, settings)})


@router.post("/admin/applications/{application_id}/reject")
def reject(
    request: Request,
    application_id: DbInt,
    db: DbSession,
    actor: HubOperate,
    # Longer than a reason may be, so that the refusal is said beside the field.
    reason: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Reject with a reason (required); a reason refused comes back beside it, as typed."""
    try:
        data = Reject(reason=reason)
    except ValidationError as exc:
        found = services.get_application(db, application_id=application_id, actor=actor)
        context = {
            "application": found,
            "reject_reason": reason,
            "reject_error": field_errors(exc).get("reason"),
        }
        return render(request, "registry/application.html", context, status=422)
    services.reject(db, application_id=application_id, data=data, actor=actor)
    return RedirectResponse(f"/admin/applications/{application_id}", status_code=303)


@router.get("/admin/accord", response_class=HTMLResponse)
def publish_form(request: Request, db: DbSession, _: HubOperate) -> HTMLResponse:
    """The form to publish a new version, prefilled with the current text (operators)."""
    return render(request, "registry/publish.html", {"current": services.current_version(db)})


@router.post("/admin/accord")
def publish(
    request: Request,
    db: DbSession,
    actor: HubOperate,
    # Longer than allowed, so that the form's own checks say it beside the field.
    title: Annotated[str, Form(max_length=10_000)] = "",
    text: Annotated[str, Form(max_length=1_000_000)] = "",
) -> Response:
    """Publish the new version; earlier ones stay readable at their own address. A title or
    text refused comes back beside its field, what was typed kept."""
    try:
        data = AccordVersionCreate(title=title, text=text)
    except ValidationError as exc:
        context = {
            "current": services.current_version(db),
            "values": {"title": title, "text": text},
            "errors": field_errors(exc),
        }
        return render(request, "registry/publish.html", context, status=422)
    published = services.publish_version(db, data=data, actor=actor)
    return RedirectResponse(f"/accord/versions/{published.number}", status_code=303)


@router.post("/admin/accord/versions/{number}/translations")
def add_translation(
    db: DbSession,
    actor: HubOperate,
    number: Annotated[DbInt, Path(ge=1)],
    language: Annotated[str, Form(max_length=16)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    text: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Add a version's translation into a language (operators); marked as a translation,
    shown beside the signed English text."""
    translations.add(db, number=number, language=language, title=title, text=text, actor=actor)
    return RedirectResponse(f"/accord/versions/{number}", status_code=303)
