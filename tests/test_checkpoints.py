"""The web process checkpoints SQLite's write-ahead log in the background (accord.checkpoints).

Writers checkpoint only past a backstop of 64 MB, so without the background thread the log
grows round after round; with it, each round's pages are copied back meanwhile and the next
writer starts the log again from its beginning.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from sqlalchemy import Engine, text

from accord.checkpoints import BACKSTOP_PAGES, Checkpointer
from accord.db import sqlite_engine

ROUNDS = 8
ROUND_BYTES = 1 << 20  # about 256 pages of 4 KB a round


def _write_rounds(engine: Engine, wal: Path, *, pause: float) -> int:
    """Commit ``ROUNDS`` rounds of fresh pages; the log file's largest size seen."""
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS filler (data BLOB)"))
    largest = 0
    for _ in range(ROUNDS):
        with engine.begin() as connection:
            for _ in range(16):
                connection.execute(
                    text("INSERT INTO filler (data) VALUES (:d)"),
                    {"d": os.urandom(ROUND_BYTES // 16)},
                )
        largest = max(largest, wal.stat().st_size)
        time.sleep(pause)
    return largest


def test_writers_leave_checkpoints_to_the_backstop(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "hub.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    largest = _write_rounds(engine, tmp_path / "hub.db-wal", pause=0)
    # No checkpoint ran: every round's pages are still in the log.
    assert largest >= ROUNDS * ROUND_BYTES
    engine.dispose()


def test_the_background_checkpoint_keeps_the_log_short(tmp_path: Path) -> None:
    engine = sqlite_engine(tmp_path / "hub.db")
    checkpointer = Checkpointer(engine, every=0.02)
    assert Checkpointer.wanted(engine)
    checkpointer.start()
    try:
        largest = _write_rounds(engine, tmp_path / "hub.db-wal", pause=0.3)
    finally:
        checkpointer.stop()
    # Each round was copied back before the next began, so the log was reused from its start.
    assert largest < 3 * ROUND_BYTES
    with engine.connect() as connection:
        count = connection.exec_driver_sql("SELECT count(*) FROM filler").scalar()
        assert count == ROUNDS * 16
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()


def test_no_background_checkpoint_on_postgresql() -> None:
    from sqlalchemy import create_engine

    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert not Checkpointer.wanted(engine)
    engine.dispose()
