"""The queue's drainer alone: CPU time per object stored in batches, on a hub already large.

    PYTHONPATH=src:. .venv/bin/python bench/taxii_drain.py [--stored 1000000]
        [--batches 10000,20000,40000] [--objects 200000] [--keep DIR]

Builds a SQLite hub holding ``--stored`` of the TAXII benchmark's indicators
(``bench/taxii_servers.py``; about two minutes for a million), then, for each batch size,
stores ``--objects`` more into a fresh copy of it, batch by batch, the way the drainer does:
checked objects encoded as a queue entry, decoded and stored in one transaction of a
connection with the drainer's page cache, while a checkpoint thread runs as in the web
process. Prints the process's CPU time (the checkpoint thread's included) and wall time per
object, and the pages written (to the log and by checkpoints) per object. Checking and
encoding are outside the clock. ``--keep DIR`` keeps the built hub there for the next run.
Not part of the test suite; ``bench/sharing_taxii.py`` measures the whole path over HTTP.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from accord.checkpoints import Checkpointer
from accord.clock import utcnow
from accord.config import Settings
from accord.db import make_engine, make_sessionmaker, unit_of_work
from accord.sharing import ingest, queue
from accord.sharing.models import Collection
from bench import taxii_servers as servers

PAGE = 4096 + 24  # a frame of the write-ahead log: the page and its header


class Hub:
    """A hub's data directory opened as the drainer opens it."""

    def __init__(self, data_dir: Path) -> None:
        self.engine: Engine = make_engine(Settings(data_dir=data_dir))
        event.listen(self.engine, "connect", queue.writer_cache)
        self.sessions: sessionmaker[Session] = make_sessionmaker(self.engine)
        with self.sessions() as db:
            found = db.scalars(select(Collection)).one()
            self.collection_id, self.producer = found.id, found.owner_org_id

    def entry(self, first: int, count: int) -> bytes:
        """Indicators ``first`` to ``first + count``, checked and encoded as a queue entry."""
        objects = [servers.indicator(i) for i in range(first, first + count)]
        valid = [o for o in ingest.check_objects(objects) if not isinstance(o, dict)]
        return queue.encode(valid)

    def store(self, payload: bytes) -> None:
        """One batch, as ``queue.drain`` stores it: write lock first, then the objects."""
        with unit_of_work(self.sessions) as db:
            db.execute(text("SELECT 1"))
            collection = db.get(Collection, self.collection_id)
            assert collection is not None
            ingest.store_checked(
                db,
                collection=collection,
                outcomes=queue.decode(payload),
                source=ingest.Source(producer_org_id=self.producer),
                now=utcnow(),
            )


def build(data_dir: Path, stored: int) -> None:
    servers.seed_hub(data_dir, None)
    hub = Hub(data_dir)
    step = 10_000
    for first in range(0, stored, step):
        hub.store(hub.entry(first, min(step, stored - first)))
        if (first + step) % 100_000 == 0:
            print(f"  built {first + step:,} objects", flush=True)
    hub.engine.dispose()


def _written() -> int:
    """Bytes this process has written so far (``wchar``: the log's and checkpoints' pages)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    return 0


def measure(built: Path, batch: int, objects: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    try:
        shutil.copytree(built, work, dirs_exist_ok=True)
        hub = Hub(work)
        first = 10**8  # ids the built hub does not hold
        payloads = [hub.entry(first + n, batch) for n in range(0, objects, batch)]
        checkpoints = Checkpointer(hub.engine, every=0.25)
        checkpoints.start()
        gc.collect()
        gc.freeze()
        written, cpu, wall = _written(), time.process_time(), time.perf_counter()
        for payload in payloads:
            hub.store(payload)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        checkpoints.stop()  # its last checkpoint counts in the pages, not in the times
        pages = (_written() - written) / PAGE
        gc.unfreeze()
        hub.engine.dispose()
        count = len(payloads) * batch
        print(
            f"  batches of {batch:,}: {1e6 * cpu / count:.1f} µs of CPU and "
            f"{1e6 * wall / count:.1f} µs of wall time an object; "
            f"{pages / count:.2f} pages written an object",
            flush=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--batches", default="10000,20000,40000")
    parser.add_argument("--objects", type=int, default=200_000)
    parser.add_argument("--keep", type=Path, help="build the hub here, or reuse it if there")
    args = parser.parse_args()
    built = args.keep or Path(tempfile.mkdtemp(prefix="bench-drain-built-"))
    try:
        if not (built / "accord.db").exists():
            print(f"building a hub of {args.stored:,} objects in {built}", flush=True)
            build(built, args.stored)
        print(f"storing {args.objects:,} more into a copy, batch size by batch size:")
        for batch in (int(b) for b in args.batches.split(",")):
            measure(built, batch, args.objects)
    finally:
        if args.keep is None:
            shutil.rmtree(built, ignore_errors=True)


if __name__ == "__main__":
    main()
