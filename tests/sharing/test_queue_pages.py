"""The queue's side file (SQLite) is made with 64 KB pages, a 750 KB entry in 12 of them
rather than 185 (each written at its commit and zeroed at its forgetting), and its writers'
checkpoint backstop is the same number of bytes as every other file's (``accord.db``)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import Engine

from accord.checkpoints import BACKSTOP_PAGES
from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_engine
from accord.sharing import queue
from accord.sharing.models import QueuedEnvelope
from accord.sharing.queue_store import PAGE_SIZE


def _pragmas(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        size = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
        pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    return int(size), int(pages)


def _round_trip(waiting: queue.Queue) -> None:
    payload = b"[" + b'"x",' * 200_000 + b'"x"]'  # some 800 KB, like an envelope of 1,000
    entry = QueuedEnvelope(
        status_uuid=str(uuid.uuid4()), user_id=None, collection_id=1, producer_org_id=1,
        request_timestamp=utcnow(), total_count=1, objects=1, failures=[], pendings=b"[]",
        payload=payload,
    )  # fmt: skip
    waiting.put(entry)
    taken = waiting.take(10)
    assert [e.payload for e in taken] == [payload]
    waiting.forget(taken)
    assert waiting.backlog() == 0


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'accord.db'}")


def test_a_new_queue_file_has_large_pages_and_the_same_backstop(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    hub = make_engine(settings)
    waiting = queue.Queue.for_hub(settings, hub)
    try:
        assert _pragmas(waiting.engine) == (PAGE_SIZE, BACKSTOP_PAGES * 4096 // 65536)
        assert _pragmas(hub) == (4096, BACKSTOP_PAGES)  # the hub's own file: as it was
        _round_trip(waiting)
        # Read again by a connection that opens the file as it is now.
        with sqlite3.connect(tmp_path / "queue.db") as found:
            assert found.execute("PRAGMA page_size").fetchone() == (PAGE_SIZE,)
    finally:
        waiting.engine.dispose()
        hub.dispose()


def test_a_queue_file_made_before_keeps_its_pages(tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "queue.db") as made:
        made.execute("PRAGMA journal_mode=WAL")
        made.execute("CREATE TABLE t (x)")  # the file has pages: its size is fixed
    settings = _settings(tmp_path)
    hub = make_engine(settings)
    waiting = queue.Queue.for_hub(settings, hub)
    try:
        assert _pragmas(waiting.engine) == (4096, BACKSTOP_PAGES)
        _round_trip(waiting)
    finally:
        waiting.engine.dispose()
        hub.dispose()
