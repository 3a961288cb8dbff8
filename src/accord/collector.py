"""The garbage collector held off around work that allocates much and frees it all without cycles.

A look-up of 10,000 values makes some 100,000 dictionaries, tuples and lists, none in a cycle:
every few hundred of them started a collection, and every few of those a scan of all the young
objects, a fifth of the look-up's time for nothing found. The pause is counted, so that work in
several threads leaves the collector as it found it, and bounded: while pauses overlap without
end (a steady stream of look-ups), the young objects are still collected once per
``COLLECT_EVERY_SECONDS``, so garbage that other requests leave in cycles meanwhile cannot pile
up for as long as the stream lasts.

A serving process also takes its full collections on a clock (:func:`collect_fully_every`):
the interpreter's own rule starts one whenever the objects promoted since the last reach a
quarter of those kept, and eight connections in flight promote their requests' objects fast
enough for one every 1 to 6 seconds, each a pause of 20 to 60 ms of every thread to walk the
kept pages and compiled advisories again and find nothing (docs/benchmarks.md).
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

COLLECT_EVERY_SECONDS = 1.0


class Paused:
    """A pause of the collector around a block; see the module's docstring."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._count = 0
        self._resume = False
        self._collected_at = 0.0

    def __enter__(self) -> None:
        with self._lock:
            if not self._count:
                self._resume = gc.isenabled()
                self._collected_at = self._clock()
                gc.disable()
            self._count += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._count -= 1
            if not self._count:
                if self._resume:
                    gc.enable()
                return
            now = self._clock()
            if self._resume and now - self._collected_at >= COLLECT_EVERY_SECONDS:
                # Nothing is promoted while the collector is off: every object made since the
                # pause began is young, and one young-generation pass looks at all of them.
                self._collected_at = now
                gc.collect(0)


# Past any count the interpreter reaches: its own rule never starts a full collection.
NEVER = 2**31 - 1

_clock_started = False


def collect_fully_every(seconds: float) -> None:
    """Full collections of this process at most every ``seconds`` (once a process; 0 keeps
    the interpreter's own rule). The young generations are still collected as allocations
    go; what only a full collection frees, garbage in cycles that reached the oldest
    generation, waits at most ``seconds``. An idle process (no young collection since the
    last full one) is left alone."""
    global _clock_started
    if seconds <= 0 or _clock_started:
        return
    _clock_started = True
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)

    def run() -> None:
        while True:
            time.sleep(seconds)
            if gc.get_count()[2]:  # young collections since the last full one
                gc.collect()

    threading.Thread(target=run, name="accord-full-collections", daemon=True).start()


# The process's one pause: pauses of two instances would overlap blindly (one ending would turn
# the collector back on while the other's work still runs).
PAUSED = Paused()
