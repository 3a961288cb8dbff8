"""The look-up's pause of the garbage collector: counted across threads, and bounded."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from accord import collector


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _cycle() -> weakref.ref[_Node]:
    return weakref.ref(_Node())


def test_nested_pauses_leave_the_collector_as_they_found_it() -> None:
    paused = collector.Paused(_Clock())
    with paused:
        assert not gc.isenabled()
        with paused:
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_pause_that_found_the_collector_off_leaves_it_off() -> None:
    gc.disable()
    with collector.Paused(_Clock()):
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_still_collect_cycles_once_the_interval_passes() -> None:
    clock = _Clock()
    paused = collector.Paused(clock)
    paused.__enter__()  # a look-up that holds the pause while others come and go
    garbage = _cycle()
    with paused:
        pass
    assert garbage() is not None, "within the interval nothing is collected"
    clock.now += collector.COLLECT_EVERY_SECONDS
    with paused:
        pass
    assert garbage() is None, "a pause held past the interval collected the young cycles"
    assert not gc.isenabled()
    paused.__exit__(None, None, None)
    assert gc.isenabled()


# A fresh interpreter (the thresholds are process-wide): 200,000 lists kept, then a cycle that
# reached the oldest generation dropped while young objects churn for 1.5 seconds. Prints
# whether the cycle was freed and which threads ran full collections.
_FULL_COLLECTIONS = """
import gc, sys, threading, time, weakref
from accord import collector

threads = []
def seen(phase, info):
    if phase == "start" and info["generation"] == 2:
        threads.append(threading.current_thread().name)
gc.callbacks.append(seen)
collector.collect_fully_every(float(sys.argv[1]))
kept = [[i] for i in range(200_000)]

class Node:
    def __init__(self):
        self.me = self
node = Node()
freed = weakref.ref(node)
gc.collect(1)  # the cycle survives into the oldest generation
del node
until = time.monotonic() + 1.5
while time.monotonic() < until:
    churn = [[j] for j in range(1000)]
print(freed() is None, *sorted(set(threads)))
"""


def _full_collections(seconds: float) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(collector.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", _FULL_COLLECTIONS, str(seconds)],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return done.stdout.split()


def test_full_collections_run_on_the_clock_alone() -> None:
    freed, *threads = _full_collections(0.3)
    assert freed == "True"  # the cycle waited for the clock, no longer
    assert threads == ["accord-full-collections"]


def test_without_the_clock_the_interpreter_collects_fully_as_it_allocates() -> None:
    freed, *threads = _full_collections(0)
    assert freed == "True"
    assert threads == ["MainThread"]
