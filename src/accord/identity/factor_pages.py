"""The second factor's page: the second step of a sign-in, and the step-up before a
sensitive action (the same page, for a browser already signed in).

A pending session (the password was right) may do nothing but answer here, for a few
minutes; a right answer replaces it with a full session under a new cookie. A refusal is
answered as a page (or JSON), not raised, so that its audit row commits with it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import AccordError
from accord.identity import factors, passkeys, sessions
from accord.identity.models import FactorKind, WebSession
from accord.identity.pages import safe_next, signed_in
from accord.identity.policy import Action, Actor
from accord.identity.services import actor_for
from accord.web.deps import SESSION_COOKIE, DbSession, Limiter, SettingsDep, client_ip, guard
from accord.web.rendering import render
from accord.web.security import cookie_name, verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

PAGE = "identity/second_factor.html"


def _browser(request: Request, db: Session, settings: Settings) -> WebSession | None:
    """This browser's session, pending or full, if it is still valid."""
    return sessions.by_cookie(db, request.cookies.get(cookie_name(SESSION_COOKIE, settings)))


def _done(
    request: Request, db: Session, browser: WebSession, settings: Settings, target: str
) -> Response:
    """The factor was proved: a pending sign-in becomes a session, a step-up is noted."""
    now = utcnow()
    if browser.pending:
        user = browser.user
        db.delete(browser)
        return signed_in(request, db, user=user, settings=settings, target=target, factor_at=now)
    browser.factor_at = now
    return RedirectResponse(target, status_code=303)


def _context(db: Session, browser: WebSession, next_: str, **extra: object) -> dict[str, object]:
    kinds = {f.kind for f in factors.list_factors(db, user_id=browser.user_id)}
    return {
        "next": next_,
        "pending": browser.pending,
        "totp": FactorKind.TOTP in kinds,
        "webauthn": FactorKind.WEBAUTHN in kinds,
        **extra,
    }


@router.get("/login/second-factor", response_class=HTMLResponse)
def second_factor_form(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.PUBLIC_READ)],
    next: Annotated[str, Query(max_length=500)] = "/",
) -> Response:
    """Ask for a code, a key or a recovery code (sign-in's second step, or a step-up)."""
    browser = _browser(request, db, settings)
    if browser is None or not factors.list_factors(db, user_id=browser.user_id):
        return RedirectResponse(f"/login?next={safe_next(next)}", status_code=303)
    return render(request, PAGE, _context(db, browser, safe_next(next)))


@router.post("/login/second-factor")
def second_factor(
    request: Request,
    db: DbSession,
    limiter: Limiter,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.PUBLIC_SUBMIT)],
    code: Annotated[str, Form(max_length=64)],
    recovery: Annotated[bool, Form()] = False,
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check a TOTP or recovery code; on success, finish the sign-in or the step-up."""
    browser = _browser(request, db, settings)
    if browser is None:
        return RedirectResponse("/login", status_code=303)
    user = browser.user
    actor = actor_for(db, user, ip_address=client_ip(request))
    try:
        factors.verify_code(
            db, limiter, user=user, code=code, recovery=recovery, actor=actor, settings=settings
        )
    except AccordError as exc:
        context = _context(db, browser, safe_next(next), error=exc.message, recovery=recovery)
        return render(request, PAGE, context, status=exc.status_code)
    return _done(request, db, browser, settings, safe_next(next))


@router.post("/login/second-factor/webauthn/options")
def webauthn_options(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.PUBLIC_SUBMIT)],
) -> Response:
    """A challenge for this browser's user's keys (JSON, for ``webauthn.js``)."""
    browser = _browser(request, db, settings)
    if browser is None:
        return JSONResponse({"error": "unauthenticated", "message": "sign in again"}, 401)
    options = passkeys.authentication_options(
        db, user=browser.user, browser=browser, settings=settings
    )
    return Response(options, media_type="application/json")


@router.post("/login/second-factor/webauthn")
def webauthn_answer(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.PUBLIC_SUBMIT)],
    credential: Annotated[str, Form(max_length=65_536)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the key's answer; JSON with where to go next, or the reason it was refused."""
    browser = _browser(request, db, settings)
    if browser is None:
        return JSONResponse({"error": "unauthenticated", "message": "sign in again"}, 401)
    user = browser.user
    actor = actor_for(db, user, ip_address=client_ip(request))
    try:
        passkeys.authenticate(
            db, user=user, browser=browser, credential=credential, actor=actor, settings=settings
        )
    except AccordError as exc:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)
    response = _done(request, db, browser, settings, safe_next(next))
    target = response.headers["location"]
    answer = JSONResponse({"next": target})
    for value in response.headers.getlist("set-cookie"):
        answer.headers.append("set-cookie", value)
    return answer
