"""The daily snapshot of every campaign (``campaigns.snapshot``): each campaign's figure
counted from the checks stored by then, kept per UTC day as its history. The job queues its
own next run a day on; creating a campaign starts the cycle if none waits (dedupe key)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from accord.campaigns import services
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.jobs import services as jobs
from accord.jobs.models import Job
from accord.jobs.registry import JobContext, handler

KIND = "campaigns.snapshot"
EVERY = timedelta(days=1)


@handler(KIND)
def take_snapshots(context: JobContext, payload: dict[str, Any]) -> None:
    """Snapshot every campaign now, then queue the next run."""
    with unit_of_work(context.sessions) as db:
        now = utcnow()
        for campaign in services.list_campaigns(db):
            services.snapshot(db, campaign=campaign, at=now)
    with unit_of_work(context.sessions) as db:
        schedule(db, settings=context.settings, delay=EVERY)


def schedule(db: Session, *, settings: Settings | None, delay: timedelta = EVERY) -> Job:
    """Queue the next snapshot ``delay`` from now, unless one is already queued."""
    return jobs.enqueue(
        db,
        kind=KIND,
        payload={},
        run_at=utcnow() + delay,
        settings=settings,
        dedupe_key=KIND,
    )
