"""Pages of pledges and campaigns: the public lists and pages, and an organization's page
where its admins endorse a pledge or withdraw. Operators' pages are in :mod:`admin_pages`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from accord.accountability import charts
from accord.campaigns import goals, services
from accord.campaigns.models import Campaign
from accord.errors import AccordError
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import Action, Actor
from accord.web.deps import DbSession, OrgAccess, SettingsDep, guard, org_guard
from accord.web.i18n import format_day, viewer_of
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

Public = Annotated[Actor, guard(Action.PUBLIC_READ)]
Endorser = Annotated[OrgAccess, org_guard(Action.PLEDGE_ENDORSE)]


@router.get("/pledges", response_class=HTMLResponse)
def pledges(request: Request, db: DbSession, _: Public) -> HTMLResponse:
    """Every pledge and how many organizations endorse it."""
    found = [
        (p, services.current(p), len(services.endorsers(db, p))) for p in services.list_pledges(db)
    ]
    return render(request, "campaigns/pledges.html", {"pledges": found})


@router.get("/pledges/{pledge}", response_class=HTMLResponse)
def pledge(request: Request, pledge: str, db: DbSession, _: Public) -> HTMLResponse:
    """A pledge's text, its versions and its endorsers."""
    found = services.get_pledge(db, pledge)
    context = {
        "pledge": found,
        "current": services.current(found),
        "endorsers": services.endorsers(db, found),
    }
    return render(request, "campaigns/pledge.html", context)


def _org_pledges(
    request: Request, db: DbSession, access: OrgAccess, *, error: tuple[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:  # fmt: skip
    rows = [
        (p, services.current(p), services.standing(db, p, access.org))
        for p in services.list_pledges(db)
    ]
    context = {"org": access.org, "rows": rows, "error": error}
    return render(request, "campaigns/org_pledges.html", context, status=status)


@router.get("/orgs/{slug}/pledges", response_class=HTMLResponse)
def org_pledges(request: Request, db: DbSession, access: Endorser) -> HTMLResponse:
    """The pledges, and which the organization endorses, with the buttons to change it."""
    return _org_pledges(request, db, access)


@router.post("/orgs/{slug}/pledges/{pledge}/endorse", response_class=HTMLResponse)
def endorse(
    request: Request, pledge: str, db: DbSession, settings: SettingsDep, access: Endorser
) -> Response:
    """Endorse the pledge's current text; a refusal is said beside the pledge."""
    return _change(request, db, settings, access, pledge, services.endorse)


@router.post("/orgs/{slug}/pledges/{pledge}/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request, pledge: str, db: DbSession, settings: SettingsDep, access: Endorser
) -> Response:
    """Withdraw the organization's endorsement."""
    return _change(request, db, settings, access, pledge, services.withdraw)


def _change(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access: OrgAccess,
    slug: str,
    change: services.Change,
) -> Response:
    found = services.get_pledge(db, slug)
    try:
        change(db, pledge=found, org=access.org, actor=access.actor, settings=settings)
    except AccordError as exc:
        if exc.field is None:
            raise
        return _org_pledges(request, db, access, error=(slug, exc.message), status=exc.status_code)
    return RedirectResponse(f"/orgs/{access.org.slug}/pledges#pledge-{slug}", status_code=303)


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(request: Request, db: DbSession, _: Public) -> HTMLResponse:
    """Every campaign and where it stands now."""
    rows = [(c, services.figure(db, c)) for c in services.list_campaigns(db)]
    return render(request, "campaigns/campaigns.html", {"rows": rows, "labels": goals.LABELS})


def trend(campaign: Campaign, history: list[tuple[str, float | None]]) -> str:
    """The campaign's share over its snapshots, as an SVG line chart."""
    return charts.line_chart(history, title=campaign.title, show=charts.plain("%"))


@router.get("/campaigns/{campaign}", response_class=HTMLResponse)
def campaign(request: Request, campaign: str, db: DbSession, _: Public) -> HTMLResponse:
    """A campaign: its goal, its figure now (computed from the checks), who met it, and its
    history as a chart and a table."""
    found = services.get_campaign(db, campaign)
    snapshots = services.history(db, found)
    viewer = viewer_of(request)
    points = [
        (format_day(s.day, viewer), round(100 * s.met / s.counted, 1) if s.counted else None)
        for s in snapshots
    ]
    context = {
        "campaign": found,
        "now": services.figure(db, found),
        "snapshots": snapshots,
        "chart": trend(found, points) if points else None,
        "labels": goals.LABELS,
        "names": dict(
            db.execute(
                select(Organization.slug, Organization.name).where(
                    Organization.kind == OrgKind.SIGNATORY
                )
            ).all()
        ),
    }
    return render(request, "campaigns/campaign.html", context)
