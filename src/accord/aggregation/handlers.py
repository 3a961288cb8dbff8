"""The aggregator's scheduled work.

``aggregation.pass`` (payload ``{"provider_id": n}``) passes over one provider's feeds;
``aggregation.schedule`` queues one pass per aggregated provider and, with
``"every_minutes": n``, its own next run (``accord aggregation schedule --every 60``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from accord.aggregation import passes
from accord.aggregation.models import CsafProvider
from accord.aggregation.services import PASS_KIND
from accord.clock import utcnow
from accord.db import unit_of_work
from accord.jobs import services as jobs
from accord.jobs.registry import JobContext, PermanentFailure, handler

SCHEDULE_KIND = "aggregation.schedule"
MAX_EVERY_MINUTES = 31 * 24 * 60


@handler(PASS_KIND)
def run_pass(context: JobContext, payload: dict[str, Any]) -> None:
    """One pass over the provider of the payload."""
    provider_id = payload.get("provider_id")
    if not isinstance(provider_id, int):
        raise PermanentFailure("the payload names no provider")
    try:
        summary = passes.run(context.sessions, provider_id=provider_id, settings=context.settings)
    except LookupError:
        return  # removed meanwhile
    if summary.remaining:
        # Past the pass's cap: the rest in the next pass, queued now (not after the schedule).
        with unit_of_work(context.sessions) as db:
            jobs.enqueue(db, kind=PASS_KIND, payload={"provider_id": provider_id},
                         settings=context.settings,
                         dedupe_key=f"{PASS_KIND}:{provider_id}")  # fmt: skip


@handler(SCHEDULE_KIND)
def schedule_passes(context: JobContext, payload: dict[str, Any]) -> None:
    """Queue one pass per aggregated provider (and this job's next run, if repeating)."""
    started = utcnow()
    with unit_of_work(context.sessions) as db:
        ids = db.scalars(select(CsafProvider.id).where(CsafProvider.mode == "aggregated")).all()
        for provider_id in ids:
            jobs.enqueue(db, kind=PASS_KIND, payload={"provider_id": provider_id},
                         settings=context.settings,
                         dedupe_key=f"{PASS_KIND}:{provider_id}")  # fmt: skip
        every = payload.get("every_minutes")
        if isinstance(every, int) and 0 < every <= MAX_EVERY_MINUTES:
            jobs.enqueue(db, kind=SCHEDULE_KIND, payload={"every_minutes": every},
                         run_at=started + timedelta(minutes=every),
                         settings=context.settings)  # fmt: skip
