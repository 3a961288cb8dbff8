"""What the web app's lifespan starts and stops besides serving requests."""

from __future__ import annotations

import gc
import threading

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from accord.config import Settings
from accord.web.app import create_app


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


def test_the_lifespan_checkpoints_sqlite_and_freezes_what_start_up_built(
    settings: Settings, engine: Engine
) -> None:
    with TestClient(create_app(settings, engine=engine)) as client:
        assert client.get("/healthz").status_code == 200
        running = _threads()
        # What the process built up to its first start is out of the collector's reach.
        assert gc.get_freeze_count() > 10_000
    assert "accord-deliveries" in running
    if engine.dialect.name == "sqlite":
        assert "accord-checkpoints" in running
    else:
        assert "accord-checkpoints" not in running  # PostgreSQL checkpoints on its own
    assert not {"accord-checkpoints", "accord-deliveries"} & _threads()
    assert gc.get_freeze_count() > 10_000  # once a process: a later start does not collect again
