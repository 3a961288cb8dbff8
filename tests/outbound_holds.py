"""Whether the hub holds a transaction while it waits on a remote (issue 26, "holds under
load"): every outbound request goes through ``accord.outbound.transport``, which a test wraps
with :func:`probing` so that each request first asks the database, from outside the hub's
sessions, whether a transaction is held, and then makes another committed write.

On SQLite a writing session holds the hub's one writer (BEGIN IMMEDIATE) from its first
statement to its commit: a plain ``sqlite3`` connection that cannot take BEGIN IMMEDIATE at
once sees it. On PostgreSQL a backend "idle in transaction" is one (a pooled connection and
its row locks kept while the remote answers). The other write is the harm itself: on SQLite
it would wait out the write turn and fail with Overloaded if the turn were held; it is made
only when the probe found nothing held, so that a failing test fails at once.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from accord import outbound
from accord.db import unit_of_work
from accord.sharing.models import SharingSecret

IDLE_IN_TRANSACTION = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
)


def held(engine: Engine) -> bool:
    """Whether a transaction of the hub's is held right now (on SQLite: a write one)."""
    if engine.dialect.name == "sqlite":
        probe = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        else:
            probe.execute("ROLLBACK")
            return False
        finally:
            probe.close()
    with engine.connect() as conn:
        return bool(conn.scalar(IDLE_IN_TRANSACTION))


def another_write(factory: sessionmaker[Session]) -> None:
    """A committed write of another session (an unrelated row)."""
    with unit_of_work(factory) as db:
        db.add(SharingSecret(name=f"meanwhile {uuid.uuid4().hex[:16]}", value="v"))


class Probe:
    """What each outbound request saw: ``seen`` holds one flag per request, True if a
    transaction was held while it was made."""

    def __init__(self, engine: Engine, factory: sessionmaker[Session]) -> None:
        self.engine, self.factory = engine, factory
        self.seen: list[bool] = []
        # What else happens while a request waits for its answer (a test's concurrent change).
        self.meanwhile: Callable[[int], None] | None = None

    def __call__(self) -> None:
        was_held = held(self.engine)
        self.seen.append(was_held)
        if not was_held:
            another_write(self.factory)
        if self.meanwhile is not None:
            self.meanwhile(len(self.seen))


class _Probing(httpx.BaseTransport):
    def __init__(self, probe: Probe, inner: httpx.BaseTransport) -> None:
        self.probe, self.inner = probe, inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.probe()
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def probing(
    monkeypatch: pytest.MonkeyPatch,
    engine: Engine,
    factory: sessionmaker[Session],
    *,
    answer: Callable[[httpx.Request], httpx.Response] | None = None,
) -> Probe:
    """Probe every outbound request from now on; ``answer`` replaces the network (else the
    request goes out through the hub's own transport)."""
    probe = Probe(engine, factory)
    real = outbound.transport

    def wrapped(settings: Any, **kwargs: Any) -> httpx.BaseTransport:
        inner = httpx.MockTransport(answer) if answer is not None else real(settings, **kwargs)
        return _Probing(probe, inner)

    monkeypatch.setattr(outbound, "transport", wrapped)
    return probe
