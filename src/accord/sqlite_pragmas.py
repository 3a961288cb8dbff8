"""The settings every SQLite connection of the hub gets when it is opened (``accord.db``)."""

from __future__ import annotations

from typing import Any

from accord.checkpoints import BACKSTOP_PAGES


def sqlite_pragmas(dbapi_connection: Any, _record: Any, *, cache_kib: int) -> None:
    """Set up a new SQLite connection (an engine's ``connect`` event): WAL, durable commits,
    foreign keys, the page cache and memory map, and the writers' checkpoint backstop."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged commit survives power loss, not only a process crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # The default page cache (2 MB) is outgrown by the indexes of a large collection or
    # advisory database: every insert then reads index pages back from the OS. 64 MB per
    # connection by default (Settings.sqlite_cache_kib, which says when it fills), pages read
    # through a memory map, temporary sorts in memory.
    cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.execute("PRAGMA temp_store=MEMORY")
    # The web process checkpoints in the background (accord.checkpoints); a writer does it
    # itself only past this backstop, and a log that grew is cut back when it is reused.
    cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={BACKSTOP_PAGES * 4096}")
    cursor.close()
