"""The CPU time of PostgreSQL's server processes, for the look-up benches
(``lookup_scale.py --stages``, ``lookup_pooled.py``): from ``/proc/PID/schedstat``, in
nanoseconds (``/proc/PID/stat`` counts 10 ms ticks, too coarse for a 50 ms share). The
server runs on this machine, as its processes must for ``/proc`` to show them; on SQLite
every clock reads 0.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session


def cpu_of(pid: int) -> float:
    """Seconds a process has run on a CPU; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            return int(stat.read().split()[0]) / 1e9
    except FileNotFoundError:
        return 0.0


def session_cpu(db: Session) -> Callable[[], float]:
    """A clock of the CPU time of the server process serving the session, parallel workers
    turned off for its transaction so that a statement's work is all counted there."""
    if db.get_bind().dialect.name != "postgresql":
        return lambda: 0.0
    pid = db.execute(text("SELECT pg_backend_pid()")).scalar_one()
    db.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    return lambda: cpu_of(pid)


def backends_cpu(engine: Engine) -> Callable[[], float]:
    """A clock of the CPU time of every server process connected to the engine's database
    now (a bench's pool and a look-up pool's helpers)."""
    if engine.dialect.name != "postgresql":
        return lambda: 0.0
    with engine.connect() as conn:
        query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = list(conn.execute(query).scalars())
    return lambda: sum(cpu_of(pid) for pid in pids)
