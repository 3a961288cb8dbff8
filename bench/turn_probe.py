"""How long the hub's writing transactions stay open, measured inside the server.

With ``BENCH_TURN_PROBE`` naming a file, :func:`install` times every transaction of a writing
connection, from its begin (on SQLite: once the write turn is taken) to just before its commit
or rollback, and keeps the times in that file (JSON, seconds). On SQLite the turn is held that
long plus the commit itself: the time the writers behind it wait, whatever the machine's load.
"""

from __future__ import annotations

import atexit
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from accord.db import READ_ONLY

PROBE = "BENCH_TURN_PROBE"
_BEGAN = "bench_began"


def install(engine: Engine) -> None:
    """Time ``engine``'s writing transactions into the file ``BENCH_TURN_PROBE`` names."""
    path = os.environ.get(PROBE)
    if not path:
        return
    held: list[float] = []

    def began(conn: Any) -> None:
        if not conn.get_execution_options().get(READ_ONLY):
            conn.info[_BEGAN] = time.perf_counter()

    def ended(conn: Any) -> None:
        started = conn.info.pop(_BEGAN, None)
        if started is not None:
            held.append(time.perf_counter() - started)
            if len(held) % 50 == 0:
                write()

    def write() -> None:
        Path(path).write_text(json.dumps(held))

    event.listen(engine, "begin", began)
    event.listen(engine, "commit", ended)
    event.listen(engine, "rollback", ended)
    atexit.register(write)


def summary(path: Path) -> str:
    """The times written to ``path``, in a line."""
    try:
        held = json.loads(path.read_text())
    except (OSError, ValueError):
        return "no writing transaction timed"
    if len(held) < 2:
        return f"{len(held)} writing transaction(s) timed"
    q = statistics.quantiles(held, n=100, method="inclusive")
    return (f"{len(held)} writing transactions open (begin to commit) mean "
            f"{statistics.fmean(held) * 1000:.1f} ms, p50 {q[49] * 1000:.1f} ms, "
            f"p90 {q[89] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms")  # fmt: skip
