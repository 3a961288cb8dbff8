"""Pages of the aggregator: the providers registered and each one's documents, failures and
last pass; operators see all at ``/admin/csaf-providers``, an organization its own at
``/orgs/{slug}/csaf-providers``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from accord.aggregation import services, words
from accord.aggregation.models import CsafProvider
from accord.errors import N_, AccordError, Message, NotFound, say
from accord.identity.models import Organization
from accord.identity.policy import Action, Actor
from accord.limits import DbInt
from accord.web.deps import DbSession, OrgAccess, SettingsDep, guard, org_guard
from accord.web.i18n import viewer_of
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
ADMIN = "/admin/csaf-providers"


def _base(org: Organization | None) -> str:
    return ADMIN if org is None else f"/orgs/{org.slug}/csaf-providers"


def _list(
    request: Request,
    db: DbSession,
    actor: Actor,
    org: Organization | None,
    *,
    error: AccordError | None = None,
    given: str = "",
    mode: str = "aggregated",
    status: int = 200,
) -> HTMLResponse:
    rows = services.providers(db, actor=actor, organization_id=None if org is None else org.id)
    gettext = viewer_of(request).translations.gettext
    return render(
        request,
        "aggregation/providers.html",
        {
            "org": org,
            "base": _base(org),
            "providers": rows,
            "statuses": {p.id: words.status(p.last_status, gettext) for p in rows},
            # The refusal in the viewer's language (the template shows its field and message).
            "error": None
            if error is None
            else {
                "field": error.field,
                "message": say(error.message, viewer_of(request).translations.gettext),
            },
            "given": given,
            "mode": mode,
            "modes": services.MODES,
        },
        status=status,
    )


def _register(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Actor,
    org: Organization | None,
    given: str,
    mode: str,
) -> HTMLResponse | RedirectResponse:
    try:
        provider = services.register(db, actor=actor, settings=settings, given=given, mode=mode,
                                     organization_id=None if org is None else org.id)  # fmt: skip
    except AccordError as exc:
        db.rollback()
        return _list(request, db, actor, org, error=exc, given=given, mode=mode,
                     status=exc.status_code)  # fmt: skip
    return RedirectResponse(f"{_base(org)}/{provider.id}", status_code=303)


def _detail(
    request: Request, db: DbSession, actor: Actor, org: Organization | None, provider_id: int
) -> HTMLResponse:
    found = services.view(db, actor=actor, provider_id=provider_id)
    if org is not None and found.provider.organization_id != org.id:
        raise NotFound(
            Message(N_("no CSAF provider %(provider_id)s"), provider_id=provider_id),
            field="provider",
        )
    translations = viewer_of(request).translations
    run = found.last_run
    return render(
        request,
        "aggregation/provider.html",
        {
            "org": org,
            "base": _base(org),
            "view": found,
            "provider": found.provider,
            # The stored English records said for the viewer (``words``), each beside it.
            "refusals": {
                f.code: words.refusal(f.code, translations.gettext) for f in found.failures
            },
            "run_message": words.run_message(run.message, translations.ngettext)
            if run is not None and run.message
            else None,
        },
    )


@router.get(ADMIN, response_class=HTMLResponse)
def admin_providers(
    request: Request, db: DbSession, actor: Annotated[Actor, guard(Action.HUB_READ)]
) -> HTMLResponse:
    """Every provider the hub aggregates or lists, and the form to register one."""
    return _list(request, db, actor, None)


@router.post(ADMIN, response_class=HTMLResponse, response_model=None)
def admin_register(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.HUB_OPERATE)],
    given: Annotated[str, Form(max_length=500)] = "",
    mode: Annotated[str, Form(max_length=20)] = "aggregated",
) -> HTMLResponse | RedirectResponse:
    """Register a provider by its metadata URL or its domain."""
    return _register(request, db, settings, actor, None, given, mode)


@router.get(ADMIN + "/{provider_id}", response_class=HTMLResponse)
def admin_provider(
    request: Request,
    db: DbSession,
    actor: Annotated[Actor, guard(Action.HUB_READ)],
    provider_id: DbInt,
) -> HTMLResponse:
    """One provider: its last pass, its documents and what was refused."""
    return _detail(request, db, actor, None, provider_id)


@router.post(ADMIN + "/{provider_id}/run")
def admin_run(
    db: DbSession,
    settings: SettingsDep,
    actor: Annotated[Actor, guard(Action.HUB_OPERATE)],
    provider_id: DbInt,
) -> RedirectResponse:
    """Queue a pass over the provider now."""
    provider = db.get(CsafProvider, provider_id)
    if provider is None:
        raise NotFound(
            Message(N_("no CSAF provider %(provider_id)s"), provider_id=provider_id),
            field="provider",
        )
    services.queue_pass(db, provider=provider, settings=settings)
    return RedirectResponse(f"{ADMIN}/{provider_id}", status_code=303)


@router.get("/orgs/{slug}/csaf-providers", response_class=HTMLResponse)
def org_providers(
    request: Request,
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.ORG_PRIVATE_READ)],
) -> HTMLResponse:
    """The organization's own CSAF providers, and (for its admins) the form to add one."""
    return _list(request, db, access.actor, access.org)


@router.post("/orgs/{slug}/csaf-providers", response_class=HTMLResponse, response_model=None)
def org_register(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access: Annotated[OrgAccess, org_guard(Action.ORG_EDIT)],
    given: Annotated[str, Form(max_length=500)] = "",
    mode: Annotated[str, Form(max_length=20)] = "aggregated",
) -> HTMLResponse | RedirectResponse:
    """Register the organization's CSAF provider."""
    return _register(request, db, settings, access.actor, access.org, given, mode)


@router.get("/orgs/{slug}/csaf-providers/{provider_id}", response_class=HTMLResponse)
def org_provider(
    request: Request,
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.ORG_PRIVATE_READ)],
    provider_id: DbInt,
) -> HTMLResponse:
    """One of the organization's providers."""
    return _detail(request, db, access.actor, access.org, provider_id)
