"""Whether each vendor of a case was told: read from the notification jobs themselves.

An invitation queues one job per address and per webhook; the case remembers those jobs
(``disclosure_deliveries``), and its pages say what really happened to them instead of
assuming that queueing a mail is telling someone.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.disclosure.models import CaseDelivery
from accord.jobs.models import Job, JobState


class Delivery(enum.StrEnum):
    """How far the notification of one vendor got."""

    NOTIFIED = "notified"  # at least one delivery succeeded
    QUEUED = "queued"  # none succeeded yet, and some will still be tried
    FAILED = "failed"  # every delivery failed for good, or there was nobody to tell


def remember(db: Session, *, case_id: int, organization_id: int, jobs: Sequence[Job]) -> None:
    """Keep the jobs that notify ``organization_id`` of the case (none: a row saying so)."""
    job_ids: list[int | None] = [job.id for job in jobs]
    for job_id in job_ids or [None]:
        db.add(CaseDelivery(case_id=case_id, organization_id=organization_id, job_id=job_id))


def state_of(states: Sequence[JobState]) -> Delivery:
    """One vendor's state from its jobs' states (no job: nobody could be told)."""
    if JobState.DONE in states:
        return Delivery.NOTIFIED
    if not states or all(state is JobState.DEAD for state in states):
        return Delivery.FAILED
    return Delivery.QUEUED


def vendor_states(db: Session, *, case_id: int) -> dict[int, Delivery]:
    """Each notified vendor's state, by organization id (one query). A vendor invited
    before deliveries were kept has none."""
    query = (
        select(CaseDelivery.organization_id, Job.state)
        .outerjoin(Job, Job.id == CaseDelivery.job_id)
        .where(CaseDelivery.case_id == case_id)
    )
    found: dict[int, list[JobState]] = {}
    for org_id, state in db.execute(query):
        states = found.setdefault(org_id, [])
        if state is not None:
            states.append(state)
    return {org_id: state_of(states) for org_id, states in found.items()}
