"""What SQLite's page-version trigger costs an object stored, in CPU time.

    PYTHONPATH=src .venv/bin/python bench/page_version_trigger.py --objects 10000 --rounds 9

A fresh SQLite database is migrated, then ``--objects`` rows go into ``sharing_objects`` as
the drainer puts them (one executemany of the driver in one transaction), under each of:
``none`` (the triggers dropped), ``upsert`` (the first version of the trigger: an
``INSERT ... ON CONFLICT DO UPDATE`` of the collection's row), ``update`` (a plain
``UPDATE`` of a row made beforehand, as if made with the collection) and ``migrated`` (the
triggers as the migrations leave them). The variants alternate within each round, so that the
machine's load falls on them alike; the rows are deleted between runs, outside the clock.
The median CPU time an object of each is printed, and the difference with ``none``.

Instructions, which move little with the machine's load: ``--only VARIANT`` runs one variant
once, under callgrind, for two values of ``--objects`` (2000 and 12000); the difference of
the totals valgrind prints ("Collected"), over the 10,000 objects between them, is the
instructions an object, the start cancelled::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python \\
        bench/page_version_trigger.py --only upsert --objects 2000
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

_EVENTS = ("insert", "update", "delete")
_ROWS = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}
_UPSERT = (
    "INSERT INTO sharing_page_versions (collection_id, shard, version)"
    " VALUES ({row}.collection_id, 0, 1) ON CONFLICT (collection_id, shard)"
    " DO UPDATE SET version = sharing_page_versions.version + 1;"
)
_UPDATE = (
    "UPDATE sharing_page_versions SET version = version + 1"
    " WHERE collection_id = {row}.collection_id{shard};"
)
_UPSERT_UNSHARDED = (
    "INSERT INTO sharing_page_versions (collection_id, version) VALUES ({row}.collection_id, 1)"
    " ON CONFLICT (collection_id) DO UPDATE SET version = sharing_page_versions.version + 1;"
)


def _triggers(conn: sqlite3.Connection) -> list[str]:
    found = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'sharing_objects'"
    )
    return [sql for (sql,) in found]


def _set(conn: sqlite3.Connection, sqls: list[str]) -> None:
    for event in _EVENTS:
        conn.execute(f"DROP TRIGGER IF EXISTS sharing_objects_page_{event}")
    for sql in sqls:
        conn.execute(sql)
    conn.commit()


def _sharded(conn: sqlite3.Connection) -> bool:
    columns = {name for _, name, *_ in conn.execute("PRAGMA table_info(sharing_page_versions)")}
    return "shard" in columns


def _upsert(conn: sqlite3.Connection) -> list[str]:
    upsert = _UPSERT if _sharded(conn) else _UPSERT_UNSHARDED
    return _each_row(upsert)


def _update(conn: sqlite3.Connection) -> list[str]:
    return _each_row(_UPDATE.replace("{shard}", " AND shard = 0" if _sharded(conn) else ""))


def _each_row(upsert: str) -> list[str]:
    return [
        f"CREATE TRIGGER sharing_objects_page_{event} AFTER {event.upper()} ON sharing_objects"
        f" FOR EACH ROW BEGIN {' '.join(upsert.format(row=r) for r in _ROWS[event])} END"
        for event in _EVENTS
    ]


def _rows(count: int) -> list[tuple[object, ...]]:
    now = datetime(2026, 12, 7, tzinfo=UTC).isoformat(sep=" ")
    body = '{"type": "indicator", "pattern": "[ipv4-addr:value = \'192.0.2.1\']"}' + " " * 400
    return [
        (1, f"indicator--{i:08d}-0000-4000-8000-000000000000", "indicator", "2.1", now, now,
         1, 1, 0, "green", body)
        for i in range(count)
    ]  # fmt: skip


_INSERT = (
    "INSERT INTO sharing_objects (collection_id, stix_id, stix_type, spec_version, version,"
    " date_added, is_latest, is_first, revoked, tlp, body) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)


def _run(conn: sqlite3.Connection, rows: list[tuple[object, ...]], *, keep: bool = False) -> float:
    start = time.process_time()
    conn.execute("BEGIN")
    conn.executemany(_INSERT, rows)
    conn.commit()
    spent = time.process_time() - start
    if keep:
        return spent
    conn.execute("DELETE FROM sharing_objects")
    conn.commit()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--only", choices=("none", "upsert", "update", "migrated"),
                        help="one run of one variant, no warm-up (for callgrind)")  # fmt: skip
    args = parser.parse_args()
    from accord.db import upgrade

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        engine = create_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # Foreign keys are off on this connection (SQLite's default): no organization needed.
        conn.execute(
            "INSERT INTO sharing_collections (id, uuid, title, description, owner_org_id,"
            " default_tlp, public_read, community_read, created_at)"
            " VALUES (1, 'c', 'c', '', 1, 'green', 0, 0, ?)",
            (datetime.now(UTC).isoformat(),),
        )
        variants = {"none": [], "upsert": _upsert(conn), "update": _update(conn),
                    "migrated": _triggers(conn)}  # fmt: skip
        # The row ``update`` bumps (``upsert`` would make it); SQLite's only shard is 0.
        conn.execute("INSERT OR IGNORE INTO sharing_page_versions (collection_id, shard, version)"
                     " VALUES (1, 0, 0)" if _sharded(conn) else
                     "INSERT OR IGNORE INTO sharing_page_versions (collection_id, version)"
                     " VALUES (1, 0)")  # fmt: skip
        rows = _rows(args.objects)
        if args.only:
            _set(conn, variants[args.only])
            _run(conn, rows, keep=True)  # not deleted: a delete would fire the triggers too
            return
        spent: dict[str, list[float]] = {name: [] for name in variants}
        _run(conn, rows)  # warm the file and the caches
        for _ in range(args.rounds):
            for name, sqls in variants.items():
                _set(conn, sqls)
                spent[name].append(_run(conn, rows))
        base = statistics.median(spent["none"]) / args.objects * 1e6
        for name, times in spent.items():
            each = statistics.median(times) / args.objects * 1e6
            print(f"{name:>9}: {each:6.2f} µs/object CPU (median of {args.rounds});"
                  f" {each - base:+5.2f} against none")  # fmt: skip


if __name__ == "__main__":
    main()
