"""Operators' pages: publishing a pledge or a new text of one, and starting a campaign.
The same rules as the API; a mistake comes back beside its field, the input kept."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from accord.campaigns import goals, services
from accord.campaigns.models import GoalKind
from accord.campaigns.schemas import CampaignCreate, PledgeCreate, PledgeVersionCreate
from accord.errors import AccordError
from accord.identity.policy import Action, Actor
from accord.web.deps import DbSession, SettingsDep, guard
from accord.web.forms import field_errors
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Manager = Annotated[Actor, guard(Action.CAMPAIGNS_MANAGE)]
# Longer than any field may be, so that the form's own checks say it beside the field.
Short = Annotated[str, Form(max_length=10_000)]
Long = Annotated[str, Form(max_length=100_000)]


M = TypeVar("M", bound=BaseModel)


def _parse(model: type[M], data: dict[str, Any]) -> tuple[M | None, dict[str, str]]:
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def _pledges_page(
    request: Request, db: DbSession, *, values: dict[str, str], errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:  # fmt: skip
    found = [(p, services.current(p)) for p in services.list_pledges(db)]
    context = {"pledges": found, "values": values, "errors": errors}
    return render(request, "campaigns/admin_pledges.html", context, status=status)


@router.get("/admin/pledges", response_class=HTMLResponse)
def pledges_form(request: Request, db: DbSession, _: Manager) -> HTMLResponse:
    """The pledges, and the form to publish a new one (operators)."""
    return _pledges_page(request, db, values={}, errors={})


@router.post("/admin/pledges", response_class=HTMLResponse)
def create_pledge(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Manager,
    slug: Short = "",
    title: Short = "",
    text: Long = "",
) -> Response:
    """Publish the pledge; each mistake is said beside its field."""
    values = {"slug": slug.strip(), "title": title, "text": text}
    data, errors = _parse(PledgeCreate, values)
    if data is not None:
        try:
            services.create_pledge(db, data=data, actor=actor, settings=settings)
        except AccordError as exc:
            if exc.field is None:
                raise
            errors = {exc.field: exc.message}
    if errors:
        return _pledges_page(request, db, values=values, errors=errors, status=422)
    return RedirectResponse(f"/pledges/{values['slug']}", status_code=303)


def _version_page(
    request: Request, db: DbSession, slug: str, *, values: dict[str, str] | None,
    errors: dict[str, str], status: int = 200,
) -> HTMLResponse:  # fmt: skip
    pledge = services.get_pledge(db, slug)
    latest = services.current(pledge)
    shown = values or {"title": latest.title, "text": latest.text}
    context = {"pledge": pledge, "current": latest, "values": shown, "errors": errors}
    return render(request, "campaigns/admin_pledge.html", context, status=status)


@router.get("/admin/pledges/{pledge}", response_class=HTMLResponse)
def version_form(request: Request, pledge: str, db: DbSession, _: Manager) -> HTMLResponse:
    """The form to publish a new text of a pledge, filled with the current one."""
    return _version_page(request, db, pledge, values=None, errors={})


@router.post("/admin/pledges/{pledge}", response_class=HTMLResponse)
def publish_version(
    request: Request,
    pledge: str,
    db: DbSession,
    settings: SettingsDep,
    actor: Manager,
    title: Short = "",
    text: Long = "",
) -> Response:
    """Publish the new text; endorsers of earlier ones keep theirs."""
    values = {"title": title, "text": text}
    found = services.get_pledge(db, pledge)
    data, errors = _parse(PledgeVersionCreate, values)
    if data is None:
        return _version_page(request, db, pledge, values=values, errors=errors, status=422)
    services.publish_version(db, pledge=found, data=data, actor=actor, settings=settings)
    return RedirectResponse(f"/pledges/{pledge}", status_code=303)


def _campaigns_page(
    request: Request, db: DbSession, *, values: dict[str, str], errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:  # fmt: skip
    context = {
        "campaigns": services.list_campaigns(db),
        "goals": list(GoalKind),
        "labels": goals.LABELS,
        "values": values,
        "errors": errors,
    }
    return render(request, "campaigns/admin_campaigns.html", context, status=status)


@router.get("/admin/campaigns", response_class=HTMLResponse)
def campaigns_form(request: Request, db: DbSession, _: Manager) -> HTMLResponse:
    """The campaigns, and the form to start one (operators)."""
    return _campaigns_page(request, db, values={}, errors={})


def _target(percent: str) -> float | str:
    """The form's target, in percent, as the share the model takes (as typed when unreadable,
    so that the model names the mistake)."""
    try:
        return float(percent.strip().rstrip("%")) / 100
    except ValueError:
        return percent


@router.post("/admin/campaigns", response_class=HTMLResponse)
def create_campaign(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Manager,
    slug: Short = "",
    title: Short = "",
    description: Annotated[str, Form(max_length=5000)] = "",
    goal: Short = "",
    target: Short = "",
    ends_on: Short = "",
) -> Response:
    """Start the campaign; each mistake is said beside its field."""
    values = {
        "slug": slug.strip(),
        "title": title,
        "description": description,
        "goal": goal,
        "target": target,
        "ends_on": ends_on,
    }
    data_in: dict[str, Any] = {k: v for k, v in values.items() if k != "target" and v != ""}
    data_in["target"] = _target(target) if target.strip() else None
    data, errors = _parse(CampaignCreate, data_in)
    if data is not None:
        try:
            services.create_campaign(db, data=data, actor=actor, settings=settings)
        except AccordError as exc:
            if exc.field is None:
                raise
            errors = {exc.field: exc.message}
    if errors:
        return _campaigns_page(request, db, values=values, errors=errors, status=422)
    return RedirectResponse(f"/campaigns/{values['slug']}", status_code=303)
