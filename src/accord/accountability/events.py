"""Refreshing the stored figures when something they count happens.

Other domains call :func:`recorded` in the transaction that writes the event (a vendor's
status or message, an advisory published, shared objects stored, a registry check), so the
refresh is queued if and only if the event commits. Every moment a figure reads is stamped by
the hub's clock, and figures count only moments before a period's end, so an event now can
change only the periods running now: the month, quarter and year that contain it.

Refreshes coalesce: the job carries a dedupe key naming those periods, and at most one job
per key waits queued (``jobs.services.enqueue``). It runs ``COALESCE_SECONDS`` after the
first event, so a burst of events costs one refresh. This module imports only the periods and
the job queue, so any domain may import it without a cycle.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accord.accountability import periods
from accord.clock import utcnow
from accord.config import Settings
from accord.jobs import services as jobs
from accord.jobs.models import Job

KIND = "accountability.refresh"  # handlers.KIND, without importing the handlers
COALESCE_SECONDS = 60


def affected(at: datetime) -> list[str]:
    """The keys of the periods an event at ``at`` may change: month, quarter, year."""
    return [periods.of(kind, at).key for kind in periods.PeriodKind]


def recorded(db: Session, *, settings: Settings | None = None, at: datetime | None = None) -> Job:
    """Queue (or find already queued) the refresh of the periods running at ``at`` (now)."""
    moment = at or utcnow()
    keys = affected(moment)
    return jobs.enqueue(
        db,
        kind=KIND,
        payload={"periods": keys},
        run_at=moment + timedelta(seconds=COALESCE_SECONDS),
        settings=settings,
        dedupe_key=f"{KIND}:{','.join(keys)}",
    )
