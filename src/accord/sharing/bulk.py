"""Many rows into one table in one round, without SQLAlchemy's per-row work.

``connection.execute(insert(T), rows)`` builds each row's parameters through the compiler
(``construct_params``: a dictionary per row, every column's key looked up, processors
applied one by one): for the 17 columns of a STIX object, about a quarter of what the insert
costs on SQLite. Here the statement is compiled once per table, driver and column list,
each column's bind processor (``UTCDateTime`` included) is taken from its type once, and the
rows go to SQLite's ``executemany`` as tuples, or to PostgreSQL as one ``COPY``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.orm import Session

from accord.db import Base
from accord.sharing.models import StixObject

if TYPE_CHECKING:
    import psycopg

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    positional: bool
    keys: tuple[str, ...]  # the rows' keys, in the statement's parameter order
    names: tuple[str, ...]  # the parameter names, for the named styles
    processors: tuple[Processor, ...]


_PLANS: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


def insert_rows(connection: Connection, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dictionaries with the same keys, column names) into ``model``'s table."""
    if not rows:
        return
    plan = _plan(connection, model, tuple(rows[0]))
    _send(connection, model, plan, _values(plan, rows))


def insert_values(
    connection: Connection,
    model: type[Base],
    columns: tuple[str, ...],
    values: Sequence[Sequence[Any]],
) -> None:
    """Insert rows given as sequences of ``columns``' values, each already in the form the
    driver takes (the columns' bind processors applied by the caller): no conversion here.
    ``columns`` are in the table's order."""
    if not values:
        return
    plan = _plan(connection, model, columns)
    if plan.keys != columns:
        raise ValueError(f"columns of {model.__tablename__} out of the table's order: {columns}")
    _send(connection, model, plan, values)


def _send(
    connection: Connection, model: type[Base], plan: _Plan, values: Sequence[Sequence[Any]]
) -> None:
    # COPY on psycopg; else one executemany in the driver's own parameter style.
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _copy(connection, model.__tablename__, plan.keys, values)
    elif plan.positional:
        connection.exec_driver_sql(plan.sql, values)
    else:
        params = [dict(zip(plan.names, v, strict=True)) for v in values]
        connection.exec_driver_sql(plan.sql, params)


def _values(plan: _Plan, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    # Each row's values in one C call (itemgetter), then the few columns with a processor
    # (timestamps, booleans) converted column by column, with map: a generator per row
    # calling through every column cost more than the driver's insert of the row.
    getter = itemgetter(*plan.keys)
    values = [getter(row) for row in rows] if len(plan.keys) > 1 else [(getter(r),) for r in rows]
    processed = [(i, p) for i, p in enumerate(plan.processors) if p is not None]
    if not processed:
        return values
    columns = list(zip(*values, strict=True))
    for index, processor in processed:
        columns[index] = tuple(map(processor, columns[index]))
    return list(zip(*columns, strict=True))


def _copy(
    connection: Connection, table: str, columns: tuple[str, ...], values: Sequence[Sequence[Any]]
) -> None:
    # PostgreSQL: COPY, a stream of rows instead of one statement per row (psycopg's
    # executemany sends each row its own Bind and Execute), in the session's transaction.
    dbapi = cast("psycopg.Connection[Any]", connection.connection.dbapi_connection)
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)


def _plan(connection: Connection, model: type[Base], columns: tuple[str, ...]) -> _Plan:
    dialect = connection.dialect
    cache_key = (f"{dialect.name}+{dialect.driver}", model.__tablename__, columns)
    plan = _PLANS.get(cache_key)
    if plan is not None:
        return plan
    compiled = insert(model).compile(dialect=dialect, column_keys=list(columns))
    # The bind parameters of an INSERT are named after their columns.
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    missing = set(names) - set(columns)
    if missing:
        # A column with a Python-side default is added by the compiler: give it in the rows.
        raise ValueError(f"rows for {model.__tablename__} lack {sorted(missing)}")
    by_name = {bind.key: bind for bind in compiled.binds.values()}
    processors = tuple(
        by_name[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    plan = _Plan(
        sql=compiled.string,
        positional=compiled.positional,
        keys=names,
        names=names,
        processors=processors,
    )
    _PLANS[cache_key] = plan
    return plan


_STATISTICS_FLOOR = 10_000


def keep_statistics(db: Session, top_id: int) -> None:
    """Refresh PostgreSQL's statistics of the objects once the table outgrew them twice over.

    The stored versions of an envelope's ids are read through the unique (collection, id,
    version) index only if the planner knows the table is large. Planned from statistics
    taken when it was small (a bulk load outrunning autovacuum, or autovacuum off), the read
    walked the whole collection by its date index instead, once per envelope: ingest fell
    from 5,100 to 600 objects a second by 60,000 objects (measured; 5,400 again at once after
    an ANALYZE). Row ids only grow, so the top one bounds the rows; comparing it with the
    planner's row count costs one catalog read an envelope, and the ANALYZE (a sample of the
    table, taking no lock that blocks readers or writers) runs about twenty times on the way
    to a million objects.
    """
    estimate = db.scalar(
        text("SELECT reltuples FROM pg_class WHERE oid = 'sharing_objects'::regclass")
    )
    if top_id > max(_STATISTICS_FLOOR, 2 * (estimate or 0)):
        db.execute(text("ANALYZE sharing_objects, sharing_observables"))


def reserve_ids(db: Session, count: int) -> list[int]:
    """``count`` fresh ids of ``sharing_objects``, taken before the rows are built."""
    if db.get_bind().dialect.name == "postgresql":
        return list(
            db.scalars(
                text(
                    "SELECT nextval(pg_get_serial_sequence('sharing_objects', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": count},
            )
        )
    # SQLite: the transaction began with BEGIN IMMEDIATE and holds the only write lock.
    top = db.scalar(select(func.max(StixObject.id))) or 0
    return list(range(top + 1, top + 1 + count))
