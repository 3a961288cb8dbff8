"""The operators' page of background jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from accord.identity.policy import Action, Actor
from accord.jobs import registry, services
from accord.jobs.models import JobState
from accord.limits import DbInt
from accord.web.deps import DbSession, guard
from accord.web.rendering import render
from accord.web.security import verify_csrf

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])
PAGE = 100


@router.get("/admin/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request,
    db: DbSession,
    _: Annotated[Actor, guard(Action.JOBS_READ)],
    state: Annotated[str | None, Query(max_length=20)] = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    before_id: Annotated[DbInt | None, Query(ge=1)] = None,
) -> HTMLResponse:
    """Jobs, newest first, filtered by state and kind; dead ones with a retry button."""
    chosen = JobState(state) if state in {s.value for s in JobState} else None
    rows = services.list_jobs(db, state=chosen, kind=kind or None, before_id=before_id, limit=PAGE)
    return render(
        request,
        "jobs/jobs.html",
        {
            "jobs": rows,
            "states": list(JobState),
            "state": chosen.value if chosen else "",
            "kind": kind or "",
            # Offered in a list, not typed: every registered kind, and one asked for that no
            # handler has (jobs of a kind this version dropped) so that it stays chosen.
            "kinds": sorted({*registry.kinds(), *([kind] if kind else [])}),
            "next_before": rows[-1].id if len(rows) == PAGE else None,
        },
    )


@router.post("/admin/jobs/{job_id}/retry")
def retry_job(
    db: DbSession, actor: Annotated[Actor, guard(Action.JOBS_RETRY)], job_id: DbInt
) -> RedirectResponse:
    """Queue a dead or failed job again, then back to the list."""
    services.retry(db, job_id=job_id, actor=actor)
    return RedirectResponse("/admin/jobs", status_code=303)
