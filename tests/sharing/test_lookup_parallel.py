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


@pytest.mark.parametrize("helper", [True, False], ids=["helper", "elsewhere"])
def test_a_look_up_runs_without_workers_set_once_where_it_can(
    settings: Settings, world: SharingWorld, helper: bool
) -> None:
    """A helper's connections have the setting from their start: no ``SET`` a slice. A look-up
    elsewhere sets it for its transaction."""
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner setting")
    sent, setting = _statements(settings, helper=helper)
    assert setting == "0"  # (the public collection: the hits' statement is sent)
    sets = [s for s in sent if s.startswith("SET")]
    if helper:
        assert sets == []
    else:
        assert any(s.startswith("SET LOCAL max_parallel_workers_per_gather") for s in sets)
