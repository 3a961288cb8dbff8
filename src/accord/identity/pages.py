"""Identity pages: sign-in, the bootstrap link, the account and tokens (the operators'
accounts and audit log are in ``admin_pages.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.errors import AccordError, invalid_from
from accord.identity import access, factors, services
from accord.identity.models import TokenScope, User
from accord.identity.policy import Action, Actor
from accord.identity.schemas import TokenCreate, UserCreate
from accord.limits import DbInt
from accord.web import navigation
from accord.web.deps import (
    SESSION_COOKIE,
    DbSession,
    Limiter,
    SettingsDep,
    client_ip,
    guard,
    step_up,
)
from accord.web.errors import wants_json
from accord.web.forms import field_errors
from accord.web.rendering import render
from accord.web.security import (
    CSP,
    clear_private_cookie,
    cookie_name,
    rotate_csrf,
    set_private_cookie,
    verify_csrf,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this hub, else the home page."""
    # Only same-site paths: "//evil.example" and "https://..." would be open redirects.
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _new_user(request: Request, values: dict[str, str]) -> UserCreate | dict[str, str]:
    """The form's account, or (for a page) its problems by field, to show beside each input;
    a client that asked for JSON gets the 422 of the API."""
    try:
        return UserCreate.model_validate(values)
    except ValidationError as exc:
        if wants_json(request):
            raise invalid_from(exc) from None
        return field_errors(exc)


def signed_in(
    request: Request,
    db: Session,
    *,
    user: User,
    settings: Settings,
    target: str,
    pending: bool = False,
    factor_at: datetime | None = None,
) -> Response:
    """Open a session (``pending``: the password step only), set its cookie, go to ``target``."""
    # Lax, not Strict: a link from a mail to a case page must arrive signed in.
    secret = access.start_session(
        db,
        user=user,
        settings=settings,
        pending=pending,
        factor_at=factor_at,
        user_agent=request.headers.get("user-agent", ""),
        ip_address=client_ip(request),
    )
    if target == "/":  # no page asked for: the person's dashboard
        target = navigation.landing(db, user_id=user.id, is_operator=user.is_operator)
    response = _see_other(target)
    set_private_cookie(
        response, SESSION_COOKIE, secret, settings=settings, max_age=settings.session_hours * 3600
    )
    rotate_csrf(request, response)
    return response


def render_login(
    request: Request, db: Session, context: Mapping[str, object], *, status: int = 200
) -> HTMLResponse:
    """The sign-in page, offering beside the password the organizations that sign their
    people in through their own provider (accord.identity.oidc).

    Its form to a provider ends in a redirect to the provider's origin, which a browser
    checks against the page's ``form-action``: the page allows those origins, and no others.
    """
    from accord.identity.oidc.services import choices, form_origins

    providers = choices(db)
    response = render(
        request, "identity/login.html", {**context, "sso_choices": providers}, status=status
    )
    origins = form_origins(providers)
    if origins:
        widened = CSP.replace("form-action 'self'", "form-action 'self' " + " ".join(origins))
        response.headers["content-security-policy"] = widened
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.PUBLIC_READ)],
    next: str | None = None,
) -> HTMLResponse:
    """The sign-in form."""
    return render_login(request, db, {"next": safe_next(next)})


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    limiter: Limiter,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.PUBLIC_SUBMIT)],
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the password, open a session and set its cookie."""
    try:
        user = access.login(
            db,
            limiter,
            username=username,
            password=password,
            ip_address=client_ip(request),
            settings=settings,
        )
    except AccordError as exc:
        context = {"error": exc.message, "username": username, "next": safe_next(next)}
        return render_login(request, db, context, status=exc.status_code)
    if factors.list_factors(db, user_id=user.id):
        # Half signed in: the second factor's page finishes the sign-in, within minutes.
        target = f"/login/second-factor?{urlencode({'next': safe_next(next)})}"
        return signed_in(request, db, user=user, settings=settings, target=target, pending=True)
    return signed_in(request, db, user=user, settings=settings, target=safe_next(next))


@router.post("/logout")
def logout(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.PUBLIC_SUBMIT)],
) -> Response:
    """End the session everywhere, drop the cookie and give the browser a new CSRF token."""
    name = cookie_name(SESSION_COOKIE, settings)
    cookie = request.cookies.get(name)
    if cookie and actor.is_authenticated:
        access.end_session(db, secret=cookie, actor=actor)
    response = _see_other("/")
    clear_private_cookie(response, SESSION_COOKIE, settings=settings)
    rotate_csrf(request, response)
    return response


@router.get("/bootstrap", response_class=HTMLResponse)
def bootstrap_form(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.PUBLIC_READ)],
    token: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Create the first operator, with the one-time link `accord serve` printed."""
    valid = access.bootstrap_valid(db, token)
    return render(
        request,
        "identity/bootstrap.html",
        {"token": token, "valid": valid},
        status=200 if valid else 401,
    )


