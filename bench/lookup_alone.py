"""A large look-up answered in one process (the helpers busy, or none: ``sharing.lookup_pool``),
its values all URLs: each a key of its own and one of its host, some 20,000 keys for 10,000
values, past which PostgreSQL's planner at its default page costs read every object rather
than seek the hits' (docs/benchmarks.md, 2026-12-08).

    PYTHONPATH=src:. .venv/bin/python bench/lookup_alone.py \
        --database-url postgresql+psycopg://... [--values 10000] [--runs 5]

The database is one ``bench/lookup_scale.py`` built (nothing is written). Half the URLs are
stored indicators', half absent (each its own host). Prints the wall time, this process's CPU
time and its server process's (PostgreSQL's, from ``/proc``), medians of ``--runs`` after one
warm-up, and the SHA-256 of the answer's JSON at a fixed time, to compare a change with.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from datetime import UTC, timedelta
from pathlib import Path

from sqlalchemy import text

from accord import jsonio
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work
from accord.identity.policy import ANONYMOUS
from accord.sharing import indicators
from accord.sharing.readers import reader_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lookup_scale import _value
from server_cpu import cpu_of


def urls(count: int) -> list[str]:
    """``count`` URLs: stored ones (``lookup_scale``'s slots 86 to 99) and absent ones."""
    return [
        _value(n * 100 + 90 + n % 10)[1] if n % 2 else f"https://absent{n}.example/x?n={n}"
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--values", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asked = urls(args.values)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), database_url=args.database_url)
        engine = make_engine(settings)
        factory = make_sessionmaker(engine, read_only=True)
        with unit_of_work(factory) as db:
            last = db.execute(text("SELECT max(date_added) FROM sharing_objects")).scalar_one()
        # As ``lookup_scale``'s digests: three days after the last indicator was added.
        now = last.replace(tzinfo=UTC) + timedelta(days=3)
        wall: list[float] = []
        cpu: list[float] = []
        server: list[float] = []
        for run in range(args.runs + 1):
            with unit_of_work(factory) as db:
                pid = db.execute(text("SELECT pg_backend_pid()")).scalar_one()
                s0, c0, t0 = cpu_of(pid), time.process_time(), time.perf_counter()
                found = indicators.answer(db, reader=reader_for(db, ANONYMOUS), values=asked,
                                          now=now)  # fmt: skip
                written = jsonio.dumps(found)
                t1, c1, s1 = time.perf_counter(), time.process_time(), cpu_of(pid)
            if run:
                wall.append(t1 - t0)
                cpu.append(c1 - c0)
                server.append(s1 - s0)
        engine.dispose()
    hits = sum(1 for r in found if r["indicators"])
    print(
        f"{len(asked):,} URLs alone, {hits:,} with hits: wall median "
        f"{statistics.median(wall) * 1000:.0f} ms (min {min(wall) * 1000:.0f}), this process's "
        f"CPU median {statistics.median(cpu) * 1000:.0f} ms, the server's CPU median "
        f"{statistics.median(server) * 1000:.0f} ms (min {min(server) * 1000:.0f}); "
        f"answer's SHA-256 {hashlib.sha256(written).hexdigest()}"
    )


if __name__ == "__main__":
    main()
