"""The federation push job: ``sharing.push`` (payload ``{"target_id": n}``).

One run pushes every pending object of the target, a batch per transaction so that the cursor
of each accepted batch is kept even if a later one fails. A peer that fails makes the job
fail: the jobs system tries it again with back-off and shows it on the jobs page, and the
error is kept on the target for the federation page. A target with a schedule queues its
next run once a run succeeds.
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
from accord.jobs import services as jobs
from accord.jobs.models import Job, JobState
from accord.jobs.registry import JobContext, PermanentFailure, handler
from accord.sharing import push
from accord.sharing.federation import RemoteError
from accord.sharing.models import PushTarget

PUSH_KIND = "sharing.push"
MAX_BATCHES = 1000  # a run's bound; the rest goes in the next run, queued at once


def queue_push(db: Session, *, target: PushTarget, settings: Settings, at: datetime) -> Job:
    """Queue a push of ``target`` at ``at``; one already queued is brought forward, not doubled."""
    key = f"{PUSH_KIND}:{target.id}"
    queued = db.scalar(select(Job).where(Job.dedupe_key == key, Job.state == JobState.QUEUED))
    if queued is not None:
        queued.run_at = min(queued.run_at, at)
        return queued
    return jobs.enqueue(db, kind=PUSH_KIND, payload={"target_id": target.id}, run_at=at,
                        settings=settings, dedupe_key=key)  # fmt: skip


@handler(PUSH_KIND)
def run_push(context: JobContext, payload: dict[str, Any]) -> None:
    """Push what the target has pending, batch by batch."""
    target_id = payload.get("target_id")
    if not isinstance(target_id, int):
        raise PermanentFailure("the payload names no push target")
    settings = context.settings
    with unit_of_work(context.readers) as db:
        target = db.get(PushTarget, target_id)
        if target is None:
            return  # removed meanwhile
        if target.remote_collection is None:
            raise PermanentFailure("no collection of the peer is chosen yet")
        client = push.client_for(target, settings=settings, transport=outbound.transport(settings))
    with client:
        for _ in range(MAX_BATCHES):
            try:
                with unit_of_work(context.sessions) as db:
                    target = db.get(PushTarget, target_id)
                    if target is None:
                        return
                    settle = timedelta(seconds=settings.push_settle_seconds)
                    result = push.push_batch(
                        db, target=target, client=client, now=utcnow(), settle=settle
                    )
            except RemoteError as exc:
                _keep_error(context, target_id, exc.message)  # a Message, said by its id
                raise RemoteError(exc.message) from None
            if result.sent < push.BATCH:
                break
    with unit_of_work(context.sessions) as db:
        target = db.get(PushTarget, target_id)
        if target is None:
            return
        if result.sent == push.BATCH:  # past the run's bound: the rest at once
            queue_push(db, target=target, settings=settings, at=utcnow())
        elif target.every_minutes:
            later = utcnow() + timedelta(minutes=target.every_minutes)
            queue_push(db, target=target, settings=settings, at=later)


def _keep_error(context: JobContext, target_id: int, message: str) -> None:
    with unit_of_work(context.sessions) as db:
        target = db.get(PushTarget, target_id)
        if target is not None:
            push.keep_error(target, message)
