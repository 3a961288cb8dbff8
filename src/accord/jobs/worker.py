"""The worker: claim a due job, run its handler outside the claim, record the outcome.

Claiming is one short transaction. On PostgreSQL, ``SELECT ... FOR UPDATE SKIP LOCKED``
lets many workers claim side by side, each skipping rows another is claiming; on SQLite the
claim transaction begins with ``BEGIN IMMEDIATE`` (see :mod:`accord.db`), which holds the one
write lock, so two claims never interleave. A claim sets a lease (``locked_until``): a job
whose worker died is ``running`` with an expired lease, and the next claim takes it again.

The handler runs with no transaction of the worker open, so a slow SMTP server holds no lock.
Its outcome is written only while the worker still holds the lease (``locked_by``), so a
worker that outlived its lease cannot overwrite the run of the one that took the job over.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import utcnow
from accord.config import Settings
from accord.errors import N_, Message
from accord.jobs.models import CLAIMABLE, Job, JobState
from accord.jobs.registry import JobContext, PermanentFailure, handler_for, load_handlers
from accord.message_records import record

log = logging.getLogger("accord.jobs")

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class Claimed:
    """A job as claimed: enough to run it without touching the session that claimed it."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int


def backoff_seconds(settings: Settings, attempt: int, *, rng: random.Random | None = None) -> float:
    """The wait before attempt ``attempt + 1``: exponential, capped, with jitter.

    ``base * 2**(attempt-1)``, at most ``job_backoff_max_seconds``, then scaled by a random
    factor in [0.5, 1] ("equal jitter") so that deliveries failing together spread out.
    """
    exponential = settings.job_backoff_base_seconds * 2.0 ** max(attempt - 1, 0)
    capped = min(exponential, settings.job_backoff_max_seconds)
    factor: float = (rng or random).uniform(0.5, 1.0)
    return capped * factor


