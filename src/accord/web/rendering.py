"""Jinja2 pages: one environment over every domain's ``templates/`` folder, and ``render``."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, PrefixLoader, select_autoescape

from accord.identity.policy import ANONYMOUS, Action, Actor, allowed
from accord.web.security import CSRF_COOKIE, CSRF_FIELD, csrf_token

# Each domain keeps its templates beside its code; a name reads "registry/signatories.html".
DOMAINS_WITH_PAGES = (
    "web",
    "identity",
    "registry",
    "advisories",
    "transparency",
    "sharing",
    "jobs",
    "notifications",
    "disclosure",
    "accountability",
)


def make_environment(extra_domains: tuple[str, ...] = ()) -> Environment:
    """The template environment, autoescaping everything."""
    loaders = {
        domain: FileSystemLoader(str(resources.files("accord") / domain / "templates"))
        for domain in DOMAINS_WITH_PAGES + extra_domains
    }
    env = Environment(
        loader=PrefixLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.globals["Action"] = Action
    env.globals["csrf_field"] = CSRF_FIELD
    return env


def _when(value: datetime | None) -> str:
    # UTC with the zone named; a viewer's own zone comes with the localisation work.
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render a page, with the actor, the CSRF token and the hub's name in its context."""
    env: Environment = request.app.state.templates
    actor: Actor = getattr(request.state, "actor", None) or ANONYMOUS
    token = csrf_token(request)
    html = env.get_template(name).render(
        request=request,
        actor=actor,
        can=lambda action, org_id=None: allowed(actor, action, org_id=org_id),
        csrf_token=token,
        hub_name=request.app.state.settings.hub_name,
        **(context or {}),
    )
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=request.app.state.settings.secure_cookies,
            path="/",
        )
    return response
