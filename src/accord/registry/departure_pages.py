"""Leaving the accord on a page (a signatory's admins, confirming by typing its slug), and the
operators' page that removes a signatory with a reason. Same rules as the API
(``registry/departures.py``); a mistake comes back beside its field, the input kept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from accord.errors import N_, AccordError, InvalidInput
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import Action, Actor
from accord.identity.services import get_org
from accord.registry import departures
from accord.registry.models import Departure
from accord.web.deps import DbSession, FreshFactor, OrgAccess, SettingsDep, guard, org_guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Remover = Annotated[Actor, guard(Action.REGISTRY_REMOVE)]
Reason = Annotated[str, Form(max_length=2000)]


def _leave_page(
    request: Request,
    db: DbSession,
    org: Organization,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    context = {
        "org": org,
        "departure": departures.of(db, org.id),
        "values": values,
        "errors": errors,
    }
    return render(request, "registry/leave.html", context, status=status)


@router.get("/orgs/{slug}/leave-the-accord", response_class=HTMLResponse)
def leave_form(
    request: Request,
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.REGISTRY_LEAVE)],
) -> HTMLResponse:
    """What leaving means, and the form to confirm it (or when it left, if it did)."""
    return _leave_page(request, db, access.org, values={}, errors={})


@router.post("/orgs/{slug}/leave-the-accord", response_class=HTMLResponse)
def leave(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access: Annotated[OrgAccess, org_guard(Action.REGISTRY_LEAVE, fresh=True)],
    confirm: Annotated[str, Form(max_length=200)] = "",
    reason: Reason = "",
) -> Response:
    """Leave; a wrong confirmation shows the form again with the mistake beside it."""
    values = {"confirm": confirm, "reason": reason}
    try:
        departures.leave(
            db,
            org=access.org,
            confirm=confirm,
            reason=reason,
            actor=access.actor,
            settings=settings,
        )
    except AccordError as exc:
        if exc.field is None:
            raise
        # Refused before anything was written: the form again, the mistake beside its field.
        errors = {exc.field: exc.message}
        return _leave_page(
            request, db, access.org, values=values, errors=errors, status=exc.status_code
        )
    return RedirectResponse(f"/signatories/{access.org.slug}", status_code=303)


def _removal_page(
    request: Request,
    db: DbSession,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    current = db.scalars(
        select(Organization)
        .outerjoin(Departure, Departure.organization_id == Organization.id)
        .where(Organization.kind == OrgKind.SIGNATORY, Departure.id.is_(None))
        .order_by(Organization.name)
    ).all()
    gone = db.scalars(select(Departure).order_by(Departure.departed_at.desc())).all()
    context = {"current": current, "gone": gone, "values": values, "errors": errors}
    return render(request, "registry/removal.html", context, status=status)


@router.get("/admin/signatories", response_class=HTMLResponse)
def removal_form(request: Request, db: DbSession, _: Remover) -> HTMLResponse:
    """The signatories, those that left, and the form to remove one (operators)."""
    return _removal_page(request, db, values={}, errors={})


@router.post("/admin/signatories", response_class=HTMLResponse)
def remove(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Remover,
    _fresh: FreshFactor,
    organization: Annotated[str, Form(max_length=10_000)] = "",
    reason: Reason = "",
) -> Response:
    """Remove the chosen signatory; a missing choice or reason is said beside its field."""
    values = {"organization": organization, "reason": reason}
    try:
        if not organization:
            raise InvalidInput(N_("organization: choose a signatory"), field="organization")
        org = get_org(db, organization)
        departures.remove(db, org=org, reason=reason, actor=actor, settings=settings)
    except AccordError as exc:
        if exc.field is None:
            raise
        errors = {exc.field if exc.field != "slug" else "organization": exc.message}
        return _removal_page(request, db, values=values, errors=errors, status=exc.status_code)
    return RedirectResponse("/admin/signatories", status_code=303)
