"""The ``accountability.refresh`` job: recompute the stored figures.

Payload: ``{"periods": ["2026-03", ...]}`` to refresh those periods, or ``{}`` for the
periods that may still change (see :func:`due_periods`). With ``"every_minutes": n`` the job
queues its own next run n minutes on, which is how the hub keeps the figures fresh without a
scheduler: an operator starts the cycle once (``accord accountability refresh --every 60`` or
the button on the operators' page) and it keeps going; a repeated job only ever rewrites rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.accountability import hub, periods, services
from accord.accountability.models import ComputedFigures
from accord.accountability.periods import Period, PeriodKind
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import AccordError
from accord.jobs import services as jobs
from accord.jobs.models import Job, JobState
from accord.jobs.registry import JobContext, PermanentFailure, handler

KIND = "accountability.refresh"
MAX_EVERY_MINUTES = 7 * 24 * 60
TREND_LENGTH = 8  # views.TREND_LENGTH: the quarters a signatory's page charts


def due_periods(now: datetime) -> list[Period]:
    """The periods whose figures may still change at ``now``: the running month, quarter and
    year, and the ones just before them (recomputed after their end, then stable)."""
    found: list[Period] = []
    for kind in PeriodKind:
        current = periods.of(kind, now)
        found += [periods.previous(current), current]
    return found


def trend_quarters(now: datetime) -> list[Period]:
    """The ended quarters signatory pages chart (``views.TREND_LENGTH`` of them)."""
    found: list[Period] = []
    current = periods.previous(periods.of(PeriodKind.QUARTER, now))
    for _ in range(TREND_LENGTH):
        found.append(current)
        current = periods.previous(current)
    return found


def _missing(db: Session, candidates: list[Period]) -> list[Period]:
    stored = set(
        db.scalars(
            select(ComputedFigures.period_key)
            .where(ComputedFigures.period_key.in_([p.key for p in candidates]))
            .distinct()
        )
    )
    return [p for p in candidates if p.key not in stored]


def _periods(payload: dict[str, Any], now: datetime, db: Session) -> list[Period]:
    keys = payload.get("periods")
    if keys is None:
        # The periods that may change, and any charted quarter never stored (a new hub).
        found = due_periods(now) + _missing(db, trend_quarters(now))
        return list({p.key: p for p in found}.values())
    try:
        return [periods.parse(str(key)) for key in keys]
    except AccordError as exc:
        raise PermanentFailure(exc.message) from None


@handler(KIND)
def refresh(context: JobContext, payload: dict[str, Any]) -> None:
    """Recompute and store the figures of the payload's periods, one transaction a period."""
    now = utcnow()
    with context.readers() as db:
        chosen = _periods(payload, now, db)
    for period in chosen:
        # Computed on a reader's snapshot, stored in a short write: the write lock is not held
        # while a large hub's records are read (seconds at a million shared objects).
        with context.readers() as db:
            computed = services.compute(db, period=period)
        with unit_of_work(context.sessions) as db:
            services.store(db, period=period, computed=computed)
            hub.store(db, period=period)
    every = payload.get("every_minutes")
    if isinstance(every, int) and 0 < every <= MAX_EVERY_MINUTES:
        with unit_of_work(context.sessions) as db:
            schedule(
                db,
                every_minutes=every,
                settings=context.settings,
                start=now + timedelta(minutes=every),
            )


def schedule(
    db: Session,
    *,
    every_minutes: int | None,
    settings: Settings | None = None,
    start: datetime | None = None,
    periods_keys: list[str] | None = None,
) -> Job:
    """Queue a refresh (repeating every ``every_minutes`` when given). A repeating refresh
    already queued is returned instead of queueing a second one."""
    if every_minutes is not None:
        # Event-driven refreshes (events.py) wait queued too: only a repeating one counts.
        for waiting in db.scalars(
            select(Job).where(Job.kind == KIND, Job.state == JobState.QUEUED)
        ):
            if waiting.payload.get("every_minutes"):
                return waiting
    payload: dict[str, Any] = {}
    if periods_keys is not None:
        payload["periods"] = periods_keys
    if every_minutes is not None:
        payload["every_minutes"] = every_minutes
    return jobs.enqueue(db, kind=KIND, payload=payload, run_at=start, settings=settings)
