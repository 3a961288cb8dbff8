"""What the web app's lifespan starts and stops besides serving requests."""

from __future__ import annotations

import gc
import threading
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.registry.models import AccordVersion
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


def test_routes_are_built_at_start_not_by_the_first_request(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # FastAPI builds an included router's handlers on the first request that reaches it
    # (about 200 ms for the hub's); the lifespan has it done before. Counted through the
    # private function that builds them: should FastAPI rename it, this fails loudly.
    built: list[str] = []
    original = fastapi.routing._EffectiveRouteContext.from_api_route

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs["original_route"].path)
        return original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing._EffectiveRouteContext, "from_api_route", counting)
    with TestClient(create_app(settings, engine=engine)) as client:
        at_start = len(built)
        assert client.get("/api/v1/sharing/collections").status_code == 200
        assert client.get("/taxii2/").status_code == 200
    assert at_start > 100  # every route of the hub
    assert len(built) == at_start  # and none again for the first requests

    # Without the lifespan (no start), the first request builds them: what it spares.
    built.clear()
    TestClient(create_app(settings, engine=engine)).get("/taxii2/")
    assert built


def test_the_accord_text_is_stored_before_the_first_request(
    settings: Settings, engine: Engine, db: Session
) -> None:
    # Seeded by the first GET, it was written in a read transaction: "database is locked"
    # on SQLite when another writer held the lock (the audit's 500 on a fresh hub).
    assert db.scalar(select(func.count()).select_from(AccordVersion)) == 0
    db.rollback()
    with TestClient(create_app(settings, engine=engine)):
        stored = db.scalar(select(AccordVersion.number))
        db.rollback()
    assert stored == 1
