"""The federation pull job: ``sharing.pull`` (payload ``{"remote_id": n}``).

"Pull now" on the federation pages queues one; a remote with an interval queues its next run
once a run succeeds (``accord sharing sync`` from cron pulls the remotes set up by command
too; a pull asks only what the remote added since the checkpoint, so both may run). A remote
that fails makes the job fail: the jobs system tries it again with back-off and shows it on
the jobs page, and the error is kept on the remote for the federation pages.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord import outbound
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import AccordError
from accord.identity.policy import SYSTEM
from accord.jobs import services as jobs
from accord.jobs.models import Job, JobState
from accord.jobs.registry import JobContext, PermanentFailure, handler
from accord.sharing import federation, remotes
from accord.sharing.federation import RemoteError
from accord.sharing.models import Remote

PULL_KIND = "sharing.pull"


def queue_pull(db: Session, *, remote: Remote, settings: Settings, at: datetime) -> Job:
    """Queue a pull of ``remote`` at ``at``; one already queued is brought forward."""
    key = f"{PULL_KIND}:{remote.id}"
    queued = db.scalar(select(Job).where(Job.dedupe_key == key, Job.state == JobState.QUEUED))
    if queued is not None:
        queued.run_at = min(queued.run_at, at)
        return queued
    return jobs.enqueue(db, kind=PULL_KIND, payload={"remote_id": remote.id}, run_at=at,
                        settings=settings, dedupe_key=key)  # fmt: skip


@handler(PULL_KIND)
def run_pull(context: JobContext, payload: dict[str, Any]) -> None:
    """Pull what the remote added since its checkpoint."""
    remote_id = payload.get("remote_id")
    if not isinstance(remote_id, int):
        raise PermanentFailure("the payload names no remote")
    settings = context.settings
    try:
        with unit_of_work(context.sessions) as db:
            remote = db.get(Remote, remote_id)
            if remote is None:
                return  # removed meanwhile
            with remotes.http_client(remote, settings=settings) as client:
                federation.pull(db, remote=remote, client=client, actor=SYSTEM, now=utcnow())
            if remote.every_minutes:
                later = utcnow() + timedelta(minutes=remote.every_minutes)
                queue_pull(db, remote=remote, settings=settings, at=later)
    except outbound.Refused as exc:
        _keep_error(context, remote_id, exc.message)
        raise RemoteError(exc.message) from None
    except AccordError as exc:
        _keep_error(context, remote_id, exc.message)  # a Message: said on the pages by its id
        raise


def _keep_error(context: JobContext, remote_id: int, message: str) -> None:
    with unit_of_work(context.sessions) as db:
        remote = db.get(Remote, remote_id)
        if remote is not None:
            remotes.keep_error(remote, message)
