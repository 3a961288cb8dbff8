"""A look-up's statements run without parallel workers on PostgreSQL: set for the look-up's
transaction (``SET LOCAL``), or, on a look-up helper's connections, once a connection
(``indicators.NO_WORKERS``), and then not again a slice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from accord.config import Settings
from accord.db import LOOKUP_HELPER_CONNECTIONS, make_engine, make_sessionmaker
from accord.identity.policy import ANONYMOUS
from accord.sharing import indicators
from accord.sharing.readers import reader_for
from tests.sharing.conftest import SharingWorld


def _statements(settings: Settings, *, helper: bool) -> tuple[list[str], str]:
    """The statements one look-up sends and the setting its hits' statement ran with."""
    engine = make_engine(
        settings,
        connections=LOOKUP_HELPER_CONNECTIONS,
        server_options=indicators.NO_WORKERS if helper else None,
    )
    factory = make_sessionmaker(engine, read_only=True)
    if helper:
        factory.configure(info={indicators.PARALLEL_OFF: True})
    sent: list[str] = []

    def seen(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with factory() as db:
            reader = reader_for(db, ANONYMOUS)
            indicators.answer(db, reader=reader, values=["192.0.2.1", "example.com"])
            setting = db.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one()
            db.rollback()
    finally:
        engine.dispose()
    return sent, str(setting)


def test_a_helper_sets_no_workers_once_a_connection(
    settings: Settings, world: SharingWorld
) -> None:
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner setting")
    sent, setting = _statements(settings, helper=True)
    assert setting == "0"
    assert not [s for s in sent if s.startswith("SET")]


def test_a_look_up_elsewhere_sets_no_workers_for_its_transaction(
    settings: Settings, world: SharingWorld
) -> None:
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner setting")
    sent, setting = _statements(settings, helper=False)
    assert setting == "0"  # (the public collection: the hits' statement is sent)
    assert [s for s in sent if s.startswith("SET LOCAL max_parallel_workers_per_gather")]
