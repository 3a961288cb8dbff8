"""The worker the web app runs in its own process (the embedded default)."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import tests.jobs.handlers as test_handlers
from accord.config import Settings
from accord.db import unit_of_work
from accord.jobs import services
from accord.web.app import create_app


def test_the_app_runs_jobs_in_process_and_stops_its_worker(
    settings: Settings, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    test_handlers.RUNS.clear()
    embedded = settings.model_copy(update={"worker_in_process": True, "job_poll_seconds": 0.05})
    assert embedded.runs_worker_in_process
    with unit_of_work(session_factory) as db:
        job_id = services.enqueue(db, kind="tests.record", payload={}).id
    with TestClient(create_app(embedded, engine=engine)):
        deadline = time.monotonic() + 10
        while not test_handlers.RUNS:
            assert time.monotonic() < deadline
            time.sleep(0.02)
    assert [run[0] for run in test_handlers.RUNS] == [job_id]
    assert test_handlers.RUNS[0][1] == "accord-jobs"
    assert "accord-jobs" not in [t.name for t in threading.enumerate()]


def test_the_embedded_default_runs_a_worker_and_postgresql_does_not(settings: Settings) -> None:
    sqlite = Settings(data_dir=settings.data_dir)
    assert sqlite.runs_worker_in_process
    postgres = Settings(database_url="postgresql+psycopg://db.example/accord")
    assert not postgres.runs_worker_in_process
    forced = Settings(database_url="postgresql+psycopg://db.example/accord", worker_in_process=True)
    assert forced.runs_worker_in_process
