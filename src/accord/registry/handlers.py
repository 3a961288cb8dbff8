"""The ``registry.checks`` job: check every signatory's security.txt, disclosure policy and
CSAF provider metadata, and keep each result.

Payload: ``{}`` for every signatory, or ``{"org_ids": [...]}``. With ``"every_minutes": n``
the job queues its own next run n minutes on (as ``accountability.refresh`` does): an operator
starts the cycle once with ``accord registry schedule-checks --every 1440``.

Each organization is checked in its own transactions (one for security.txt, then one for the
other two, which read the security.txt just stored), so a slow server delays only its own
results and a failure of one organization does not stop the others.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.identity.models import Organization, OrgKind
from accord.identity.policy import SYSTEM
from accord.jobs import services as jobs
from accord.jobs.models import Job, JobState
from accord.jobs.registry import JobContext, handler
from accord.registry import checks, reach_checks

KIND = "registry.checks"
MAX_EVERY_MINUTES = 31 * 24 * 60
log = logging.getLogger(__name__)


@handler(KIND)
def run_checks(context: JobContext, payload: dict[str, Any]) -> None:
    """Check the payload's organizations (every signatory by default)."""
    started = utcnow()
    with context.readers() as db:
        query = select(Organization.id).where(Organization.kind == OrgKind.SIGNATORY)
        wanted = payload.get("org_ids")
        if isinstance(wanted, list):
            query = select(Organization.id).where(Organization.id.in_(wanted))
        org_ids = list(db.scalars(query.order_by(Organization.id)))
    for org_id in org_ids:
        try:
            check_one(context, org_id)
        except Exception:
            log.exception("registry checks of organization %s failed", org_id)
    every = payload.get("every_minutes")
    if isinstance(every, int) and 0 < every <= MAX_EVERY_MINUTES:
        with unit_of_work(context.sessions) as db:
            schedule(db, every_minutes=every, settings=context.settings,
                     start=started + timedelta(minutes=every))  # fmt: skip


def check_one(context: JobContext, org_id: int) -> None:
    """All three checks of one organization, each stored in its own transaction."""
    for run in (checks.run, reach_checks.run):
        with unit_of_work(context.sessions) as db:
            org = db.get(Organization, org_id)
            if org is None:
                return  # deleted meanwhile
            run(db, org=org, actor=SYSTEM, settings=context.settings)


def schedule(
    db: Session,
    *,
    every_minutes: int | None,
    settings: Settings | None = None,
    start: datetime | None = None,
) -> Job:
    """Queue the checks (repeating every ``every_minutes`` when given). A repeating run
    already queued is returned instead of queueing a second one."""
    if every_minutes is not None:
        waiting = db.scalar(
            select(Job).where(Job.kind == KIND, Job.state == JobState.QUEUED).limit(1)
        )
        if waiting is not None and waiting.payload.get("every_minutes"):
            return waiting
    payload: dict[str, Any] = {}
    if every_minutes is not None:
        payload["every_minutes"] = every_minutes
    return jobs.enqueue(db, kind=KIND, payload=payload, run_at=start, settings=settings)
