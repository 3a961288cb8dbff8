"""Queueing jobs and what operators do with them: list, inspect, retry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Conflict, Message, NotFound
from accord.identity import audit
from accord.identity.policy import Action, Actor, authorize
from accord.jobs.models import Job, JobState

MAX_KIND_LENGTH = 100


def enqueue(
    db: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime | None = None,
    settings: Settings | None = None,
    max_attempts: int | None = None,
    organization_id: int | None = None,
    dedupe_key: str | None = None,
) -> Job:
    """Add a job to ``db``'s transaction: nothing runs before the caller commits.

    ``payload`` must be JSON; it is what the handler of ``kind`` receives. The number of
    attempts comes from ``max_attempts``, else from ``settings``, else the settings' default.
    With ``dedupe_key``, a job still queued under the same key is returned instead of adding
    a second one (a unique index on queued keys holds this across concurrent transactions).
    """
    if not kind or len(kind) > MAX_KIND_LENGTH:
        raise ValueError(f"a job kind has 1 to {MAX_KIND_LENGTH} characters")
    attempts = max_attempts or (
        settings.job_max_attempts if settings else Settings.model_fields["job_max_attempts"].default
    )
    if dedupe_key is not None:
        return _enqueue_once(db, kind, payload, run_at, attempts, organization_id, dedupe_key)
    job = Job(
        kind=kind,
        payload=payload,
        state=JobState.QUEUED,
        attempts=0,
        max_attempts=attempts,
        run_at=run_at or utcnow(),
        organization_id=organization_id,
    )
    db.add(job)
    db.flush()
    return job


def _enqueue_once(
    db: Session,
    kind: str,
    payload: dict[str, Any],
    run_at: datetime | None,
    attempts: int,
    organization_id: int | None,
    key: str,
) -> Job:
    queued = select(Job).where(Job.dedupe_key == key, Job.state == JobState.QUEUED)
    found = db.scalar(queued)
    if found is not None:
        return found
    # Another transaction may queue the same key meanwhile: ON CONFLICT DO NOTHING (SQLite
    # and PostgreSQL alike) waits for it and adds nothing, instead of failing the caller.
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Job)
        .values(
            kind=kind,
            payload=payload,
            state=JobState.QUEUED,
            attempts=0,
            max_attempts=attempts,
            run_at=run_at or utcnow(),
            organization_id=organization_id,
            dedupe_key=key,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(
            index_elements=[Job.dedupe_key],
            index_where=text("state = 'queued' AND dedupe_key IS NOT NULL"),
        )
    )
    db.execute(statement)
    return db.scalars(queued.execution_options(populate_existing=True)).one()


def list_jobs(
    db: Session,
    *,
    state: JobState | None = None,
    kind: str | None = None,
    organization_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> Sequence[Job]:
    """Jobs, newest first, filtered; ``before_id`` pages backwards without offsets."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Job.state == state)
    if kind:
        query = query.where(Job.kind == kind)
    if organization_id is not None:
        query = query.where(Job.organization_id == organization_id)
    if before_id is not None:
        query = query.where(Job.id < before_id)
    return db.scalars(query).all()


def get_job(db: Session, job_id: int) -> Job:
    """One job, or :class:`NotFound`."""
    job = db.get(Job, job_id)
    if job is None:
        raise NotFound(Message(N_("no job %(job_id)s"), job_id=job_id))
    return job


def retry(db: Session, *, job_id: int, actor: Actor) -> Job:
    """Queue a dead (or failed) job again now, with a fresh count of attempts (operators).

    The last error stays until the next attempt replaces it.
    """
    authorize(actor, Action.JOBS_RETRY)
    job = db.scalars(select(Job).where(Job.id == job_id).with_for_update()).one_or_none()
    if job is None:
        raise NotFound(Message(N_("no job %(job_id)s"), job_id=job_id))
    if job.state not in (JobState.DEAD, JobState.FAILED):
        raise Conflict(
            Message(
                N_("job %(job_id)s is %(state)s; only a dead or failed job is retried"),
                job_id=job_id,
                state=job.state.value,
            )
        )
    previous = job.state
    job.state = JobState.QUEUED
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    audit.record(
        db,
        actor=actor,
        action="job.retry",
        target=f"job:{job.id}",
        organization_id=job.organization_id,
        details={"kind": job.kind, "was": previous.value},
    )
    return job