def default_worker_id() -> str:
    """host:pid:random, so that an operator can tell which process holds a job."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due(now: datetime) -> Any:
    return or_(
        and_(Job.state.in_(CLAIMABLE), Job.run_at <= now),
        and_(Job.state == JobState.RUNNING, Job.locked_until < now),
    )


class Worker:
    """Claims and runs jobs from one database; one thread of work per instance."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        readers: sessionmaker[Session] | None = None,
        worker_id: str | None = None,
    ) -> None:
        load_handlers()
        self.settings = settings
        self.sessions = sessions
        self.readers = readers
        self.worker_id = worker_id or default_worker_id()

    # -- one job -------------------------------------------------------------------------

    def run_once(self, *, now: datetime | None = None) -> bool:
        """Claim one due job and run it; False when nothing was due."""
        claimed = self.claim(now=now)
        if claimed is None:
            return False
        self.execute(claimed, now=now)
        return True

    def run_until_idle(self, *, now: datetime | None = None, limit: int = 1000) -> int:
        """Run due jobs until none is left (or ``limit``); how many ran."""
        count = 0
        while count < limit and self.run_once(now=now):
            count += 1
        return count

    def claim(self, *, now: datetime | None = None) -> Claimed | None:
        """Take the next due job under a lease, in one short transaction."""
        now = now or utcnow()
        if self.readers is not None and not self._anything_due(now):
            # A read first, so that an idle worker polling SQLite never takes the write lock.
            return None
        lease = timedelta(seconds=self.settings.job_lease_seconds)
        with self.sessions() as db, db.begin():
            while True:
                job = db.scalars(
                    select(Job)
                    .where(_due(now))
                    .order_by(Job.run_at, Job.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).one_or_none()
                if job is None:
                    return None
                if job.state is JobState.RUNNING and job.attempts >= job.max_attempts:
                    # Its worker died on the last attempt: no attempt is left to take over.
                    job.state = JobState.DEAD
                    stopped = Message(
                        N_("lease expired (worker %(worker)s stopped)"), worker=job.locked_by
                    )
                    job.last_error, job.last_error_said = str(stopped), record(stopped)
                    job.locked_by = job.locked_until = None
                    job.finished_at = now
                    db.flush()
                    continue
                if job.state is JobState.RUNNING:
                    log.warning(
                        "job %s: lease of %s expired; taking it over", job.id, job.locked_by
                    )
                job.state = JobState.RUNNING
                job.attempts += 1
                job.locked_by = self.worker_id
                job.locked_until = now + lease
                return Claimed(
                    id=job.id,
                    kind=job.kind,
                    payload=dict(job.payload),
                    attempt=job.attempts,
                    max_attempts=job.max_attempts,
                )

    def _anything_due(self, now: datetime) -> bool:
        assert self.readers is not None
        with self.readers() as db:
            return bool(db.scalar(select(exists().where(_due(now)))))

    def execute(self, claimed: Claimed, *, now: datetime | None = None) -> None:
        """Run a claimed job's handler and record the outcome.

        ``now`` (tests) is the time the outcome is recorded at, and a retry counted from.
        """
        handler = handler_for(claimed.kind)
        context = JobContext(
            settings=self.settings,
            sessions=self.sessions,
            readers=self.readers or self.sessions,
            job_id=claimed.id,
            attempt=claimed.attempt,
        )
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for job kind {claimed.kind!r}")
            handler(context, claimed.payload)
        except PermanentFailure as exc:
            self._finish(claimed, now, failure=exc, retry=False)
        except Exception as exc:
            self._finish(claimed, now, failure=exc, retry=True)
        else:
            self._finish(claimed, now, failure=None, retry=False)

    def _finish(
        self, claimed: Claimed, now: datetime | None, *, failure: Exception | None, retry: bool
    ) -> None:
        now = now or utcnow()
        values: dict[str, Any] = {"locked_by": None, "locked_until": None}
        error = None if failure is None else _describe(failure)
        # A domain error's message is kept by its id too, for the pages (not a class's name).
        values["last_error_said"] = record(getattr(failure, "message", None))
        if error is None:
            values.update(state=JobState.DONE, finished_at=now, last_error=None)
        elif retry and claimed.attempt < claimed.max_attempts:
            delay = backoff_seconds(self.settings, claimed.attempt)
            values.update(
                state=JobState.FAILED, run_at=now + timedelta(seconds=delay), last_error=error
            )
            log.warning(
                "job %s (%s) attempt %s failed, retrying in %.0f s: %s",
                claimed.id,
                claimed.kind,
                claimed.attempt,
                delay,
                error,
            )
        else:
            values.update(state=JobState.DEAD, finished_at=now, last_error=error)
            log.error(
                "job %s (%s) is dead after %s attempts: %s",
                claimed.id,
                claimed.kind,
                claimed.attempt,
                error,
            )
        with self.sessions() as db, db.begin():
            result = db.execute(
                update(Job)
                .where(Job.id == claimed.id, Job.locked_by == self.worker_id)
                .values(**values)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                log.warning("job %s: lease lost before its outcome was recorded", claimed.id)

    # -- a loop --------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Run jobs until ``stop`` is set; sleep ``job_poll_seconds`` whenever none is due."""
        log.info("job worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                ran = self.run_once()
            except Exception:
                # The database went away for a moment: wait and try again, never die.
                log.exception("job worker %s: claim failed", self.worker_id)
                ran = False
            if not ran:
                stop.wait(self.settings.job_poll_seconds)
        log.info("job worker %s stopped", self.worker_id)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return message[:MAX_ERROR_CHARS]


class WorkerThread:
    """A worker in a daemon thread, for the web process; :meth:`stop` ends it cleanly."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=worker.run_forever, args=(self._stop,), name="accord-jobs", daemon=True
        )

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the worker to stop after its current job, and wait for it."""
        self._stop.set()
        self._thread.join(timeout)
