"""The registry's scheduled checks: every signatory's security.txt, disclosure policy and
CSAF provider metadata, each result kept.

``registry.checks`` (payload ``{}`` for every signatory, or ``{"org_ids": [...]}``) queues one
``registry.check`` job per organization and, with ``"every_minutes": n``, its own next run n
minutes on (as ``accountability.refresh`` does): an operator starts the cycle once with
``accord registry schedule-checks --every 1440``. One job per organization keeps each job
within the lease (three fetches, each bounded by the outbound timeout), retries an
organization alone when its checks fail, and lets several workers check side by side. A
``registry.check`` still queued for an organization is not queued again (dedupe key).

Each organization is checked in two transactions: security.txt, then the other two, which read
the security.txt just stored.
"""

from __future__ import annotations

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
from accord.jobs.registry import JobContext, PermanentFailure, handler
from accord.registry import checks, reach_checks
from accord.registry.models import Departure

KIND = "registry.checks"
ONE = "registry.check"
MAX_EVERY_MINUTES = 31 * 24 * 60


@handler(KIND)
def run_checks(context: JobContext, payload: dict[str, Any]) -> None:
    """Queue one ``registry.check`` per organization of the payload (every signatory)."""
    started = utcnow()
    with context.readers() as db:
        # A signatory that left is no longer checked; its checks so far stay as history.
        query = (
            select(Organization.id)
            .outerjoin(Departure, Departure.organization_id == Organization.id)
            .where(Organization.kind == OrgKind.SIGNATORY, Departure.id.is_(None))
        )
        wanted = payload.get("org_ids")
        if isinstance(wanted, list):
            query = select(Organization.id).where(Organization.id.in_(wanted))
        org_ids = list(db.scalars(query.order_by(Organization.id)))
    with unit_of_work(context.sessions) as db:
        for org_id in org_ids:
            jobs.enqueue(
                db,
                kind=ONE,
                payload={"org_id": org_id},
                settings=context.settings,
                organization_id=org_id,
                dedupe_key=f"{ONE}:{org_id}",
            )
        every = payload.get("every_minutes")
        if isinstance(every, int) and 0 < every <= MAX_EVERY_MINUTES:
            schedule(db, every_minutes=every, settings=context.settings,
                     start=started + timedelta(minutes=every))  # fmt: skip


@handler(ONE)
def check_one(context: JobContext, payload: dict[str, Any]) -> None:
    """All three checks of one organization, each stored in its own transaction."""
    org_id = payload.get("org_id")
    if not isinstance(org_id, int):
        raise PermanentFailure("the payload names no organization")
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
