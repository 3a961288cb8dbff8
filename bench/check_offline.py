"""Offline checks alone, CPU and clock time, for comparing two versions of ``src/``.

Uses a snapshot and inputs that ``bench/check_bench.py`` leaves in its temporary folder, and
runs with whichever ``accord`` is first on ``PYTHONPATH``, so an older commit's ``src/``
(``git archive COMMIT src | tar -x -C /tmp/old``) is measured by the same script:

    PYTHONPATH=src:. python bench/check_offline.py --snapshot S.zip --key KEY INPUT...

Each run is a whole check as the command does it (open the snapshot, read the inputs,
evaluate, write the table), without Python's start-up. The CPU time of the process moves much
less with the machine's load than the clock time, which is printed beside it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

from accord.check import inputs, services
from accord.check.findings import Filters
from accord.check.outputs import table
from accord.check.sources.snapshot import SnapshotSource
from accord.transparency import note


def _paused() -> contextlib.AbstractContextManager[None]:
    # Older versions of the command did not pause the collector.
    pause = getattr(services, "collector_paused", None)
    return pause() if pause is not None else _nothing()


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--snapshot", type=Path, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("inputs", type=Path, nargs="+")
    args = parser.parse_args()
    key = note.Verifier.parse(args.key)
    walls, cpus = [], []
    findings = 0
    for _ in range(args.runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        with _paused():
            source = SnapshotSource(args.snapshot, verifier=key)
            report = services.check(
                readings=inputs.read_all(args.inputs), source=source, filters=Filters()
            )
            table.render(report)
            source.close()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
        findings = len(report.findings)
    print(
        f"load {os.getloadavg()[0]:.1f}: {findings} findings; CPU median "
        f"{statistics.median(cpus):.3f} s (min {min(cpus):.3f}); clock median "
        f"{statistics.median(walls):.3f} s (min {min(walls):.3f}); first run {walls[0]:.3f} s"
    )


if __name__ == "__main__":
    main()
