"""The account's security page: second factors, recovery codes, browser sessions and the
tokens' last use; and an organization's rule that its members use a second factor."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, AccordError, InvalidInput
from accord.identity import access, factors, passkeys, sessions
from accord.identity.models import User, WebSession
from accord.identity.policy import Action, Actor
from accord.identity.services import set_second_factor_rule, user_with_orgs
from accord.limits import DbInt
from accord.web.deps import (
    SESSION_COOKIE,
    DbSession,
    Limiter,
    OrgAccess,
    SettingsDep,
    guard,
    org_guard,
)
from accord.web.rendering import render
from accord.web.security import cookie_name, verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

PAGE = "identity/security.html"


def _cookie(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(cookie_name(SESSION_COOKIE, settings))


def _user(db: Session, actor: Actor) -> User:
    assert actor.user_id is not None
    return user_with_orgs(db, actor.user_id)


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    settings: Settings,
    *,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    user = _user(db, actor)
    context = {
        "user": user,
        "factors": factors.list_factors(db, user_id=user.id),
        "codes_left": factors.recovery_codes_left(db, user_id=user.id),
        "sessions": sessions.list_sessions(
            db, user=user, actor=actor, current=_cookie(request, settings)
        ),
        "tokens": access.list_tokens(db, user=user, actor=actor),
        "must_enrol": actor.must_enrol,
        "enrol_by": actor.enrol_by,
        **extra,
    }
    return render(request, PAGE, context, status=status)


def _back() -> RedirectResponse:
    return RedirectResponse("/account/security", status_code=303)


@router.get("/account/security", response_class=HTMLResponse)
def security(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_ACCOUNT_READ)],
) -> HTMLResponse:
    """Second factors, recovery codes, signed-in browsers and tokens, each with its forms."""
    return _page(request, db, actor, settings)


@router.post("/account/factors/totp", response_class=HTMLResponse)
def begin_totp(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_FACTORS_MANAGE, fresh=True)],
    name: Annotated[str, Form(max_length=10_000)] = "Authenticator app",
) -> HTMLResponse:
    """Start a TOTP enrolment: the secret as a QR code and as text, and a form for a code."""
    user = _user(db, actor)
    try:
        factor = factors.begin_totp(db, user=user, name=name, actor=actor, settings=settings)
    except InvalidInput as exc:
        return _page(request, db, actor, settings, status=422, name_error=exc.message, name=name)
    uri = factors.provisioning_uri(factor, user=user, settings=settings)
    setup = {
        "id": factor.id,
        "secret": factors.totp_secret(factor, settings=settings),
        "qr": factors.qr_svg(uri),
    }
    return _page(request, db, actor, settings, status=201, setup=setup)


@router.post("/account/factors/totp/{factor_id}/confirm", response_class=HTMLResponse)
def confirm_totp(
    request: Request,
    factor_id: DbInt,
    db: DbSession,
    limiter: Limiter,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_FACTORS_MANAGE, fresh=True)],
    code: Annotated[str, Form(max_length=64)],
) -> Response:
    """Confirm the enrolment with the app's first code; the first factor brings codes."""
    user = _user(db, actor)
    try:
        factors.confirm_totp(
            db,
            limiter,
            user=user,
            factor_id=factor_id,
            code=code,
            actor=actor,
            settings=settings,
            keep_session=_cookie(request, settings),
        )
    except InvalidInput as exc:
        factor = factors.pending_totp(db, factor_id=factor_id, actor=actor)
        uri = factors.provisioning_uri(factor, user=user, settings=settings)
        setup = {
            "id": factor.id,
            "secret": factors.totp_secret(factor, settings=settings),
            "qr": factors.qr_svg(uri),
        }
        # Kept: the refusal's audit row and count commit with this answer.
        return _page(request, db, actor, settings, status=422, setup=setup, code_error=exc.message)
    _mark_proved(request, db, settings)
    if factors.recovery_codes_left(db, user_id=user.id) == 0:
        codes = factors.new_recovery_codes(db, user=user, actor=actor, settings=settings)
        return _page(request, db, actor, settings, status=201, new_codes=codes)
    return _back()


