"""Pages of the shell itself: the home page, the viewer's preferences and a health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from accord.errors import InvalidInput
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import Action, Actor
from accord.web import i18n
from accord.web.deps import DbSession, SettingsDep, guard
from accord.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, db: DbSession, _: Annotated[Actor, guard(Action.PUBLIC_READ)]
) -> HTMLResponse:
    """The front page."""
    count = db.scalar(
        select(func.count(Organization.id)).where(Organization.kind == OrgKind.SIGNATORY)
    )
    return render(request, "web/home.html", {"signatory_count": count or 0})


@router.get("/healthz")
def health(db: DbSession, _: Annotated[Actor, guard(Action.PUBLIC_READ)]) -> dict[str, str]:
    """For load balancers: answers only if the database does."""
    db.execute(select(1))
    return {"status": "ok"}


@router.get("/preferences", response_class=HTMLResponse)
def preferences(
    request: Request,
    _: Annotated[Actor, guard(Action.PUBLIC_READ)],
    next: Annotated[str, Query(max_length=2000)] = "/",
) -> HTMLResponse:
    """The viewer's language and time zone, as a form that works without JavaScript."""
    return render(
        request,
        "web/preferences.html",
        {"next": i18n.safe_next(next), "zones": sorted(i18n.zone_names() | {i18n.DEFAULT_ZONE})},
    )


@router.get("/preferences/set")
def set_preferences(
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.PUBLIC_READ)],
    lang: Annotated[str | None, Query(max_length=16)] = None,
    tz: Annotated[str | None, Query(max_length=64)] = None,
    next: Annotated[str, Query(max_length=2000)] = "/",
) -> RedirectResponse:
    """Keep the chosen language and zone in cookies and go back to the page.

    A GET link, so that the language switch is a plain link: it changes only how this browser
    shows pages, nothing on the hub, so it needs no CSRF token.
    """
    if lang is not None and lang not in i18n.LANGUAGES:
        raise InvalidInput(f"no pages in language {lang!r}", field="lang")
    if tz is not None and not i18n.is_zone(tz):
        raise InvalidInput(f"{tz!r} is not a time zone name such as Europe/Madrid", field="tz")
    response = RedirectResponse(i18n.safe_next(next), status_code=303)
    for cookie, value in ((i18n.LANGUAGE_COOKIE, lang), (i18n.ZONE_COOKIE, tz)):
        if value is not None:
            response.set_cookie(
                cookie,
                value,
                max_age=i18n.PREFERENCE_MAX_AGE,
                samesite="lax",
                secure=settings.secure_cookies,
                path="/",
            )
    return response
