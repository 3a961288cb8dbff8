"""A look-up's statements run with its planner settings on PostgreSQL (no parallel workers,
random pages priced as cached seeks: ``lookup_planner``): set for the look-up's transaction,
or, on a look-up helper's connections, once a connection (``lookup_planner.OPTIONS``), and
then not again a slice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from accord.config import Settings
from accord.db import LOOKUP_HELPER_CONNECTIONS, make_engine, make_sessionmaker
from accord.identity.policy import ANONYMOUS
from accord.sharing import indicators, lookup_planner
from accord.sharing.readers import reader_for
from tests.sharing.conftest import SharingWorld


def _statements(settings: Settings, *, helper: bool) -> tuple[list[str], dict[str, str]]:
    """The statements one look-up sends and the settings its hits' statement ran with."""
    engine = make_engine(
        settings,
        connections=LOOKUP_HELPER_CONNECTIONS,
        server_options=lookup_planner.OPTIONS if helper else None,
    )
    factory = make_sessionmaker(engine, read_only=True)
    if helper:
        factory.configure(info={lookup_planner.SET_ON_CONNECT: True})
    sent: list[str] = []

    def seen(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with factory() as db:
            reader = reader_for(db, ANONYMOUS)
            indicators.answer(db, reader=reader, values=["192.0.2.1", "example.com"])
            settings_in_force = {
                name: str(db.execute(text(f"SHOW {name}")).scalar_one())
                for name in ("max_parallel_workers_per_gather", "random_page_cost")
            }
            db.rollback()
    finally:
        engine.dispose()
    return sent, settings_in_force


@pytest.mark.parametrize("helper", [True, False], ids=["helper", "elsewhere"])
def test_a_look_ups_planner_settings_are_set_once_where_they_can(
    settings: Settings, world: SharingWorld, helper: bool
) -> None:
    """A helper's connections have the settings from their start: none set a slice. A
    look-up elsewhere sets them for its transaction, in one statement."""
    if not settings.resolved_database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner setting")
    sent, in_force = _statements(settings, helper=helper)
    # (the public collection: the hits' statement is sent)
    assert in_force == {"max_parallel_workers_per_gather": "0", "random_page_cost": "1.1"}
    sets = [s for s in sent if "set_config" in s or s.startswith("SET")]
    if helper:
        assert sets == []
    else:
        assert len(sets) == 1
        assert "'random_page_cost', '1.1', true" in sets[0]