def _mark_proved(request: Request, db: Session, settings: Settings) -> None:
    # Enrolling proved the factor: this browser need not prove it again at once.
    row = sessions.by_cookie(db, _cookie(request, settings), pending=False)
    if row is not None:
        row.factor_at = utcnow()


def _browser(request: Request, db: Session, settings: Settings) -> WebSession:
    row = sessions.by_cookie(db, _cookie(request, settings), pending=False)
    if row is None:
        raise InvalidInput(
            N_("a passkey is registered from a signed-in browser"), field="credential"
        )
    return row


@router.post("/account/factors/webauthn/options")
def webauthn_options(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_FACTORS_MANAGE, fresh=True)],
) -> Response:
    """Options for registering a passkey or security key (JSON, for ``webauthn.js``)."""
    options = passkeys.registration_options(
        db,
        user=_user(db, actor),
        browser=_browser(request, db, settings),
        actor=actor,
        settings=settings,
    )
    return Response(options, media_type="application/json")


@router.post("/account/factors/webauthn")
def webauthn_register(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_FACTORS_MANAGE, fresh=True)],
    credential: Annotated[str, Form(max_length=65_536)],
    name: Annotated[str, Form(max_length=200)] = "Passkey",
) -> Response:
    """Store the browser's new credential; JSON with where to go next, or the reason."""
    try:
        passkeys.register(
            db,
            user=_user(db, actor),
            browser=_browser(request, db, settings),
            credential=credential,
            name=name,
            actor=actor,
            settings=settings,
            keep_session=_cookie(request, settings),
        )
    except AccordError as exc:
        return JSONResponse(exc.to_dict(), status_code=exc.status_code)
    _mark_proved(request, db, settings)
    return JSONResponse({"next": "/account/security"})


@router.post("/account/factors/{factor_id}/rename")
def rename_factor(
    request: Request,
    factor_id: DbInt,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_FACTORS_MANAGE)],
    # Longer than a name may be, so that the service's reason is the one shown.
    name: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Rename a factor; a name refused comes back beside that factor's field, as typed."""
    try:
        factors.rename_factor(
            db,
            user=_user(db, actor),
            factor_id=factor_id,
            name=name,
            actor=actor,
            settings=settings,
        )
    except InvalidInput as exc:
        db.rollback()
        rename = {"id": factor_id, "name": name, "error": exc.message}
        return _page(request, db, actor, settings, status=422, rename=rename)
    return _back()


@router.post("/account/factors/{factor_id}/remove")
def remove_factor(
    request: Request,
    factor_id: DbInt,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_FACTORS_MANAGE, fresh=True)],
) -> Response:
    """Remove a factor (after proving one again); the account's other sessions end."""
    factors.remove_factor(
        db,
        user=_user(db, actor),
        factor_id=factor_id,
        actor=actor,
        settings=settings,
        keep_session=_cookie(request, settings),
    )
    return _back()


@router.post("/account/recovery-codes", response_class=HTMLResponse)
def recovery_codes(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_FACTORS_MANAGE, fresh=True)],
) -> HTMLResponse:
    """New recovery codes, shown once; the old ones stop working."""
    codes = factors.new_recovery_codes(db, user=_user(db, actor), actor=actor, settings=settings)
    return _page(request, db, actor, settings, status=201, new_codes=codes)


@router.post("/account/sessions/{session_id}/end")
def end_session(
    session_id: DbInt,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.OWN_SESSIONS_MANAGE)],
) -> Response:
    """Sign one of the account's browsers out."""
    sessions.end_by_id(db, session_id=session_id, actor=actor)
    return _back()


@router.post("/orgs/{slug}/second-factor")
def org_rule(
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_MEMBERS_MANAGE, fresh=True)],
    require: Annotated[bool, Form()] = False,
) -> Response:
    """Require (or stop requiring) a second factor of the organization's members."""
    set_second_factor_rule(db, org=access_.org, require=require, actor=access_.actor)
    return RedirectResponse(f"/orgs/{access_.org.slug}/members", status_code=303)
