from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

import tests.jobs.handlers as test_handlers
from accord.config import Settings
from accord.db import make_sessionmaker
from accord.jobs.worker import Worker


@pytest.fixture
def readers(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine, read_only=True)


@pytest.fixture
def worker(
    settings: Settings, session_factory: sessionmaker[Session], readers: sessionmaker[Session]
) -> Worker:
    test_handlers.RUNS.clear()
    return Worker(settings=settings, sessions=session_factory, readers=readers)
