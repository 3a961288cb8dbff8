"""Single sign-on pages: the way out and back, and the provider forms of admins and operators."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.errors import AccordError, NotFound
from accord.identity.models import Organization
from accord.identity.oidc import revocation, services, signin
from accord.identity.oidc.models import OidcProvider
from accord.identity.oidc.protocol import Refusal
from accord.identity.oidc.schemas import ProviderForm
from accord.identity.pages import _see_other, render_login, safe_next, signed_in
from accord.identity.policy import Action, Actor
from accord.identity.ratelimit import address_key
from accord.web.admission import writes
from accord.web.deps import (
    DbSession,
    Limiter,
    OrgAccess,
    SettingsDep,
    client_ip,
    guard,
    org_guard,
)
from accord.web.forms import field_errors
from accord.web.i18n import N_
from accord.web.rendering import render
from accord.web.security import clear_private_cookie, cookie_name, set_private_cookie, verify_csrf

# The provider's fields as sent, empty or too long included: ProviderForm says what is wrong
# with each, beside it, rather than the request's validation on the generic error page.
FormText = Annotated[str, Form(max_length=20_000)]
router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
STATE_COOKIE = "accord_oidc_state"


def _login_page(
    request: Request, db: Session, *, context: Mapping[str, object], status: int
) -> HTMLResponse:
    return render_login(request, db, context, status=status)


@router.post("/login/sso")
def start(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    limiter: Limiter,
    _: Annotated[Actor, guard(Action.PUBLIC_SUBMIT)],
    email: Annotated[str, Form(max_length=320)] = "",
    provider: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Send the browser to the provider of the address typed, or of the organization chosen."""
    # Each start reaches the provider and stores a pending sign-in: bounded per address,
    # as failed password sign-ins are.
    limiter.check(
        f"sso:start:{address_key(client_ip(request))}",
        limit=settings.login_address_failures_per_window,
        window_seconds=settings.login_window_seconds,
    )
    # Looked up through a read-only session: the request's writing one begins only once the
    # provider has answered (on SQLite it would hold the hub's one writer while it answers).
    chosen = None
    with request.app.state.reader() as reading:
        if provider is not None:
            chosen = reading.get(OidcProvider, provider)
        elif email.strip():
            chosen = services.for_email(reading, email)
    if chosen is None:
        field = "provider" if provider is not None else "email"
        message = (
            N_("no organization signs this address in here; sign in with your password")
            if email.strip()
            else N_("type your e-mail address or choose your organization")
        )
        context = {
            "sso_error": message,
            "sso_field": field,
            "sso_email": email,
            "next": safe_next(next),
        }
        return _login_page(request, db, context=context, status=422)
    try:
        url, state = signin.start(db, provider=chosen, next_path=safe_next(next), settings=settings)
    except NotFound as gone:  # the provider was removed while it answered
        # Said at the page's top: with no provider left the sign-in choices are not shown.
        context = {"error": gone.message, "sso_email": email, "next": safe_next(next)}
        return _login_page(request, db, context=context, status=422)
    except AccordError:
        context = {
            "sso_error": N_("the identity provider could not be reached; try again later"),
            "sso_field": "email",
            "sso_email": email,
            "next": safe_next(next),
        }
        return _login_page(request, db, context=context, status=502)
    response = RedirectResponse(url, status_code=303)
    # Lax: the provider sends the browser back with a top-level GET, which carries it.
    set_private_cookie(
        response, STATE_COOKIE, state, settings=settings, max_age=signin.LOGIN_MINUTES * 60
    )
    return response


@router.get(signin.CALLBACK_PATH)
@writes  # the provider's answer signs a person in: a session, perhaps an account
def callback(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.PUBLIC_READ)],
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
    iss: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """The provider's answer: a session for the person it vouched for, or the refusal."""
    # A GET that writes (the session, the audit row of a refusal), admitted as a write: the
    # request's unit of work commits whether the sign-in succeeds or is refused, since a
    # refusal is answered (401), not raised.
    try:
        user, target = signin.finish(
            db,
            state=state,
            browser_state=request.cookies.get(cookie_name(STATE_COOKIE, settings)),
            code=code,
            error=error,
            issuer=iss,
            settings=settings,
            ip_address=client_ip(request),
        )
    except Refusal as exc:
        response: Response = render(
            request, "oidc/refused.html", {"message": exc.message}, status=401
        )
    else:
        response = signed_in(request, db, user=user, settings=settings, target=target)
    clear_private_cookie(response, STATE_COOKIE, settings=settings)
    return response


