"""The dashboards: ``/admin`` for operators, ``/orgs/{slug}`` for an organization's members."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from accord.accountability import views as figure_views
from accord.clock import utcnow
from accord.dashboards import hub, organization
from accord.identity.models import OrgKind
from accord.identity.policy import Action, Actor
from accord.web import i18n, navigation
from accord.web.deps import DbSession, OrgAccess, SettingsDep, guard, org_guard
from accord.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def hub_dashboard(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.HUB_READ)],
) -> HTMLResponse:
    """The operator's dashboard: decisions waiting, the hub's health, the first-run steps."""
    return render(request, "dashboards/hub.html", {"hub": hub.status(db, settings=settings)})


@router.get("/orgs/{slug}", response_class=HTMLResponse)
def org_dashboard(
    request: Request,
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.ORG_PRIVATE_READ)],
) -> HTMLResponse:
    """An organization's dashboard, for its members (and operators)."""
    org = access.org
    found = organization.status(db, org=org, now=utcnow())
    viewer = i18n.viewer_of(request)
    ref = navigation.OrgRef(org.id, org.slug, org.name, org.kind is OrgKind.SIGNATORY)
    return render(
        request,
        "dashboards/organization.html",
        {
            "org": org,
            "dash": found,
            "links": navigation.org_links(access.actor, ref),
            "figures": [(d, figure_views.show(d, v, viewer)) for d, v in found.figures],
        },
    )