@router.post("/bootstrap")
def bootstrap(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.PUBLIC_SUBMIT)],
    token: Annotated[str, Form(max_length=200)],
    username: Annotated[str, Form(max_length=64)],
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Spend the link: the first operator account is created and signed in."""
    values = {"username": username, "email": email}
    data = _new_user(request, {**values, "password": password})
    if not isinstance(data, UserCreate):
        context = {"token": token, "valid": True, "values": values, "errors": data}
        return render(request, "identity/bootstrap.html", context, status=422)
    user = access.redeem_bootstrap(db, secret=token, data=data, ip_address=client_ip(request))
    return signed_in(request, db, user=user, settings=settings, target="/admin")


@router.get("/account", response_class=HTMLResponse)
def account(
    request: Request, db: DbSession, actor: Annotated[Actor, guard(Action.OWN_ACCOUNT_READ)]
) -> HTMLResponse:
    """The signed-in user's account, organizations and API tokens."""
    assert actor.user_id is not None
    user = services.user_with_orgs(db, actor.user_id)
    tokens = access.list_tokens(db, user=user, actor=actor)
    # Imported here: the demo reaches into every domain, the account page into none.
    from accord.demo.services import has_data

    return render(
        request,
        "identity/account.html",
        {
            "user": user,
            "tokens": tokens,
            "scopes": list(TokenScope),
            "new_token": None,
            "offer_demo": actor.is_operator and not has_data(db),
        },
    )


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.OWN_TOKENS_MANAGE)],
    # Longer than a name may be, so that TokenCreate says it beside the field.
    name: Annotated[str, Form(max_length=10_000)] = "",
    scope: Annotated[str, Form(max_length=10_000)] = "",
    expires_in_days: Annotated[str, Form(max_length=10)] = "90",
) -> HTMLResponse:
    """Create a token and show its secret, once (an admin token: after a recent factor);
    a mistake comes back beside its field, what was typed kept."""
    assert actor.user_id is not None
    user = services.user_with_orgs(db, actor.user_id)
    values = {"name": name, "scope": scope, "expires_in_days": expires_in_days}
    context: dict[str, object] = {"user": user, "scopes": list(TokenScope), "new_token": None}
    try:
        data = TokenCreate.model_validate(values)
    except ValidationError as exc:
        if wants_json(request):
            raise invalid_from(exc) from None
        tokens = access.list_tokens(db, user=user, actor=actor)
        context.update(tokens=tokens, values=values, errors=field_errors(exc))
        return render(request, "identity/account.html", context, status=422)
    if data.scope is TokenScope.ADMIN:
        step_up(request, actor)
    try:
        _, secret = access.create_token(db, user=user, data=data, actor=actor, settings=settings)
    except AccordError as exc:
        if wants_json(request):
            raise
        db.rollback()
        tokens = access.list_tokens(db, user=user, actor=actor)
        errors = {exc.field or "name": exc.message}
        context.update(tokens=tokens, values=values, errors=errors)
        return render(request, "identity/account.html", context, status=exc.status_code)
    tokens = access.list_tokens(db, user=user, actor=actor)
    context.update(tokens=tokens, new_token=secret)
    return render(request, "identity/account.html", context, status=201)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    token_id: DbInt, db: DbSession, actor: Annotated[Actor, guard(Action.OWN_TOKENS_MANAGE)]
) -> Response:
    """Revoke one of the user's tokens."""
    access.revoke_token(db, token_id=token_id, actor=actor)
    return _see_other("/account")
