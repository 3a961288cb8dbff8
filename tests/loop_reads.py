"""What the tests of reads on the event loop (``web.loop_reads``) share: an app whose reads
always take the worker thread, to compare bytes against, and the hops a route made."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from accord.config import Settings
from accord.prepared import ReadConnections
from accord.web.app import create_app


@contextmanager
def threaded_client(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """A client of a second app whose reads always run in a worker thread (its loop's
    connection is never made)."""
    other = create_app(settings, engine=engine)
    connections: ReadConnections = other.state.read_connections
    monkeypatch.setattr(connections, "prepare_loop", lambda: None)
    with TestClient(other, base_url="http://testserver") as client:
        yield client


def count_hops(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, name_of: Callable[..., str]
) -> list[str]:
    """The work ``module`` hands to ``run_in_threadpool``, named by ``name_of(work, *args)``."""
    seen: list[str] = []
    original = module.run_in_threadpool

    async def counting(work: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(name_of(work, *args))
        return await original(work, *args, **kwargs)

    monkeypatch.setattr(module, "run_in_threadpool", counting)
    return seen


def on_sqlite(app: FastAPI) -> bool:
    """Whether reads may run on the loop at all (PostgreSQL's always take the thread)."""
    return bool(app.state.engine.dialect.name == "sqlite")
