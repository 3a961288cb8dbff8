"""The queries behind pages use the indexes meant for them (plans, not timings)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from accord.accountability import collect_sharing, periods
from accord.identity.models import MemberRole
from accord.identity.policy import Actor
from accord.sharing import queries
from accord.sharing.readers import Reader

READER = Reader(
    actor=Actor(user_id=1, roles={1: MemberRole.MEMBER}),
    org_ids=frozenset({1}),
    group_ids=frozenset(),
    org_audiences=frozenset({1}),
    group_audiences=frozenset(),
    peer_remote_ids=frozenset(),
)


def _plan(engine: Engine, filters: queries.Filters) -> str:
    request = queries.PageRequest(
        collection_id=1, reader=READER, filters=filters, key=b"k", now=datetime.now(UTC)
    )
    statement, params = queries._statement(request, after=False)
    query = statement.params(**params, page_limit=101)
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))


def test_pages_walk_the_date_index_and_ids_seek_the_id_index(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics")
    assert "ix_sharing_objects_page" in _plan(engine, queries.Filters())
    assert "stix_id=?" in _plan(engine, queries.Filters(ids=("indicator--x",)))


def test_sighting_counts_read_the_partial_index_of_sightings(engine: Engine) -> None:
    """The index holds sightings only (sharing_0003); the counts per indicator still use it."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            ddl = conn.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'ix_sharing_objects_sighting_of'")
            ).scalar_one()
            plan = " ".join(
                str(row[-1])
                for row in conn.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT sighting_of, count(*) FROM sharing_objects "
                        "WHERE sighting_of IN ('indicator--a', 'indicator--b') AND is_latest "
                        "GROUP BY sighting_of"
                    )
                )
            )
            assert "ix_sharing_objects_sighting_of" in plan
        else:
            ddl = conn.execute(
                text(
                    "SELECT indexdef FROM pg_indexes "
                    "WHERE indexname = 'ix_sharing_objects_sighting_of'"
                )
            ).scalar_one()
    assert "WHERE" in ddl
    assert "IS NOT NULL" in ddl


@pytest.mark.parametrize("signatories", [3, 100])  # filtered in SQL, and not (bounds.FEW)
def test_shared_object_counts_read_their_covering_index_alone(
    engine: Engine, signatories: int
) -> None:
    """The accountability refresh counts objects from an index, never the table of their JSON
    (sharing_0005): at a million objects, 2.8 s a period read from the table, 0.6 s here."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics")
    sent: list[tuple[str, Any]] = []

    def keep(_conn: object, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        sent.append((statement, parameters))

    period = periods.of(periods.PeriodKind.YEAR, datetime.now(UTC))
    event.listen(engine, "before_cursor_execute", keep)
    try:
        with Session(engine) as db:
            collect_sharing.objects(db, period, frozenset(range(1, signatories + 1)))
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    (statement, parameters), *_ = [s for s in sent if "FROM sharing_objects" in s[0]]
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    assert "COVERING INDEX ix_sharing_objects_counted" in " ".join(str(r[-1]) for r in plan)


def test_a_lookup_seeks_the_key_index_even_without_statistics(engine: Engine) -> None:
    """Without ``sqlite_stat1`` SQLite guesses every index equally selective: the look-up's
    statement must still start from the keys, not from the collections' objects."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics")
    from accord.sharing import batches, indicators, visibility

    statement = indicators._hit_statement("sqlite", visibility.shape_of(READER))
    params = {
        "keys": batches.listed("sqlite", [1, 2, 3]),
        "readable": [1, 2],
        **visibility.parameters(READER),
    }
    query = statement.params(**params)  # type: ignore[attr-defined]
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:  # the tests' database is not analysed
        plan = " ".join(str(row[-1]) for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "ix_sharing_observables_key" in plan, plan
    assert "ix_sharing_objects_page" not in plan, plan


def test_a_lookups_sightings_seek_their_index_from_the_ids(engine: Engine) -> None:
    """The hits' ids are read one by one from their JSON array, each an index seek: not
    copied first into a temporary index (``IN (SELECT ...)``, four times the seeks' cost)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL plans from its statistics")
    from accord.sharing import batches, indicators, visibility

    for shape in (visibility.shape_of(READER), None):
        statement = indicators._sighting_statement("sqlite", shape)
        params = {
            "ids": batches.listed("sqlite", ["indicator--a", "indicator--b"]),
            "readable": [1, 2],
            **visibility.parameters(READER),
        }
        query = statement.params(**params)  # type: ignore[attr-defined]
        sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
        with engine.connect() as conn:  # the tests' database is not analysed
            rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql))
            plan = " ".join(str(row[-1]) for row in rows)
        assert "ix_sharing_objects_sighting_of (sighting_of=?)" in plan, plan
        assert "LIST SUBQUERY" not in plan, plan
