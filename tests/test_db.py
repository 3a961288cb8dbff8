"""The storage layer's own types, held to what SQLAlchemy itself would do."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, Table, select
from sqlalchemy.dialects import sqlite

from accord.config import SQLITE_CACHE_KIB, Settings
from accord.db import UTCDateTime, make_engine, sqlite_engine

_SQLITE = sqlite.dialect()
_OFFSETS = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=11))]
)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_OFFSETS)
)
def test_sqlite_timestamps_are_written_as_sqlalchemy_writes_them(value: datetime) -> None:
    # Stored text is compared as text in every query: it must not change by a character.
    ours = UTCDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
    theirs = DateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
    assert ours is not None
    assert theirs is not None
    assert ours(value) == theirs(value.astimezone(UTC).replace(tzinfo=None))


def test_sqlite_timestamps_refuse_naive_values_and_pass_none() -> None:
    process = UTCDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
    assert process is not None
    assert process(None) is None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2024, 1, 1))


def test_json_columns_keep_what_the_standard_library_would(tmp_path: Path) -> None:
    # orjson writes them, except what it refuses: integers beyond 64 bits. They are read
    # back exactly (2**70 + 1 is no double).
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("doc", JSON))
    engine = sqlite_engine(tmp_path / "t.db")
    table.create(engine)
    sent = [{"big": 2**70 + 1, "text": "é\u2028"}, {1: "key", "list": [1.5, None, True]}]
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"doc": d} for d in sent])
    with engine.connect() as connection:
        found = [row.doc for row in connection.execute(select(table.c.doc).order_by(table.c.id))]
    engine.dispose()
    assert found == [json.loads(json.dumps(d)) for d in sent]


def test_every_sqlite_connection_gets_the_page_cache_the_settings_cap(tmp_path: Path) -> None:
    # The page cache is what a process's SQLite memory grows to (Settings.sqlite_cache_kib
    # times its connections): every pooled connection, not only the first, is held to it.
    engine = make_engine(Settings(data_dir=tmp_path, sqlite_cache_kib=256))
    held = [engine.raw_connection() for _ in range(3)]  # three at once: three connections
    sizes = [c.cursor().execute("PRAGMA cache_size").fetchone()[0] for c in held]
    for connection in held:
        connection.close()
    engine.dispose()
    default = sqlite_engine(tmp_path / "other.db").raw_connection()
    size = default.cursor().execute("PRAGMA cache_size").fetchone()[0]
    default.close()
    assert sizes == [-256, -256, -256]
    assert size == -SQLITE_CACHE_KIB