def _provider_page(
    request: Request,
    db: Session,
    *,
    org: Organization | None,
    settings: Settings,
    values: dict[str, object] | None = None,
    errors: Mapping[str, object] | None = None,
    status: int = 200,
) -> HTMLResponse:
    provider = services.provider_of(db, org)
    if values is None and provider is not None:
        values = {
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "allowed_domains": " ".join(provider.allowed_domains),
            "passwords_allowed": provider.passwords_allowed,
        }
    context = {
        "org": org,
        "provider": provider,
        "values": values or {"passwords_allowed": True},
        "errors": errors or {},
        "redirect_uri": signin.redirect_uri(settings),
        "members": revocation.linked_members(db, org=org) if org else [],
        "action": f"/orgs/{org.slug}/sso" if org else "/admin/sso",
    }
    return render(request, "oidc/provider.html", context, status=status)


def _save(
    request: Request,
    db: Session,
    *,
    org: Organization | None,
    actor: Actor,
    settings: Settings,
    values: dict[str, object],
) -> Response:
    shown = {k: v for k, v in values.items() if k != "client_secret"}
    try:
        data = ProviderForm.model_validate(values)
    except ValidationError as exc:
        return _provider_page(
            request,
            db,
            org=org,
            settings=settings,
            values=shown,
            errors=dict(field_errors(exc)),
            status=422,
        )
    try:
        services.save_provider(db, org=org, data=data, actor=actor, settings=settings)
    except AccordError as exc:
        if exc.status_code in (401, 403):
            raise
        db.rollback()
        errors = {exc.field or "issuer": exc.message}
        return _provider_page(
            request,
            db,
            org=org,
            settings=settings,
            values=shown,
            errors=errors,
            status=exc.status_code,
        )
    return _see_other(f"/orgs/{org.slug}/sso" if org else "/admin/sso")


@router.get("/orgs/{slug}/sso", response_class=HTMLResponse)
def org_provider(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_SSO_MANAGE)],
) -> HTMLResponse:
    """The organization's provider and the people it signed in (its admins)."""
    return _provider_page(request, db, org=access_.org, settings=settings)


@router.post("/orgs/{slug}/sso")
def save_org_provider(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_SSO_MANAGE)],
    issuer: FormText = "",
    client_id: FormText = "",
    allowed_domains: FormText = "",
    client_secret: FormText = "",
    passwords_allowed: Annotated[bool, Form()] = False,
) -> Response:
    """Register or change the organization's provider."""
    values: dict[str, object] = {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": client_secret,
        "allowed_domains": allowed_domains,
        "passwords_allowed": passwords_allowed,
    }
    return _save(
        request, db, org=access_.org, actor=access_.actor, settings=settings, values=values
    )


@router.post("/orgs/{slug}/sso/members/{username}/revoke")
def revoke_member(
    username: str,
    db: DbSession,
    access_: Annotated[OrgAccess, org_guard(Action.ORG_SSO_MANAGE)],
) -> Response:
    """End a member's access now (the provider no longer knows them)."""
    revocation.revoke(db, org=access_.org, username=username, actor=access_.actor)
    return _see_other(f"/orgs/{access_.org.slug}/sso")


@router.get("/admin/sso", response_class=HTMLResponse)
def hub_provider(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    _: Annotated[Actor, guard(Action.HUB_READ)],
) -> HTMLResponse:
    """The hub-wide provider (operators)."""
    return _provider_page(request, db, org=None, settings=settings)


@router.post("/admin/sso")
def save_hub_provider(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.HUB_OPERATE)],
    issuer: FormText = "",
    client_id: FormText = "",
    allowed_domains: FormText = "",
    client_secret: FormText = "",
) -> Response:
    """Register or change the hub-wide provider (operators)."""
    values: dict[str, object] = {
        "issuer": issuer,
        "client_id": client_id,
        "client_secret": client_secret,
        "allowed_domains": allowed_domains,
        "passwords_allowed": True,
    }
    return _save(request, db, org=None, actor=actor, settings=settings, values=values)
