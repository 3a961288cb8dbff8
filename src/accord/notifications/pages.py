"""The webhooks page of an organization, for its admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from accord.errors import AccordError
from accord.identity.policy import Action
from accord.limits import DbInt
from accord.notifications import services
from accord.notifications.schemas import DeliveryRead
from accord.web.deps import DbSession, OrgAccess, SettingsDep, org_guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _page(
    request: Request,
    db: DbSession,
    access: OrgAccess,
    *,
    created: tuple[int, str] | None = None,
    error: AccordError | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    hooks = services.list_webhooks(db, org=access.org, actor=access.actor)
    rows = services.deliveries(db, org=access.org, actor=access.actor, limit=50)
    return render(
        request,
        "notifications/webhooks.html",
        {
            "org": access.org,
            "hooks": hooks,
            "deliveries": [DeliveryRead.of(job) for job in rows],
            "created": created,
            "error": error,
            "values": values,
        },
        status=status,
    )


@router.get("/orgs/{slug}/webhooks", response_class=HTMLResponse)
def webhooks_page(
    request: Request,
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_READ)],
) -> HTMLResponse:
    """The organization's webhooks and their latest deliveries."""
    return _page(request, db, access)


@router.post("/orgs/{slug}/webhooks", response_class=HTMLResponse)
def create_webhook(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_MANAGE)],
    # Empty or too long: the service's refusal, beside the field.
    url: Annotated[str, Form(max_length=10_000)] = "",
    description: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Register a webhook and show its secret, once."""
    try:
        hook, secret = services.create_webhook(
            db,
            org=access.org,
            url=url,
            description=description,
            actor=access.actor,
            settings=settings,
        )
    except AccordError as exc:
        db.rollback()
        values = {"url": url, "description": description}
        return _page(request, db, access, error=exc, values=values, status=exc.status_code)
    return _page(request, db, access, created=(hook.id, secret), status=201)


@router.post("/orgs/{slug}/webhooks/{webhook_id}/delete")
def delete_webhook(
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_MANAGE)],
    webhook_id: DbInt,
) -> RedirectResponse:
    """Remove a webhook."""
    services.delete_webhook(db, org=access.org, webhook_id=webhook_id, actor=access.actor)
    return RedirectResponse(f"/orgs/{access.org.slug}/webhooks", status_code=303)


@router.post("/orgs/{slug}/webhooks/{webhook_id}/ping")
def ping_webhook(
    db: DbSession,
    settings: SettingsDep,
    access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_MANAGE)],
    webhook_id: DbInt,
) -> RedirectResponse:
    """Queue a test delivery."""
    services.ping_webhook(
        db, org=access.org, webhook_id=webhook_id, actor=access.actor, settings=settings
    )
    return RedirectResponse(f"/orgs/{access.org.slug}/webhooks", status_code=303)
