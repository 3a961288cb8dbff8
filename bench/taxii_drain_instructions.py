"""Instructions an object of the drainer's store, by callgrind: decoding a queue entry and
storing it in one transaction, as ``queue.drain`` does (the collector paused).

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python bench/taxii_drain_instructions.py N --hub DIR [--entries-only]

Stores N batches of 1,000 of the TAXII benchmark's indicators into a copy of the hub in
``DIR`` (built there with 20,000 objects by ``bench/taxii_drain.py``'s ``build`` if it holds
none). Run it for N = 2 and 12, with and without ``--entries-only`` (which builds the entries
alone: checking and encoding, outside what the drainer does): the difference of the four totals
valgrind prints, divided by 10,000, is the drainer's instructions an object. Fix
``PYTHONHASHSEED`` for runs compared with each other.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accord import collector
from bench import taxii_drain as drain


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("batches", type=int)
    parser.add_argument("--hub", type=Path, required=True)
    parser.add_argument("--entries-only", action="store_true")
    args = parser.parse_args()
    if not (args.hub / "accord.db").exists():
        args.hub.mkdir(parents=True, exist_ok=True)
        drain.build(args.hub, 20_000)
    work = Path(tempfile.mkdtemp(prefix="bench-drain-instructions-"))
    try:
        shutil.copytree(args.hub, work, dirs_exist_ok=True)
        hub = drain.Hub(work)
        payloads = [hub.entry(10**8 + k * 1000, 1000) for k in range(args.batches)]
        if args.entries_only:
            return
        gc.collect()
        gc.freeze()
        for payload in payloads:
            with collector.PAUSED:
                hub.store(payload)
        hub.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
