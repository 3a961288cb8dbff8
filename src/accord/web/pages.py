"""Pages of the shell itself: the home page, the viewer's preferences and a health check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from accord.disclosure import timezones
from accord.identity.models import Organization, OrgKind, User
from accord.identity.policy import Action, Actor
from accord.web import i18n
from accord.web.deps import DbSession, SettingsDep, guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

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
    """The viewer's language and time zone: the one place to choose them, without script."""
    return render(request, "web/preferences.html", _preference_context(next))


def _preference_context(next: str, **extra: object) -> dict[str, object]:
    return {"next": i18n.safe_next(next), "zones": i18n.zone_names(), **extra}


@router.post("/preferences", dependencies=[Depends(verify_csrf)], response_model=None)
def set_preferences(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.PUBLIC_READ)],
    lang: Annotated[str | None, Form(max_length=16)] = None,
    tz: Annotated[str | None, Form(max_length=64)] = None,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Keep the chosen language and zone (cookies; the zone also with a signed-in user's
    account) and go back to the page. A POST with the CSRF token: it changes state, so a
    link or an image on another site cannot change it."""
    errors: dict[str, str] = {}
    if lang is not None and lang not in i18n.LANGUAGES:
        errors["lang"] = "choose one of the languages listed"
    zone = None
    if tz is not None and tz.strip():
        zone = i18n.canonical_zone(tz.strip())
        if zone is None:
            errors["tz"] = (
                "not a time zone name such as America/Mexico_City; choose one from the list"
            )
    if errors:
        context = _preference_context(next, errors=errors, typed=tz or "")
        return render(request, "web/preferences.html", context, status=422)
    if zone is not None and actor.user_id is not None:
        timezones.set_preference(db, user_id=actor.user_id, name=zone)
    if lang is not None and actor.user_id is not None:
        # Kept with the account too: emails to the user are written in it.
        user = db.get(User, actor.user_id)
        if user is not None:
            user.language = lang
    response = RedirectResponse(i18n.safe_next(next), status_code=303)
    for cookie, value in ((i18n.LANGUAGE_COOKIE, lang), (i18n.ZONE_COOKIE, zone)):
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
