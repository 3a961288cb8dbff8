"""Instructions an object of the queue's whole drain, by callgrind: ``queue.drain`` as the
drainer process runs it (the queue read, the tries counted, the entries decoded and stored, the
statuses recorded, the entries forgotten), on the drainer's own engine and queue.

    PYTHONPATH=src:. .venv/bin/python bench/taxii_drainer_instructions.py [--envelopes 10]
        [--limit OBJECTS] [--stored 20000] [--hub DIR] [--keep FILE]

A hub (SQLite, ``DIR`` if given, else a temporary directory) holding ``--stored`` of the TAXII
benchmark's indicators (``bench/taxii_drain.py``'s ``build``) gets ``--envelopes`` envelopes of
1,000 more indicators queued as the web process queues them (checked, ``queue.entry_for``,
``Queue.put``); then this script runs itself under valgrind's callgrind with its
instrumentation off, switches it on (``callgrind_control``), drains the queue until it is
empty with the default batch limit (``taxii_queue_batch_objects``) or ``--limit`` (1000: one
envelope a batch, as a drainer that keeps up with its web process takes them), and switches
it off: the instructions valgrind collected divided by the objects drained.
``bench/taxii_drain_instructions.py`` counts the store alone (decode, rows, inserts) by the
difference of two runs; this counts the drainer's whole work with nothing of the queueing in
it. With ``--keep`` the callgrind output is kept
for ``callgrind_annotate``. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZE = 1000


def _queue_envelopes(data_dir: Path, envelopes: int) -> None:
    from sqlalchemy import select

    from accord.clock import utcnow
    from accord.config import Settings
    from accord.db import make_sessionmaker
    from accord.identity.models import User
    from accord.sharing import ingest, queue
    from bench import taxii_drain as drain
    from bench import taxii_servers as servers

    hub = drain.Hub(data_dir)
    with make_sessionmaker(hub.engine)() as db:
        user_id = db.scalars(select(User.id)).first()
    waiting = queue.Queue.for_hub(Settings(data_dir=data_dir), hub.engine)
    for k in range(envelopes):
        first = 10**8 + k * SIZE
        objects = [servers.indicator(i) for i in range(first, first + SIZE)]
        waiting.put(
            queue.entry_for(
                collection_id=hub.collection_id,
                user_id=user_id,
                producer_org_id=hub.producer,
                outcomes=ingest.check_objects(objects),
                now=utcnow(),
                status_uuid=str(uuid.uuid4()),
            )
        )
    waiting.engine.dispose()
    hub.engine.dispose()


def _child(data_dir: Path, limit: int | None) -> None:
    """Drain the queue as the drainer process does, callgrind's instrumentation on meanwhile."""
    from sqlalchemy import event

    from accord.config import Settings
    from accord.db import make_engine, make_sessionmaker
    from accord.sharing import drainer
    from accord.sharing.queue import Queue, drain, writer_cache

    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings, connections=drainer.DRAINER_CONNECTIONS)
    event.listen(engine, "connect", writer_cache)
    waiting = Queue.for_hub(settings, engine)
    sessions = make_sessionmaker(engine)
    objects = waiting.backlog()
    gc.collect()
    gc.freeze()
    switch = ["callgrind_control", "-i"]
    subprocess.run([*switch, "on", str(os.getpid())], check=True, capture_output=True)
    while drain(waiting, sessions, limit=limit or settings.taxii_queue_batch_objects):
        pass
    subprocess.run([*switch, "off", str(os.getpid())], check=True, capture_output=True)
    assert waiting.backlog() == 0
    print(objects)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--envelopes", type=int, default=10)
    parser.add_argument("--limit", type=int, help="objects a batch (default: the setting's)")
    parser.add_argument("--stored", type=int, default=20_000)
    parser.add_argument("--hub", type=Path, help="a built hub to copy (built there if empty)")
    parser.add_argument("--keep", type=Path, help="where to keep the callgrind output")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child, args.limit)
        return
    from bench import taxii_drain as drain

    work = Path(tempfile.mkdtemp(prefix="bench-drainer-instructions-"))
    try:
        built = args.hub or work / "built"
        if not (built / "accord.db").exists():
            built.mkdir(parents=True, exist_ok=True)
            drain.build(built, args.stored)
        data_dir = work / "hub"
        shutil.copytree(built, data_dir)
        _queue_envelopes(data_dir, args.envelopes)
        out = args.keep or work / "callgrind.out"
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--callgrind-out-file={out}", sys.executable, __file__,
                   "--child", str(data_dir)]  # fmt: skip
        if args.limit:
            command += ["--limit", str(args.limit)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        objects = int(done.stdout.split()[-1])
        found = re.search(r"^totals:\s*(\d+)", out.read_text(), re.M)
        assert found is not None, "no totals in the callgrind output"
        print(f"{int(found.group(1)) / objects:,.0f} instructions an object in the drainer "
              f"({objects:,} objects in envelopes of {SIZE}, batches of at most "
              f"{args.limit or 'the default'} objects, on a hub of {args.stored:,})")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
