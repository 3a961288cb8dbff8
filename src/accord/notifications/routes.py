"""The webhooks API of an organization: register, list, remove, test, and see deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from accord.identity.policy import Action
from accord.jobs.models import JobState
from accord.limits import DbInt
from accord.notifications import services
from accord.notifications.schemas import (
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from accord.web.deps import DbSession, OrgAccess, SettingsDep, org_guard

router = APIRouter(tags=["notifications"])


@router.get("/orgs/{slug}/webhooks", response_model=list[WebhookRead])
def list_webhooks(
    db: DbSession, access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_READ)]
) -> list[WebhookRead]:
    """The organization's webhooks (without their secrets)."""
    rows = services.list_webhooks(db, org=access.org, actor=access.actor)
    return [WebhookRead.model_validate(hook) for hook in rows]


@router.post("/orgs/{slug}/webhooks", response_model=WebhookCreated, status_code=201)
def create_webhook(
    db: DbSession,
    settings: SettingsDep,
    access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_MANAGE)],
    data: WebhookCreate,
) -> WebhookCreated:
    """Register a webhook; the answer holds its signing secret, shown only this once."""
    hook, secret = services.create_webhook(
        db,
        org=access.org,
        url=data.url,
        description=data.description,
        actor=access.actor,
        settings=settings,
    )
    return WebhookCreated(**WebhookRead.model_validate(hook).model_dump(), secret=secret)


@router.delete("/orgs/{slug}/webhooks/{webhook_id}", status_code=204)
def delete_webhook(
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_MANAGE)],
    webhook_id: DbInt,
) -> Response:
    """Remove a webhook."""
    services.delete_webhook(db, org=access.org, webhook_id=webhook_id, actor=access.actor)
    return Response(status_code=204)


@router.post(
    "/orgs/{slug}/webhooks/{webhook_id}/ping", response_model=DeliveryRead, status_code=202
)
def ping_webhook(
    db: DbSession,
    settings: SettingsDep,
    access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_MANAGE)],
    webhook_id: DbInt,
) -> DeliveryRead:
    """Queue a test delivery (event ``webhook.ping``) to one webhook."""
    job = services.ping_webhook(
        db, org=access.org, webhook_id=webhook_id, actor=access.actor, settings=settings
    )
    return DeliveryRead.of(job)


@router.get("/orgs/{slug}/webhook-deliveries", response_model=list[DeliveryRead])
def list_deliveries(
    db: DbSession,
    access: Annotated[OrgAccess, org_guard(Action.WEBHOOKS_READ)],
    state: JobState | None = None,
    before_id: Annotated[DbInt | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryRead]:
    """The organization's webhook deliveries, newest first, with state and last error."""
    rows = services.deliveries(
        db, org=access.org, actor=access.actor, state=state, before_id=before_id, limit=limit
    )
    return [DeliveryRead.of(job) for job in rows]
