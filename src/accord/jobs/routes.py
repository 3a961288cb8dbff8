"""The jobs API for operators: list, inspect and retry background jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from accord.identity.policy import Action, Actor
from accord.jobs import services
from accord.jobs.models import JobState
from accord.jobs.schemas import JobRead
from accord.limits import DbInt
from accord.web.deps import DbSession, guard

router = APIRouter(tags=["jobs"])


@router.get("/jobs", response_model=list[JobRead])
def list_jobs(
    db: DbSession,
    _: Annotated[Actor, guard(Action.JOBS_READ)],
    state: JobState | None = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    before_id: Annotated[DbInt | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[JobRead]:
    """Jobs, newest first: queued, running, failed (waiting to retry), dead, done."""
    rows = services.list_jobs(db, state=state, kind=kind, before_id=before_id, limit=limit)
    return [JobRead.model_validate(job) for job in rows]


@router.get("/jobs/{job_id}", response_model=JobRead)
def get_job(db: DbSession, _: Annotated[Actor, guard(Action.JOBS_READ)], job_id: DbInt) -> JobRead:
    """One job."""
    return JobRead.model_validate(services.get_job(db, job_id))


@router.post("/jobs/{job_id}/retry", response_model=JobRead)
def retry_job(
    db: DbSession, actor: Annotated[Actor, guard(Action.JOBS_RETRY)], job_id: DbInt
) -> JobRead:
    """Queue a dead or failed job again now, with its attempts counted afresh."""
    return JobRead.model_validate(services.retry(db, job_id=job_id, actor=actor))
