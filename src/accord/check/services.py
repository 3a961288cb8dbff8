"""The check itself: readings in, a report out, whatever the source."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from accord.check.findings import Filters, Report, findings_of, unique
from accord.check.interface import Progress, Reading, Source


def check(
    *,
    readings: Sequence[Reading],
    source: Source,
    filters: Filters,
    progress: Progress | None = None,
) -> Report:
    """Ask ``source`` about every dependency read (each distinct one once) and filter."""
    dependencies = [d for r in readings for d in r.dependencies]
    distinct, positions = unique(dependencies)
    answers = source.affecting(distinct, progress=progress)
    records = [answers[p] for p in positions]
    ids = sorted({str(r["id"]) for found in answers for r in found})
    summaries = source.plain_summaries(ids) if ids else {}
    every = findings_of(dependencies, records, summaries)
    return Report(
        readings=list(readings),
        findings=[f for f in every if filters.keeps(f)],
        source=source.description,
        left_out=[f for f in every if not filters.keeps(f)],
    )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for one check, by a command.

    A check makes a few hundred thousand small objects (parsed records, compiled ranges,
    findings) that all live until it ends, and the collector's passes over them were about
    40% of an offline check's CPU time (measured, see docs/benchmarks.md); none of them is
    cyclic garbage. At the end they are frozen (left out of later collections) rather than
    walked once more by the first collection after the pause: the command ends soon after,
    and they are still freed by reference counting when dropped. For the command line only:
    a server's requests share one collector.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
