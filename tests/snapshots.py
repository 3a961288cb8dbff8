"""Worlds built once per test process, then restored from their rows.

Many tests begin by building the same world through the factories (the authorization
matrix's 1,800 tests, the disclosure tests): some 15 transactions and 60 statements, 80 ms
a test on SQLite and 230 ms on PostgreSQL under CI's load. The rows such a build adds depend
only on what the database held before it, so they are kept the first time and inserted again,
in one transaction, whenever a later test starts from the same contents: the same rows, ids
and sequences as a new build would leave (only the moments stamped are the first build's).
A build that changed or removed a row it found is never kept: it runs every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, select, text
from sqlalchemy.orm import Session, sessionmaker

from accord.db import Base
from tests import emptying

T = TypeVar("T")

# The contents of a database: each non-empty table's rows, by primary key; on PostgreSQL the
# sequences drawn from, on SQLite the AUTOINCREMENT counters.
Rows = dict[str, list[tuple[Any, ...]]]


def _bumped() -> frozenset[str]:
    """Versions the database's own triggers bump on every change of the tables they watch (the
    access cache's, the TAXII pages', the OSV answers'): not compared, not kept; the rows
    restored bump them again. Found by their shape, a version in shards: on PostgreSQL a
    change bumps a shard picked by its connection, so which shard rows exist differs from
    test to test. One missed (``advisory_query_versions`` was) made every world on
    PostgreSQL miss its kept rows and be built again: the matrix's 1,800 tests took 0.44 s
    each there, not 0.08."""
    return frozenset(
        table.name
        for table in Base.metadata.sorted_tables
        if {"shard", "version"} <= set(table.columns.keys())
    )


@dataclass(frozen=True)
class Contents:
    rows: Rows
    counters: dict[str, Any]

    def keys(self, drawn: frozenset[str]) -> tuple[object, ...]:
        """What a build can depend on: which rows exist (not the moments stamped on them:
        the hub's first text, seeded by every test's lifespan, is stamped anew each time),
        and the counters it draws ids from (SQLite's AUTOINCREMENT counters are never reset
        between tests: those of tables the build does not write to may differ)."""
        key_rows = {
            name: [row[: len(_table(name).primary_key.columns)] for row in rows]
            for name, rows in self.rows.items()
        }
        return (key_rows, {name: self.counters.get(name) for name in sorted(drawn)})


@dataclass(frozen=True)
class _Kept:
    before: tuple[object, ...]
    added: Rows
    drawn: frozenset[str]
    counters: dict[str, Any]
    built: Any


_kept: dict[tuple[str, str], _Kept | None] = {}


def kept(
    factory: sessionmaker[Session], key: str, build: Callable[[], T], copy: Callable[[T], T]
) -> T:
    """``build()``'s result, its rows restored instead when the database holds the rows it
    held before the first build; ``copy`` makes each test's own copy of the kept result."""
    engine: Engine = factory.kw["bind"]
    place = (key, engine.url.render_as_string(hide_password=True))
    with engine.connect() as conn:
        before = contents(conn)
    known = _kept.get(place)
    if known is not None and known.before == before.keys(known.drawn):
        with engine.begin() as conn:
            _restore(conn, known)
        return copy(known.built)
    built = build()
    if place not in _kept:
        with engine.connect() as conn:
            # A copy is kept: the test goes on to change the world it was given.
            _kept[place] = _keep(before, contents(conn), copy(built))
    return built


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def contents(conn: Connection) -> Contents:
    """What the database holds: every row of every table with rows, primary key first."""
    rows: Rows = {}
    names = emptying.tables()
    written = emptying.written(conn, names)
    bumped = _bumped()
    for table in Base.metadata.sorted_tables:
        if table.name in written and table.name not in bumped:
            pk = list(table.primary_key.columns)
            columns = pk + [c for c in table.columns if c not in pk]
            query = select(*columns).order_by(*pk)
            rows[table.name] = [tuple(r) for r in conn.execute(query)]
    return Contents(rows=rows, counters=_counters(conn))


def _counters(conn: Connection) -> dict[str, Any]:
    if conn.dialect.name == "postgresql":
        query = (
            "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), last_value"
            " FROM pg_sequences WHERE last_value IS NOT NULL ORDER BY 1"
        )
    elif conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
        query = "SELECT name, seq FROM sqlite_sequence ORDER BY name"
    else:
        return {}
    return dict(conn.execute(text(query)).all())


def _keep(before: Contents, after: Contents, built: object) -> _Kept | None:
    """What the build added, or None if it changed or removed a row it found."""
    added: Rows = {}
    for name, old in before.rows.items():
        if after.rows.get(name, [])[: len(old)] != old:
            return None
    for name, rows in after.rows.items():
        new = rows[len(before.rows.get(name, [])) :]
        if new:
            added[name] = new
    drawn = frozenset(
        name for name, value in after.counters.items() if before.counters.get(name) != value
    )
    return _Kept(
        before=before.keys(drawn),
        added=added,
        drawn=drawn,
        counters={name: after.counters[name] for name in drawn},
        built=built,
    )


def _restore(conn: Connection, known: _Kept) -> None:
    for table in Base.metadata.sorted_tables:
        rows = known.added.get(table.name)
        if rows:
            pk = list(table.primary_key.columns)
            keys = [c.key for c in pk + [c for c in table.columns if c not in pk]]
            conn.execute(table.insert(), [dict(zip(keys, row, strict=True)) for row in rows])
    for name, value in known.counters.items():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(CAST(:n AS regclass), :v)"), {"n": name, "v": value})
        else:
            # Inserting the rows moved the counter to their largest id; the build may have
            # drawn further (a row it wrote and removed).
            values = {"n": name, "v": value}
            moved = conn.execute(
                text("UPDATE sqlite_sequence SET seq = :v WHERE name = :n"), values
            )
            if moved.rowcount == 0:
                conn.execute(
                    text("INSERT INTO sqlite_sequence (name, seq) VALUES (:n, :v)"), values
                )
