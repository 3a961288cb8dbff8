"""What the test suite pays before and after each test: a world built or restored, the
tables emptied the old way or the new (docs/benchmarks.md, "CI's length").

    python -m bench.suite_setup [--database-url postgresql+psycopg://...] [--rounds 20]

Run from the repository's root (it imports ``tests``). Each round builds the authorization
matrix's world (tests/authz.py) through the factories, empties the database, restores the
world from its kept rows, and empties it again, timing each step; then the old emptying
(a probe, a DELETE per written table and, on PostgreSQL, an ALTER SEQUENCE per sequence, each
a round trip) against the new. Wall and this process's CPU time, a mean per round.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from tests import emptying, snapshots
from tests.authz import World
from tests.factories import Factories

from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, upgrade


def _old_empty(conn: Connection) -> None:
    """The emptying before this change (tests/conftest.py at main)."""
    names = emptying.tables()
    written = emptying.written(conn, names)
    for name in names:
        if name in written:
            conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (our metadata)
    if conn.dialect.name == "postgresql":
        used = conn.execute(
            text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename)"
                " FROM pg_sequences WHERE last_value IS NOT NULL"
            )
        )
        for (sequence,) in used.all():
            conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))


def _timed(totals: dict[str, list[float]], name: str, step: Callable[[], object]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    step()
    spent = totals.setdefault(name, [0.0, 0.0])
    spent[0] += time.perf_counter() - wall
    spent[1] += time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix="accord-bench-")),
        database_url=args.database_url,
        base_url="http://testserver",
    )
    engine: Engine = make_engine(settings)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    make = Factories(factory, settings)

    def empty_with(how: Callable[[Connection], None]) -> None:
        with engine.begin() as conn:
            how(conn)

    empty_with(emptying.empty)
    World.build(make)  # the first build, kept
    empty_with(emptying.empty)
    totals: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        _timed(totals, "world built by the factories", lambda: World._build(make))
        _timed(totals, "tables emptied, before (a round trip each)", lambda: empty_with(_old_empty))
        _timed(totals, "world restored from its rows", lambda: World.build(make))
        _timed(totals, "tables emptied, after (one statement)", lambda: empty_with(emptying.empty))
    assert snapshots._kept, "the world was never kept"
    print(f"{engine.dialect.name}, {args.rounds} rounds; mean per round, ms")
    for name, (wall, cpu) in totals.items():
        per = [spent / args.rounds * 1e3 for spent in (wall, cpu)]
        print(f"  {name:45} wall {per[0]:7.1f}  cpu {per[1]:6.1f}")


if __name__ == "__main__":
    main()
