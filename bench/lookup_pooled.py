"""Indicator look-up at scale, split across processes (``sharing.lookup_pool``) beside the
same look-up answered in one process, in alternate runs of one process (issue 24).

    PYTHONPATH=src:. .venv/bin/python bench/lookup_pooled.py \
        --database-url sqlite:////path/lookup.db [--helpers N] [--runs 5] [--values 10000]

The database is one ``bench/lookup_scale.py`` built (``--database-url`` of its run), used as
it is: nothing is written. Each run looks up the same ``--values`` values as that bench's,
as the API's route writes them (the answer's JSON): in this process (``jsonio.dumps`` of
``indicators.answer``), then through the pool (the same bytes, checked every run), and prints
for each the wall time (median, min, max), this process's CPU time, for the pool the
helpers' CPU time for their slices, and on PostgreSQL the CPU time of the server processes
connected to the database (``/proc/PID/schedstat``: this process's connections and the
helpers', which share the machine's cores), with the ratio of the wall medians to the goal
(100 ms).
The helpers are started and warmed before the first run, as a web process's are after its
first large look-up; one warm-up run of each comes first.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from accord import jsonio
from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work
from accord.identity.policy import ANONYMOUS
from accord.sharing import indicators
from accord.sharing.lookup_helper import elements
from accord.sharing.lookup_pool import LookupPool
from accord.sharing.readers import reader_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lookup_scale import GOAL_MS, values
from server_cpu import backends_cpu


def _line(
    name: str, wall: list[float], cpu: list[float], server: list[float], helpers: list[float]
) -> str:
    median = statistics.median(wall)
    said = (
        f"{name}: wall median {median * 1000:.0f} ms (min {min(wall) * 1000:.0f}, "
        f"max {max(wall) * 1000:.0f}; {median * 1000 / GOAL_MS:.2f} of the goal), "
        f"this process's CPU median {statistics.median(cpu) * 1000:.0f} ms"
    )
    if helpers:
        said += f", each helper's CPU median {statistics.median(helpers) * 1000:.0f} ms"
    if any(server):
        said += f", the database server's CPU median {statistics.median(server) * 1000:.0f} ms"
    return said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--values", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--helpers", type=int, help="default: the cores less one")
    parser.add_argument(
        "--instructions",
        choices=["alone", "split", "slice"],
        help="Under valgrind --tool=callgrind --instr-atstart=no: after the warm-up, count this "
        "process's instructions for one look-up and its JSON answered alone, split (this "
        "process's part: its slice, sending and joining), or for the last slice answered as a "
        "helper answers it (valgrind prints 'Collected'), and stop.",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder), database_url=args.database_url, lookup_helpers=args.helpers
        )
        engine = make_engine(settings)
        factory = make_sessionmaker(engine, read_only=True)
        pool = LookupPool(settings)
        pool.start()
        if not pool.wait_ready(120):
            raise SystemExit("the helpers did not start")
        asked = values(args.values, args.indicators)
        print(f"{engine.dialect.name}: {len(asked):,} values, "
              f"{settings.lookup_helper_processes} helper(s)")  # fmt: skip
        if engine.dialect.name == "postgresql":
            # Its buffers against the database: past them, pages come back from the operating
            # system's cache at every look-up, which PostgreSQL's CPU figure includes.
            with engine.connect() as connection:
                buffers, size = connection.execute(text(
                    "SELECT current_setting('shared_buffers'),"
                    " pg_size_pretty(pg_database_size(current_database()))"
                )).one()  # fmt: skip
            print(f"  PostgreSQL's shared_buffers {buffers}, the database {size}")
        alone: tuple[list[float], list[float], list[float]] = ([], [], [])
        split: tuple[list[float], list[float], list[float], list[float]] = ([], [], [], [])
        # PostgreSQL's server processes (this process's pool, the helpers'), from /proc.
        server = backends_cpu(engine)
        for run in range(args.runs + 1):
            now = utcnow()  # the same for both: scores decay with it
            with unit_of_work(factory) as db:
                reader = reader_for(db, ANONYMOUS)
                s0, c0, t0 = server(), time.process_time(), time.perf_counter()
                found = indicators.answer(db, reader=reader, values=asked, now=now)
                written = jsonio.dumps(found)
                t1, c1, s1 = time.perf_counter(), time.process_time(), server()
            with unit_of_work(factory) as db:
                reader = reader_for(db, ANONYMOUS)
                spent: list[float] = []
                s2, c2, t2 = server(), time.process_time(), time.perf_counter()
                pooled = pool.answer_json(
                    db, reader=reader, values=asked, now=now, helper_cpu=spent
                )
                t3, c3, s3 = time.perf_counter(), time.process_time(), server()
            if pooled != written:
                raise SystemExit("the pooled answer differs from the one of one process")
            if len(spent) != settings.lookup_helper_processes:
                raise SystemExit(f"{len(spent)} helper(s) answered, not all")
            if run == 0:
                gc.collect()
                gc.freeze()
                server = backends_cpu(engine)  # every connection now opened
                if args.instructions:
                    _instructions(args.instructions, factory, pool, asked, len(spent) + 1)
                    break
                continue
            alone[0].append(t1 - t0)
            alone[1].append(c1 - c0)
            alone[2].append(s1 - s0)
            split[0].append(t3 - t2)
            split[1].append(c3 - c2)
            split[2].append(s3 - s2)
            split[3].extend(spent)
        pool.stop()
        engine.dispose()
    if args.instructions:
        return
    print(_line("one process", *alone, []))
    print(_line("split", *split))
    ratio = statistics.median(split[0]) / statistics.median(alone[0])
    print(f"  split / one process: {ratio:.2f}; {len(written):,} bytes of JSON, the same; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip


def _instructions(
    part: str, factory: sessionmaker[Session], pool: LookupPool, asked: list[str], slices: int
) -> None:
    """Instructions of one part of a look-up, callgrind's instrumentation on around it only
    (the helpers are not traced: their work is counted by ``slice``, as they do it)."""
    switch = ["callgrind_control", "-i"]
    last = asked[len(asked) - len(asked) // slices :]
    with unit_of_work(factory) as db:
        reader = reader_for(db, ANONYMOUS)
        subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)
        if part == "alone":
            jsonio.dumps(indicators.answer(db, reader=reader, values=asked))
        elif part == "split":
            pool.answer_json(db, reader=reader, values=asked)
        else:
            elements(indicators.answer(db, reader=reader, values=last))
        subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)
    print(f"{part}: counted ({len(last) if part == 'slice' else len(asked):,} values): "
          "valgrind's 'Collected'")  # fmt: skip


if __name__ == "__main__":
    main()
