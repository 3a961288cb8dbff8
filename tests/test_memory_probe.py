"""The soak's memory probe (bench/memory_probe.py) reads what it says it reads."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench import memory_probe


def test_a_connections_page_cache_is_read_and_held_to_its_cap(tmp_path: Path) -> None:
    # 4 MB of rows read without the memory map: the pages go through the page cache, which
    # keeps no more than its cap (256 KiB) whatever was read.
    connection = sqlite3.connect(tmp_path / "t.db")
    connection.execute("PRAGMA mmap_size=0")
    connection.execute("PRAGMA cache_size=-256")
    connection.execute("CREATE TABLE t (x TEXT)")
    connection.executemany("INSERT INTO t VALUES (?)", [("x" * 400,)] * 10_000)
    connection.commit()
    connection.execute("SELECT count(*), max(x) FROM t").fetchall()
    found = memory_probe.sample([])
    caches = found["connection_caches"]
    connection.close()
    assert found["anon"] > 0
    assert found["pymalloc"]["objects"] > 0
    assert 128 <= max(caches) <= 256 + 16  # full, and the cap (pages' headers aside)
