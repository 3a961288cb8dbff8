"""Jinja2 pages: one environment over every domain's ``templates/`` folder, and ``render``."""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, PrefixLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from sqlalchemy.orm import Session

from accord.disclosure.ids import explain_id
from accord.identity.policy import ANONYMOUS, Action, Actor, allowed
from accord.notifications import mail
from accord.web import i18n, navigation
from accord.web.labels import finding, label, problem
from accord.web.security import CSRF_COOKIE, CSRF_FIELD, cookie_name, csrf_token, set_csrf_cookie

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
    "check",
    "accountability",
    "dashboards",
    "campaigns",
    "aggregation",
)


def make_environment(extra_domains: tuple[str, ...] = ()) -> Environment:
    """The template environment, autoescaping everything."""
    loaders = {
        domain: FileSystemLoader(str(resources.files("accord") / domain / "templates"))
        for domain in DOMAINS_WITH_PAGES + extra_domains
    }
    # Sub-domains with pages of their own: single sign-on, inside identity.
    loaders["oidc"] = FileSystemLoader(
        str(resources.files("accord") / "identity" / "oidc" / "templates")
    )
    env = Environment(
        loader=PrefixLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # Multi-line {% trans %} blocks read as one line: the msgid does not depend on indentation.
    env.policies["ext.i18n.trimmed"] = True
    # The callables read the viewer from each render's context, so one shared environment
    # serves every language at once.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext,
        ngettext=i18n.ngettext,
        pgettext=i18n.pgettext,
        npgettext=i18n.npgettext,
        newstyle=True,
    )
    env.filters["when"] = i18n.when
    env.filters["day"] = i18n.day
    env.filters["moments"] = i18n.moments
    env.filters["zone_name"] = i18n.zone_name
    env.filters["number"] = i18n.number
    env.filters["translate"] = i18n.translate
    env.filters["label"] = label
    env.filters["problem"] = problem
    env.filters["finding"] = finding
    env.filters["id_note"] = _id_note
    env.globals["languages"] = i18n.LANGUAGES
    env.globals["Action"] = Action
    env.globals["csrf_field"] = CSRF_FIELD
    return env


@pass_context
def _id_note(context: Context, osv_id: str) -> str:
    """Template filter: the note explaining an advisory id of the hub's scheme, else ""."""
    settings = context["request"].app.state.settings
    viewer = context.get("viewer")
    gettext = viewer.translations.gettext if isinstance(viewer, i18n.Viewer) else str
    return explain_id(osv_id, prefix=settings.advisory_id_prefix, gettext=gettext) or ""


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render a page in the viewer's language and zone, with actor, CSRF token and hub name."""
    env: Environment = request.app.state.templates
    actor: Actor = getattr(request.state, "actor", None) or ANONYMOUS
    token = csrf_token(request)
    viewer = i18n.viewer_of(request)
    html = env.get_template(name).render(
        request=request,
        actor=actor,
        can=lambda action, org_id=None: allowed(actor, action, org_id=org_id),
        csrf_token=token,
        hub_name=request.app.state.settings.hub_name,
        nav=_menu(request, actor),
        # Operators are told on every page while no email can leave the hub.
        mail_missing=actor.is_operator and not mail.configured(request.app.state.settings),
        viewer=viewer,
        zone_guessed=i18n.zone_guessed(request),
        here=_here(request),
        **(context or {}),
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Language"] = viewer.language
    # The page depends on these request headers (and on the preference cookies).
    response.headers.add_vary_header("Accept-Language")
    response.headers.add_vary_header("Cookie")
    if request.cookies.get(cookie_name(CSRF_COOKIE, request.app.state.settings)) != token:
        set_csrf_cookie(request, response, token)
    return response


def _menu(request: Request, actor: Actor) -> navigation.Menu:
    """The header's menu. The viewer's organizations are read through the request's own
    session (a second connection per page could wait on a pool sized for one per request)
    while the request holds it, and never on the event loop: an error page drawn after the
    unit of work ended, or a page an ``async`` route draws, shows no organization menus."""
    orgs: list[navigation.OrgRef] = []
    db: Session | None = getattr(request.state, "db", None)
    if actor.roles and db is not None and not _on_event_loop():
        orgs = navigation.memberships(db, actor)
    return navigation.menu(actor, orgs)


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _here(request: Request) -> str:
    """The page's own path and query, for the language switch to come back to."""
    if request.method != "GET":
        return "/"  # a form's answer cannot be fetched again by a link
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
