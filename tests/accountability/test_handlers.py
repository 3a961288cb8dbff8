"""The refresh job: stores figures, and queues its own next run when it repeats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import handlers
from accord.accountability.models import ComputedFigures
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.jobs.models import Job, JobState
from accord.jobs.registry import JobContext, PermanentFailure, handler_for, load_handlers
from tests.factories import Factories


def _context(session_factory: sessionmaker[Session], settings: Settings) -> JobContext:
    return JobContext(
        settings=settings, sessions=session_factory, readers=session_factory, job_id=1, attempt=1
    )


def test_due_periods_are_the_running_and_the_last_ended() -> None:
    keys = [p.key for p in handlers.due_periods(datetime(2026, 1, 15, tzinfo=UTC))]
    assert keys == ["2025-12", "2026-01", "2025-Q4", "2026-Q1", "2025", "2026"]


def test_refresh_stores_rows_and_repeats(
    make: Factories, session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> None:
    load_handlers()
    assert handler_for(handlers.KIND) is handlers.refresh
    make.org("Alpha")
    make.org("Beta")
    context = _context(session_factory, settings)
    handlers.refresh(context, {"periods": ["2026-03", "2026-Q1"], "every_minutes": 60})
    db.rollback()
    assert db.scalar(select(func.count(ComputedFigures.id))) == 4
    queued = db.scalars(select(Job).where(Job.kind == handlers.KIND)).all()
    assert len(queued) == 1
    assert queued[0].state is JobState.QUEUED
    assert queued[0].payload == {"every_minutes": 60}
    # Running again rewrites the same rows, and a repeating job is never queued twice.
    handlers.refresh(context, {"periods": ["2026-03"], "every_minutes": 60})
    db.rollback()
    assert db.scalar(select(func.count(ComputedFigures.id))) == 4
    assert db.scalar(select(func.count(Job.id)).where(Job.kind == handlers.KIND)) == 1
    with unit_of_work(session_factory) as w:
        handlers.schedule(w, every_minutes=30, settings=settings)
    db.rollback()
    assert db.scalar(select(func.count(Job.id)).where(Job.kind == handlers.KIND)) == 1


def test_a_bad_period_fails_for_good(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with pytest.raises(PermanentFailure, match="2026-13"):
        handlers.refresh(_context(session_factory, settings), {"periods": ["2026-13"]})


def test_a_refresh_without_periods_fills_the_charted_quarters(
    make: Factories, session_factory: sessionmaker[Session], settings: Settings, db: Session
) -> None:
    make.org("Alpha")
    now = utcnow()
    expected = {p.key for p in handlers.due_periods(now)} | {
        p.key for p in handlers.trend_quarters(now)
    }
    assert len(handlers.trend_quarters(now)) == 8
    handlers.refresh(_context(session_factory, settings), {})
    db.rollback()
    stored = set(db.scalars(select(ComputedFigures.period_key)))
    assert stored == expected
