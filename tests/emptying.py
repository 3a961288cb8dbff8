"""Emptying the database under test after each test (``tests/conftest.py``'s ``_empty_tables``).

A test writes to a few of the 80 tables; they are found and emptied in reverse dependency
order, and on PostgreSQL the sequences a test drew from start again at their first value, as
TRUNCATE's RESTART IDENTITY did, so that ids begin at 1 in every test, as on SQLite.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from accord.db import Base


def tables() -> list[str]:
    """Every table of the metadata, dependents before what they depend on."""
    return [t.name for t in reversed(Base.metadata.sorted_tables)]


def empty(conn: Connection) -> None:
    """Empty every table a test wrote to (and restart the sequences it drew from)."""
    names = tables()
    if conn.dialect.name == "postgresql":
        conn.execute(text(_postgresql_block(names)))
        return
    written_to = written(conn, names)
    for name in names:
        if name in written_to:
            conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (names from our metadata)


def written(conn: Connection, names: list[str]) -> set[str]:
    """The tables a test wrote to, found by one query.

    On PostgreSQL one TRUNCATE of every table cost about 140 ms a test (a new file for
    each); on SQLite a DELETE of each was 80 statements a test.
    """
    probe = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})"  # noqa: S608 (our metadata)
        for name in names
    )
    return {name for (name,) in conn.execute(text(probe))}


def _postgresql_block(names: list[str]) -> str:
    """The whole of it on PostgreSQL in one statement, run by the server.

    The probe, a DELETE for each table written and an ALTER SEQUENCE for each sequence used
    were a round trip each (about 50 ms a test under CI's load); ``setval(..., false)`` leaves
    a sequence as ``ALTER SEQUENCE ... RESTART`` does, without a catalog change.
    """
    array = ", ".join(f"'{name}'" for name in names)
    return _BLOCK.replace("NAMES", array)


_BLOCK = """
DO $$
DECLARE
    name text;
    found boolean;
BEGIN
    FOREACH name IN ARRAY ARRAY[NAMES]::text[] LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', name) INTO found;
        IF found THEN
            EXECUTE format('DELETE FROM %I', name);
        END IF;
    END LOOP;
    PERFORM setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
        FROM pg_sequences WHERE last_value IS NOT NULL;
END
$$"""
