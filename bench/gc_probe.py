"""The garbage collector's pauses inside a served hub.

With ``BENCH_GC_PROBE`` naming a file, :func:`install` appends a line per collection the hub's
process makes: the wall clock, the generation, how long it took and what it freed. A full
collection (generation 2) walks every object the process keeps (pages, advisories, caches):
on a hub of 10,000 objects it pauses every thread for 20 to 40 ms, which a route's p99 shows.

    BENCH_GC_PROBE=/tmp/gc.log PYTHONPATH=src:. .venv/bin/python bench/stack.py --rounds 1
    awk '$2 == "gen2"' /tmp/gc.log
"""

from __future__ import annotations

import gc
import os
import time
from typing import Any

PROBE = "BENCH_GC_PROBE"


def install() -> None:
    """Log every collection into the file ``BENCH_GC_PROBE`` names (nothing if unset)."""
    path = os.environ.get(PROBE)
    if not path:
        return
    out = open(path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)
    began = [0.0]

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
            return
        took = (time.perf_counter() - began[0]) * 1000
        out.write(f"{time.time():.3f} gen{info['generation']} {took:.2f}ms "
                  f"collected={info['collected']}\n")  # fmt: skip

    gc.callbacks.append(record)
