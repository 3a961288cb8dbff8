"""The refresh job reads a hub's records without holding SQLite's write lock.

Reading a period's records takes seconds on a large hub (a million shared objects). Done in
the job's writing transaction, it held the one write lock of SQLite all that time, and every
TAXII envelope, message or status change waited. The job now computes on a reader's snapshot
and writes the figures in a short transaction.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from accord.accountability import collect, handlers
from accord.accountability.models import ComputedFigures
from accord.config import Settings
from accord.db import make_sessionmaker
from accord.jobs.registry import JobContext
from tests.factories import Factories


def test_computing_figures_does_not_block_writers(
    make: Factories,
    engine: Engine,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make.org("Alpha")
    reading = threading.Event()
    release = threading.Event()
    original = collect.collect

    def slow_collect(*args: Any, **kwargs: Any) -> Any:
        reading.set()
        release.wait(8)  # at most: on the old code the write below waits for this
        return original(*args, **kwargs)

    monkeypatch.setattr(collect, "collect", slow_collect)
    context = JobContext(
        settings=settings,
        sessions=session_factory,
        readers=make_sessionmaker(engine, read_only=True),
        job_id=1,
        attempt=1,
    )
    job = threading.Thread(target=handlers.refresh, args=(context, {"periods": ["2026-03"]}))
    job.start()
    try:
        assert reading.wait(10)
        started = time.monotonic()
        make.org("Beta")  # any write: a new organization
        waited = time.monotonic() - started
    finally:
        release.set()
        job.join(30)
    assert waited < 5, f"a writer waited {waited:.1f} s for the refresh's computation"
    with session_factory() as db:
        assert db.scalar(select(func.count(ComputedFigures.id))) >= 1
