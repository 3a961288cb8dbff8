"""The worker against the real database: claims, retries, leases, concurrency, a crash."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import tests.jobs.handlers as test_handlers
from accord.clock import utcnow
from accord.config import Settings
from accord.db import unit_of_work
from accord.errors import Conflict
from accord.identity.models import AuditEvent
from accord.identity.policy import SYSTEM
from accord.jobs import services
from accord.jobs.models import Job, JobState
from accord.jobs.worker import Worker, backoff_seconds

ROOT = Path(__file__).resolve().parents[2]
LATER = timedelta(days=1)  # "now" far enough ahead that every back-off has passed


def _enqueue(factory: sessionmaker[Session], kind: str, n: int = 1, **kwargs: object) -> list[int]:
    with unit_of_work(factory) as db:
        jobs = [services.enqueue(db, kind=kind, payload={"n": i, **kwargs}) for i in range(n)]
        return [job.id for job in jobs]


def _job(db: Session, job_id: int) -> Job:
    db.rollback()
    job = db.get(Job, job_id)
    assert job is not None
    db.refresh(job)
    return job


def test_a_job_runs_once_and_is_kept_done(
    worker: Worker, session_factory: sessionmaker[Session], db: Session
) -> None:
    (job_id,) = _enqueue(session_factory, "tests.record")
    assert worker.run_until_idle() == 1
    assert [run[0] for run in test_handlers.RUNS] == [job_id]
    job = _job(db, job_id)
    assert (job.state, job.attempts, job.locked_by, job.last_error) == (
        JobState.DONE,
        1,
        None,
        None,
    )
    assert job.finished_at is not None
    assert worker.run_until_idle() == 0


def test_a_job_queued_in_a_rolled_back_transaction_never_exists(
    worker: Worker, session_factory: sessionmaker[Session], db: Session
) -> None:
    def change_that_fails() -> None:
        with unit_of_work(session_factory) as session:
            services.enqueue(session, kind="tests.record", payload={})
            raise RuntimeError("the caller's change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert db.scalars(select(Job)).all() == []
    assert worker.run_until_idle() == 0


def test_a_job_due_later_waits(worker: Worker, session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as db:
        services.enqueue(db, kind="tests.record", payload={}, run_at=utcnow() + timedelta(hours=1))
    assert worker.run_until_idle() == 0
    assert worker.run_until_idle(now=utcnow() + timedelta(hours=2)) == 1


def test_a_failing_job_is_retried_with_back_off_then_dead_and_retried_by_an_operator(
    worker: Worker, session_factory: sessionmaker[Session], db: Session
) -> None:
    with unit_of_work(session_factory) as session:
        job_id = services.enqueue(session, kind="tests.fail", payload={}, max_attempts=3).id
    before = utcnow()
    assert worker.run_once()
    job = _job(db, job_id)
    assert (job.state, job.attempts) == (JobState.FAILED, 1)
    assert job.last_error == "RuntimeError: failing on attempt 1"
    assert job.run_at > before  # waits for its back-off
    assert worker.run_once(now=utcnow() + LATER)
    assert worker.run_once(now=utcnow() + 2 * LATER)
    job = _job(db, job_id)
    assert (job.state, job.attempts) == (JobState.DEAD, 3)
    assert job.last_error == "RuntimeError: failing on attempt 3"
    assert not worker.run_once(now=utcnow() + 3 * LATER)  # dead: never claimed again
    assert [j.id for j in services.list_jobs(db, state=JobState.DEAD)] == [job_id]

    with unit_of_work(session_factory) as session:
        services.retry(session, job_id=job_id, actor=SYSTEM)
    job = _job(db, job_id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 0)
    audit = db.scalars(select(AuditEvent).where(AuditEvent.action == "job.retry")).one()
    assert audit.target == f"job:{job_id}"
    assert worker.run_once()
    assert _job(db, job_id).last_error == "RuntimeError: failing on attempt 1"


def test_only_dead_or_failed_jobs_are_retried(
    worker: Worker, session_factory: sessionmaker[Session]
) -> None:
    (job_id,) = _enqueue(session_factory, "tests.record")
    worker.run_until_idle()
    with pytest.raises(Conflict), unit_of_work(session_factory) as session:
        services.retry(session, job_id=job_id, actor=SYSTEM)


def test_a_kind_without_handler_is_dead_at_once(
    worker: Worker, session_factory: sessionmaker[Session], db: Session
) -> None:
    (job_id,) = _enqueue(session_factory, "tests.nobody-handles-this")
    worker.run_until_idle()
    job = _job(db, job_id)
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert "no handler" in (job.last_error or "")


def test_back_off_doubles_is_capped_and_jittered(settings: Settings) -> None:
    policy = settings.model_copy(
        update={"job_backoff_base_seconds": 10.0, "job_backoff_max_seconds": 100.0}
    )
    rng = random.Random(5)
    for attempt, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)]:
        delays = [backoff_seconds(policy, attempt, rng=rng) for _ in range(200)]
        assert ceiling / 2 <= min(delays)
        assert max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling / 10  # jitter spreads them


def test_an_expired_lease_is_taken_over_and_the_late_worker_cannot_overwrite(
    settings: Settings,
    session_factory: sessionmaker[Session],
    readers: sessionmaker[Session],
    db: Session,
) -> None:
    first = Worker(settings=settings, sessions=session_factory, worker_id="first")
    second = Worker(settings=settings, sessions=session_factory, worker_id="second")
    (job_id,) = _enqueue(session_factory, "tests.record")
    claimed = first.claim()
    assert claimed is not None
    assert second.claim() is None  # leased to the first
    expired = utcnow() + timedelta(seconds=settings.job_lease_seconds + 1)
    taken = second.claim(now=expired)
    assert taken is not None
    assert taken.attempt == 2
    second.execute(taken)
    first.execute(claimed)  # the first worker comes back late: its outcome is dropped
    job = _job(db, job_id)
    assert (job.state, job.attempts, job.locked_by) == (JobState.DONE, 2, None)


def test_a_lease_that_expires_on_the_last_attempt_makes_the_job_dead(
    settings: Settings, session_factory: sessionmaker[Session], db: Session
) -> None:
    lone = Worker(settings=settings, sessions=session_factory, worker_id="lone")
    with unit_of_work(session_factory) as session:
        job_id = services.enqueue(session, kind="tests.record", payload={}, max_attempts=1).id
    assert lone.claim() is not None
    expired = utcnow() + timedelta(seconds=settings.job_lease_seconds + 1)
    assert lone.claim(now=expired) is None
    job = _job(db, job_id)
    assert job.state is JobState.DEAD
    assert "lease expired" in (job.last_error or "")


@pytest.mark.slow
def test_concurrent_workers_never_run_the_same_job(
    settings: Settings,
    session_factory: sessionmaker[Session],
    readers: sessionmaker[Session],
) -> None:
    test_handlers.RUNS.clear()
    ids = _enqueue(session_factory, "tests.record", 60, work=0.002)
    workers = [
        Worker(settings=settings, sessions=session_factory, readers=readers) for _ in range(4)
    ]
    start = threading.Barrier(len(workers))

    def run(w: Worker) -> None:
        start.wait()
        w.run_until_idle()

    threads = [threading.Thread(target=run, args=(w,), name=f"w{i}") for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    ran = [job_id for job_id, _ in test_handlers.RUNS]
    assert sorted(ran) == ids  # every job, each exactly once
    assert len({name for _, name in test_handlers.RUNS}) > 1  # the work was really shared


@pytest.mark.slow
def test_a_job_whose_worker_was_killed_runs_again_after_its_lease(
    settings: Settings,
    session_factory: sessionmaker[Session],
    worker: Worker,
    db: Session,
    tmp_path: Path,
) -> None:
    marker = tmp_path / "started"
    (job_id,) = _enqueue(session_factory, "tests.block", marker=str(marker))
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.jobs.crash_worker",
            settings.resolved_database_url,
            str(settings.data_dir),
        ],
        cwd=ROOT,
        env={**os.environ, test_handlers.BLOCK_ENV: "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():  # the child is inside the handler
            assert child.poll() is None
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    job = _job(db, job_id)
    assert job.state is JobState.RUNNING
    assert f":{child.pid}:" in (job.locked_by or "")
    assert not worker.run_once()  # still leased to the dead worker
    expired = utcnow() + timedelta(seconds=settings.job_lease_seconds + 1)
    assert worker.run_once(now=expired)
    job = _job(db, job_id)
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert marker.read_text().split() == [str(os.getpid()), "2"]
