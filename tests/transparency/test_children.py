"""The crash tests' helper that waits for a killed child's PostgreSQL connections to end."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from tests.transparency.children import _await_gone


def test_a_connection_that_ends_while_it_waits_is_seen_gone(engine: Engine) -> None:
    # pg_stat_activity is a snapshot taken at its first read in a transaction: the wait polled
    # in one, so a connection there at its first look was there until the deadline (CI failed
    # a crash test so, the server having ended the killed child's connection meanwhile).
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's backends only")
    tag = f"child-{uuid.uuid4().hex[:12]}"
    url = engine.url.render_as_string(hide_password=False)
    child = create_engine(url, poolclass=NullPool, connect_args={"application_name": tag})
    watcher = create_engine(url, poolclass=NullPool)
    try:
        held = child.connect()
        with watcher.connect() as conn:
            assert len(_await_gone(conn, tag, 0)) == 1  # seen, in this transaction's snapshot
            held.close()
            assert _await_gone(conn, tag, 10) == []
    finally:
        child.dispose()
        watcher.dispose()
