"""The scheduled check of single sign-on: ``oidc.check`` asks each provider, with the
refresh token of each person it signed in, whether it still knows them
(``revocation.check_links``), then queues its own next run ``ACCORD_OIDC_CHECK_MINUTES`` on
while any provider is registered. Registering a provider starts the cycle; one run waits at
a time (dedupe key)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.oidc import revocation
from accord.identity.oidc.models import OidcProvider
from accord.jobs import services as jobs
from accord.jobs.registry import JobContext, handler

KIND = "oidc.check"


@handler(KIND)
def check(context: JobContext, payload: dict[str, Any]) -> None:
    """Run the check (no transaction open while a provider answers); queue the next while
    a provider is registered."""
    del payload
    revocation.check_links(context.sessions, readers=context.readers, settings=context.settings)
    with unit_of_work(context.sessions) as db:
        if db.scalar(select(OidcProvider.id).limit(1)) is not None:
            schedule(db, settings=context.settings)


def schedule(db: Session, *, settings: Settings) -> None:
    """Queue the next check, unless one waits already."""
    jobs.enqueue(
        db,
        kind=KIND,
        payload={},
        run_at=utcnow() + timedelta(minutes=settings.oidc_check_minutes),
        settings=settings,
        dedupe_key=KIND,
    )
